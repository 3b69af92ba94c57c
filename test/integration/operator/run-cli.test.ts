// `etcd-config-operator run` as a child process: it syncs, logs JSON with the documented fields, and
// stops on SIGTERM within 10 s, releasing its Lease.
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoordinationV1Api } from '@kubernetes/client-node';
import { TestEnv, waitFor } from '../controller/support.js';

const BIN = fileURLToPath(new URL('../../../bin/etcd-config-operator.js', import.meta.url));

describe('etcd-config-operator run (child process)', function () {
  this.timeout(90_000);
  let env: TestEnv;
  let dir: string;
  let child: ChildProcess | undefined;
  let stderr = '';

  before(async () => {
    env = await TestEnv.start();
    dir = await mkdtemp(join(tmpdir(), 'run-cli-test-'));
    await env.sim.writeKubeconfig(join(dir, 'kubeconfig'));
  });
  after(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await env?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('syncs, logs JSON with prefixsync fields, and stops on SIGTERM within 10 s releasing the Lease', async () => {
    await env.createSource('main', { access: [{ namespaceSelector: {}, prefixes: ['/'] }] });
    child = spawn(
      process.execPath,
      [
        BIN,
        'run',
        '--kubeconfig',
        join(dir, 'kubeconfig'),
        '--namespace',
        'default',
        '--metrics-addr',
        '127.0.0.1:0',
        '--probe-addr=127.0.0.1:0',
        '--lease-name',
        'cli-test',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child?.on('exit', (code) => resolve(code)));

    const ns = await env.namespace();
    const rev = await env.put(`/${ns}/a`, '1');
    await env.createPrefixSync(ns, 'app', {
      sourceRef: { name: 'main' },
      prefix: `/${ns}/`,
      target: { name: 'cfg' },
      debounce: '0s',
    });
    await waitFor(
      'synced',
      async () => (await env.prefixSync(ns, 'app'))?.status?.syncedRevision === rev.toString(),
      40_000,
    );

    const lines = stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const written = lines.find((l) => l['message'] === 'configmap written');
    assert.ok(written, `no 'configmap written' line in:\n${stderr}`);
    assert.equal(written['namespace'], ns);
    assert.equal(written['name'], 'app');
    assert.equal(written['prefixsync'], 'app');
    assert.equal(written['revision'], rev.toString());
    assert.equal(written['controller'], 'prefixsync');

    const leases = env.kc.makeApiClient(CoordinationV1Api);
    const held = await leases.readNamespacedLease({ namespace: 'default', name: 'cli-test' });
    assert.ok(held.spec?.holderIdentity, 'no holder while running');

    const sentAt = Date.now();
    child.kill('SIGTERM');
    const code = await exited;
    const tookMs = Date.now() - sentAt;
    assert.equal(code, 0, stderr.slice(-2000));
    assert.ok(tookMs < 10_000, `shutdown took ${tookMs} ms`);
    const released = await leases.readNamespacedLease({ namespace: 'default', name: 'cli-test' });
    assert.equal(released.spec?.holderIdentity ?? '', '', 'the Lease was not released');
  });
});
