import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { HttpMethod, RequestContext } from '@kubernetes/client-node';
import {
  FIELD_MANAGER,
  formatUserAgent,
  identifyRequest,
  operatorUserAgent,
} from '../../../src/kube/client-identity.js';

const URL_BASE = 'https://k8s.example:6443/api/v1/namespaces/a/configmaps';

describe("the operator's identity on its Kubernetes requests", () => {
  it('names the operator, its version, the platform and Node in the User-Agent', () => {
    assert.equal(
      formatUserAgent({ version: '1.2.3', platform: 'linux/x64', node: '20.20.0' }),
      'etcd-config-operator/1.2.3 (linux/x64; node 20.20.0)',
    );
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    assert.equal(
      operatorUserAgent(),
      `etcd-config-operator/${pkg.version} (${process.platform}/${process.arch}; node ${process.versions.node})`,
    );
    // The API server names a write without fieldManager after the User-Agent's first token.
    assert.equal(operatorUserAgent().split('/')[0], FIELD_MANAGER);
  });

  const table: Array<[HttpMethod, string, string | null]> = [
    [HttpMethod.POST, URL_BASE, FIELD_MANAGER],
    [HttpMethod.PUT, `${URL_BASE}/x`, FIELD_MANAGER],
    [HttpMethod.PATCH, `${URL_BASE}/x?dryRun=All`, FIELD_MANAGER],
    [HttpMethod.PATCH, `${URL_BASE}/x?fieldManager=someone-else`, 'someone-else'],
    [HttpMethod.GET, `${URL_BASE}/x`, null],
    [HttpMethod.DELETE, `${URL_BASE}/x`, null],
  ];
  for (const [method, url, manager] of table) {
    it(`${method} ${new URL(url).search || '(no query)'}: fieldManager ${manager ?? 'absent'}, User-Agent set`, () => {
      const context = new RequestContext(url, method);
      context.setHeaderParam('User-Agent', 'node-fetch');
      identifyRequest(context);
      const sent = new URL(context.getUrl());
      assert.equal(sent.searchParams.get('fieldManager'), manager);
      assert.equal(sent.searchParams.getAll('fieldManager').length, manager === null ? 0 : 1);
      assert.equal(context.getHeaders()['User-Agent'], operatorUserAgent());
      if (url.includes('dryRun')) assert.equal(sent.searchParams.get('dryRun'), 'All');
    });
  }
});
