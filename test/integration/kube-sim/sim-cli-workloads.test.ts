// `etcd-config-operator sim --rollout-step-ms --nodes`: the workload controllers of the standalone simulator.
import { strict as assert } from 'node:assert';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { AppsV1Api, KubeConfig } from '@kubernetes/client-node';
import { waitFor } from './helpers.js';

const BIN = fileURLToPath(new URL('../../../bin/etcd-config-operator.js', import.meta.url));
const run = promisify(execFile);

describe('etcd-config-operator sim: workload flags', function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kube-sim-cli-workloads-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('documents the flags and the fail switch annotations in --help', async () => {
    const { stdout } = await run(process.execPath, [BIN, 'sim', '--help']);
    assert.match(stdout, /--rollout-step-ms N .*\(default 250\)/);
    assert.match(stdout, /--nodes N .*\(default 1\)/);
    assert.match(stdout, /sim\.etcdconfig\.dev\/fail-rollouts: "true"/);
    assert.match(stdout, /sim\.etcdconfig\.dev\/fail-when: "<key>=<value>\[,<key>=<value>\.\.\.\]"/);
  });

  for (const [flag, value] of [
    ['--rollout-step-ms', '-5'],
    ['--rollout-step-ms', '1.5'],
    ['--nodes', 'three'],
    ['--nodes', '10001'],
  ] as const) {
    it(`refuses ${flag} ${value} with exit status 2`, async () => {
      const err = await run(process.execPath, [BIN, 'sim', `${flag}=${value}`]).then(
        () => assert.fail('a bad value was accepted'),
        (e: { code: number; stderr: string }) => e,
      );
      assert.equal(err.code, 2);
      assert.match(err.stderr, new RegExp(`${flag}: '${value.replace('.', '\\.')}' is not an integer in`));
    });
  }

  it('runs DaemonSets on --nodes simulated nodes, stepping every --rollout-step-ms', async () => {
    const kubeconfig = join(dir, 'kubeconfig');
    const child = spawn(
      process.execPath,
      [BIN, 'sim', '--nodes', '3', '--rollout-step-ms', '20', '--kubeconfig-out', kubeconfig],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await waitFor('the listening line', () => /kube-sim listening on/.test(out));
      const kc = new KubeConfig();
      kc.loadFromFile(kubeconfig);
      const apps = kc.makeApiClient(AppsV1Api);
      await apps.createNamespacedDaemonSet({
        namespace: 'default',
        body: {
          metadata: { name: 'agent' },
          spec: {
            selector: { matchLabels: { app: 'agent' } },
            template: {
              metadata: { labels: { app: 'agent' } },
              spec: { containers: [{ name: 'a', image: 'a:1' }] },
            },
          },
        },
      });
      await waitFor('3 pods available', async () => {
        const s = (await apps.readNamespacedDaemonSet({ namespace: 'default', name: 'agent' })).status;
        return s?.desiredNumberScheduled === 3 && s.numberAvailable === 3 ? true : JSON.stringify(s);
      });
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0);
  });
});
