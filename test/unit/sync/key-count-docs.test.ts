// status.keyCount as documented (issue 16: the docs said "keys the ConfigMap holds"; it counts etcd keys).
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { renderConfigMap } from '../../../src/sync/index.js';

const CRD = new URL('../../../crds/etcdconfig.dev_prefixsyncs.yaml', import.meta.url);

function keyCountDescription(): string {
  const crd = parse(readFileSync(CRD, 'utf8')) as {
    spec: {
      versions: {
        schema: {
          openAPIV3Schema: {
            properties: { status: { properties: { keyCount: { description: string } } } };
          };
        };
      }[];
    };
  };
  return crd.spec.versions[0]!.schema.openAPIV3Schema.properties.status.properties.keyCount.description;
}

describe('status.keyCount, documented against what render counts', () => {
  const snapshot = {
    prefix: '/config/app/',
    revision: 7n,
    entries: [
      { key: Buffer.from('/config/app/a'), value: Buffer.from('1') },
      { key: Buffer.from('/config/app/b/c'), value: Buffer.from('2') },
    ],
  };

  it('counts etcd keys, which a json target holds in one ConfigMap key', () => {
    const r = renderConfigMap(snapshot, { format: 'json', key: 'config.json', separator: '.' });
    assert.ok(r.ok);
    assert.equal(Object.keys(r.data).length, 1, 'one ConfigMap key');
    assert.equal(r.keyCount, 2, 'two etcd keys');
    const doc = keyCountDescription();
    assert.match(doc, /etcd keys/);
    assert.doesNotMatch(doc, /keys the ConfigMap holds/);
  });

  it('equals the ConfigMap keys for format files, as documented', () => {
    const r = renderConfigMap(snapshot, { format: 'files', separator: '.' });
    assert.ok(r.ok);
    assert.equal(r.keyCount, Object.keys(r.data).length + Object.keys(r.binaryData).length);
    assert.match(keyCountDescription(), /files that is also its number of ConfigMap keys/);
  });
});
