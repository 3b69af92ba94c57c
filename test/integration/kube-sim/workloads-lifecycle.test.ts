import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { AppsV1Api } from '@kubernetes/client-node';
import { FakeClock } from '../../../src/base/index.js';
import { FAIL_ROLLOUTS_ANNOTATION, KubeSim } from '../../../src/envtest/kube-sim/index.js';
import { waitFor } from './helpers.js';
import { daemonSet, deployment, statefulSet } from './workload-support.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/rollouts-then-close.ts', import.meta.url));

describe('KubeSim workload controllers: options and lifecycle', () => {
  it('workloads: false moves no status (as envtest, which has no controller manager)', async () => {
    const sim = await KubeSim.start({ workloads: false });
    try {
      const apps = sim.kubeConfig().makeApiClient(AppsV1Api);
      const created = await apps.createNamespacedDeployment({
        namespace: 'default',
        body: deployment('web'),
      });
      // A status write by a client is the only one: the object is exactly what that write made it.
      const written = await apps.replaceNamespacedDeploymentStatus({
        namespace: 'default',
        name: 'web',
        body: { ...created, status: { observedGeneration: 1, replicas: 7 } },
      });
      const later = await apps.readNamespacedDeployment({ namespace: 'default', name: 'web' });
      assert.equal(later.metadata?.resourceVersion, written.metadata?.resourceVersion);
      assert.equal(later.status?.replicas, 7);
    } finally {
      await sim.close();
    }
  });

  it('refuses bad options, naming them', async () => {
    await assert.rejects(KubeSim.start({ workloads: { stepDelayMs: -1 } }), /workloads\.stepDelayMs/);
    await assert.rejects(KubeSim.start({ workloads: { nodes: 1.5 } }), /workloads\.nodes/);
  });

  it('close() cancels every timer it started (fake clock: none left pending)', async () => {
    const clock = new FakeClock(Date.parse('2026-01-01T00:00:00Z'));
    const sim = await KubeSim.start({ workloads: { stepDelayMs: 1_000, clock, nodes: 2 } });
    const apps = sim.kubeConfig().makeApiClient(AppsV1Api);
    await apps.createNamespacedDeployment({
      namespace: 'default',
      body: deployment('stuck', { replicas: 2 }, { [FAIL_ROLLOUTS_ANNOTATION]: 'true' }),
    });
    await apps.createNamespacedStatefulSet({
      namespace: 'default',
      body: statefulSet('db', { replicas: 2 }),
    });
    await apps.createNamespacedDaemonSet({ namespace: 'default', body: daemonSet('agent') });
    await waitFor('a timer per workload', () =>
      clock.pendingTimers === 3 ? true : `${clock.pendingTimers} timers`,
    );
    clock.advance(1_000);
    await waitFor('the stuck Deployment waits for its deadline', async () => {
      const d = await apps.readNamespacedDeployment({ namespace: 'default', name: 'stuck' });
      return d.status?.updatedReplicas === 2 && clock.pendingTimers > 0;
    });
    await sim.close();
    assert.equal(clock.pendingTimers, 0);
    await sim.close(); // idempotent
  });

  it('close() lets the process exit with rollouts and a progress deadline pending', async function () {
    this.timeout(60_000);
    const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    // A timer left behind keeps the child alive: kill it at the deadline (exit code null) so that the
    // assertion fails and nothing is left running.
    const deadline = setTimeout(() => child.kill('SIGKILL'), 45_000);
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    clearTimeout(deadline);
    assert.equal(code, 0, `child exited with ${code}: ${err}`);
    assert.equal(out, 'ready\nclosed\n');
  });
});
