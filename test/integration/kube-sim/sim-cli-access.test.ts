// `etcd-config-operator sim --access-file`: rehearsing who may scrape /metrics with a token table.
import { strict as assert } from 'node:assert';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { AuthenticationV1Api, AuthorizationV1Api, KubeConfig } from '@kubernetes/client-node';
import { waitFor } from './helpers.js';

const BIN = fileURLToPath(new URL('../../../bin/etcd-config-operator.js', import.meta.url));
const run = promisify(execFile);

const TABLE = `
tokens:
  prom-token: {username: "system:serviceaccount:monitoring:prometheus", groups: [scrapers]}
rules:
  - groups: [scrapers]
    verbs: [get]
    nonResourceURLs: [/metrics]
`;

describe('etcd-config-operator sim --access-file', function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kube-sim-access-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('answers TokenReviews and SubjectAccessReviews from the file', async () => {
    await writeFile(join(dir, 'access.yaml'), TABLE);
    const kubeconfig = join(dir, 'kubeconfig');
    const child = spawn(
      process.execPath,
      [BIN, 'sim', '--access-file', join(dir, 'access.yaml'), '--kubeconfig-out', kubeconfig],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await waitFor('the listening line', () => /kube-sim listening on/.test(out), 30_000);
      const kc = new KubeConfig();
      kc.loadFromFile(kubeconfig);
      const review = await kc
        .makeApiClient(AuthenticationV1Api)
        .createTokenReview({ body: { spec: { token: 'prom-token' } } });
      assert.equal(review.status?.user?.username, 'system:serviceaccount:monitoring:prometheus');
      const access = await kc.makeApiClient(AuthorizationV1Api).createSubjectAccessReview({
        body: {
          spec: {
            user: review.status?.user?.username ?? '',
            groups: review.status?.user?.groups ?? [],
            nonResourceAttributes: { path: '/metrics', verb: 'get' },
          },
        },
      });
      assert.equal(access.status?.allowed, true);
      // The table replaces the default: the kubeconfig's own token is no longer known.
      const admin = await kc
        .makeApiClient(AuthenticationV1Api)
        .createTokenReview({ body: { spec: { token: 'kube-sim' } } });
      assert.notEqual(admin.status?.authenticated, true);
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0);
  });

  it('refuses a missing or malformed file with exit status 2, naming the problem', async () => {
    const missing = await run(process.execPath, [BIN, 'sim', '--access-file', join(dir, 'nope.yaml')]).then(
      () => assert.fail('a missing file was accepted'),
      (e: { code: number; stderr: string }) => e,
    );
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--access-file .*nope\.yaml: ENOENT/);
    await writeFile(join(dir, 'bad.yaml'), 'rules:\n  - verbs: [get]\n');
    const bad = await run(process.execPath, [BIN, 'sim', '--access-file', join(dir, 'bad.yaml')]).then(
      () => assert.fail('a malformed table was accepted'),
      (e: { code: number; stderr: string }) => e,
    );
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /bad\.yaml: rules\[0\] must name users or groups/);
  });
});
