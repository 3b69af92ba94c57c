import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { V1MicroTime, type KubeConfig } from '@kubernetes/client-node';
import { KubeSim } from '../../../src/envtest/kube-sim/index.js';
import { LeaseClient } from '../../../src/kube/index.js';
import { LeaderElector } from '../../../src/runtime/index.js';
import { waitFor } from '../kube/support.js';
import { FaultyProxy } from './fixtures/faulty-proxy.js';

const TIMING = { leaseDurationMs: 3_000, renewDeadlineMs: 2_000, retryPeriodMs: 250 };
/** Slack for timers and HTTP on a loaded 2-core machine. */
const SLACK_MS = 750;
const CANDIDATE = fileURLToPath(new URL('./fixtures/candidate.ts', import.meta.url));

/** Leadership intervals of every candidate, on Date.now(); `end` undefined = still leading. */
class Intervals {
  readonly list: { id: string; start: number; end?: number }[] = [];
  started(id: string, at = Date.now()): void {
    this.list.push({ id, start: at });
  }
  stopped(id: string, at = Date.now()): void {
    const open = this.list.find((i) => i.id === id && i.end === undefined);
    if (open) open.end = at;
  }
  /** Fails if two candidates ever acted at the same time. */
  assertNoOverlap(): void {
    const sorted = [...this.list].sort((a, b) => a.start - b.start);
    for (let i = 1; i < sorted.length; i++) {
      const prev = sorted[i - 1]!;
      const cur = sorted[i]!;
      assert.ok(
        prev.end !== undefined && cur.start >= prev.end,
        `${cur.id} started leading at ${cur.start} while ${prev.id} led until ${prev.end ?? 'now'}: ${JSON.stringify(sorted)}`,
      );
    }
  }
}

describe('LeaderElector on a coordination.k8s.io/v1 Lease (client-node against the simulator)', function () {
  this.timeout(90_000);
  let sim: KubeSim;
  let intervals: Intervals;
  const cleanups: (() => Promise<unknown> | void)[] = [];

  function candidate(id: string, kubeConfig: KubeConfig, onStopped?: () => void): LeaderElector {
    const elector = new LeaderElector({
      ...TIMING,
      leases: new LeaseClient(kubeConfig),
      namespace: 'default',
      name: 'lock',
      identity: id,
      callbacks: {
        onStartedLeading: () => intervals.started(id),
        onStoppedLeading: () => {
          intervals.stopped(id);
          onStopped?.();
        },
      },
    });
    cleanups.push(() => elector.close());
    return elector;
  }

  async function lease() {
    return new LeaseClient(sim.kubeConfig()).get('default', 'lock');
  }

  /** The usual opening: `a` starts and leads, then `b` starts and has seen `a` hold the lease. */
  async function leaderAndStandby(a: LeaderElector, b: LeaderElector): Promise<void> {
    a.start();
    await waitFor('a to lead', () => a.isLeader());
    b.start();
    await waitFor('b to see a lead', async () => (await lease()).spec?.holderIdentity === 'a');
  }

  beforeEach(async () => {
    sim = await KubeSim.start({ port: 0 });
    intervals = new Intervals();
  });

  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
    await sim.close();
  });

  it('lets one candidate lead while the other stands by', async () => {
    const a = candidate('a', sim.kubeConfig());
    const b = candidate('b', sim.kubeConfig());
    a.start();
    await waitFor('a to lead', () => a.isLeader());
    b.start();
    // Watch over a whole lease duration: the standby must never take over a lease that is renewed.
    const until = Date.now() + TIMING.leaseDurationMs + 500;
    await waitFor('a lease duration to pass', () => {
      assert.equal(b.isLeader(), false, 'the standby took over a renewed lease');
      assert.equal(a.isLeader(), true, 'the leader lost a lease it renews');
      return Date.now() > until;
    });
    const l = await lease();
    assert.equal(l.spec?.holderIdentity, 'a');
    assert.equal(l.spec?.leaseDurationSeconds, 3);
    assert.equal(l.spec?.leaseTransitions, 0);
    assert.ok(new Date(l.spec.renewTime!).getTime() > Date.now() - 2 * TIMING.retryPeriodMs - SLACK_MS);
    const raw = (await (
      await fetch(`${sim.url}/apis/coordination.k8s.io/v1/namespaces/default/leases/lock`)
    ).json()) as {
      spec: { renewTime: string; acquireTime: string };
    };
    assert.match(raw.spec.renewTime, /T\d\d:\d\d:\d\d\.\d{6}Z$/, 'MicroTime carries six fractional digits');
    assert.match(raw.spec.acquireTime, /\.\d{6}Z$/);
    intervals.assertNoOverlap();
  });

  it('takes over a lease whose holder vanished before it started, once it has watched it stay unchanged', async () => {
    const stale = new V1MicroTime(Date.now() - 60_000);
    await new LeaseClient(sim.kubeConfig()).create({
      metadata: { name: 'lock', namespace: 'default' },
      spec: {
        holderIdentity: 'ghost',
        leaseDurationSeconds: 3,
        renewTime: stale,
        acquireTime: stale,
        leaseTransitions: 4,
      },
    });
    const b = candidate('b', sim.kubeConfig());
    const startedAt = Date.now();
    b.start();
    await waitFor('b to lead', () => b.isLeader());
    const waited = Date.now() - startedAt;
    // Clocks of other machines are not trusted: the lease must be seen unchanged for its whole duration.
    assert.ok(waited >= TIMING.leaseDurationMs, `took over after ${waited} ms`);
    assert.ok(
      waited <= TIMING.leaseDurationMs + 2 * TIMING.retryPeriodMs * 1.2 + SLACK_MS,
      `took ${waited} ms`,
    );
    const l = await lease();
    assert.equal(l.spec?.holderIdentity, 'b');
    assert.equal(l.spec?.leaseTransitions, 5);
  });

  it('hands over at once when the leader releases the lease on shutdown', async () => {
    const a = candidate('a', sim.kubeConfig());
    const b = candidate('b', sim.kubeConfig());
    await leaderAndStandby(a, b);
    await a.close();
    const releasedAt = Date.now();
    assert.equal((await lease()).spec?.holderIdentity ?? '', '', 'the lease was released');
    await waitFor('b to lead', () => b.isLeader());
    const handover = Date.now() - releasedAt;
    assert.ok(handover < TIMING.leaseDurationMs / 2, `took ${handover} ms; a released lease needs no expiry`);
    const l = await lease();
    assert.equal(l.spec?.holderIdentity, 'b');
    assert.equal(l.spec?.leaseTransitions, 1);
    intervals.assertNoOverlap();
  });

  it('takes over within the lease duration when the leader is killed without releasing', async () => {
    const child: ChildProcess = spawn(
      process.execPath,
      ['--import', 'tsx', CANDIDATE, sim.url, 'killed', JSON.stringify(TIMING)],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = new Promise((resolve) => child.once('exit', resolve));
    cleanups.push(async () => {
      child.kill('SIGKILL');
      await exited;
    });
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      const [what, at] = line.split(' ');
      if (what === 'leading') intervals.started('killed', Number(at));
      if (what === 'stopped') intervals.stopped('killed', Number(at));
    });
    await waitFor('the child to lead', () => intervals.list.some((i) => i.id === 'killed'), 60_000);
    const b = candidate('b', sim.kubeConfig());
    b.start();
    await waitFor('b to see the child lead', async () => (await lease()).spec?.holderIdentity === 'killed');
    child.kill('SIGKILL');
    await exited;
    const killedAt = Date.now();
    intervals.stopped('killed', killedAt); // a dead process acts no more
    await waitFor('b to lead', () => b.isLeader());
    const takeover = Date.now() - killedAt;
    const bound = TIMING.leaseDurationMs + 2 * TIMING.retryPeriodMs * 1.2 + SLACK_MS;
    assert.ok(takeover <= bound, `took over after ${takeover} ms (bound ${bound} ms)`);
    const l = await lease();
    assert.equal(l.spec?.holderIdentity, 'b');
    assert.equal(l.spec?.leaseTransitions, 1);
    intervals.assertNoOverlap();
  });

  for (const mode of ['fail', 'hang'] as const) {
    it(`stops acting at once when its renewals ${mode === 'fail' ? 'fail with 500' : 'hang'} past the renew deadline, before the standby takes over`, async () => {
      const proxy = await FaultyProxy.start(sim.url);
      cleanups.push(() => proxy.close());
      let standbyLedWhenLeaderStopped: boolean | undefined;
      const b = candidate('b', sim.kubeConfig());
      const a = candidate('a', proxy.kubeConfig(), () => (standbyLedWhenLeaderStopped = b.isLeader()));
      await leaderAndStandby(a, b);
      proxy.mode = mode;
      const partitionedAt = Date.now();
      await waitFor('a to stop leading', () => !a.isLeader());
      const stoppedAfter = Date.now() - partitionedAt;
      assert.ok(
        stoppedAfter <= TIMING.renewDeadlineMs + SLACK_MS,
        `a kept acting ${stoppedAfter} ms after its renewals began to fail`,
      );
      assert.equal(
        standbyLedWhenLeaderStopped,
        false,
        'the standby was leading while the old leader still acted',
      );
      assert.ok(proxy.faulted > 0);
      await waitFor('b to take over', () => b.isLeader());
      assert.equal((await lease()).spec?.holderIdentity, 'b');
      assert.equal(a.isLeader(), false, 'the partitioned candidate cannot lead again');
      intervals.assertNoOverlap();
      const aInterval = intervals.list.find((i) => i.id === 'a')!;
      const bInterval = intervals.list.find((i) => i.id === 'b')!;
      assert.ok(bInterval.start - aInterval.end! > 0, 'a gap separates the two terms');
    });
  }

  it('stops at the renew deadline while the server delays lease writes, and the two never overlap', async () => {
    const a = candidate('a', sim.kubeConfig());
    const b = candidate('b', sim.kubeConfig());
    await leaderAndStandby(a, b);
    sim.faults.delay({ verb: 'update', resource: 'leases', ms: TIMING.leaseDurationMs * 2 });
    const delayedAt = Date.now();
    await waitFor('a to stop leading', () => !a.isLeader());
    assert.ok(Date.now() - delayedAt <= TIMING.renewDeadlineMs + SLACK_MS);
    sim.faults.clear();
    await waitFor('someone to lead again', () => a.isLeader() || b.isLeader(), 30_000);
    intervals.assertNoOverlap();
  });

  it('rides out a few failed renewals that stay within the renew deadline', async () => {
    const a = candidate('a', sim.kubeConfig());
    const b = candidate('b', sim.kubeConfig());
    await leaderAndStandby(a, b);
    // Only the leader writes the lease while it is healthy, so these failures all hit its renewals.
    sim.faults.failNext({ verb: 'update', resource: 'leases', count: 3, status: 500 });
    const until = Date.now() + TIMING.leaseDurationMs;
    await waitFor('a lease duration to pass', () => Date.now() > until);
    assert.equal(a.isLeader(), true);
    assert.equal(b.isLeader(), false);
    assert.equal(intervals.list.length, 1, 'leadership never changed hands');
  });

  it('lets exactly one of two candidates that start together win, through optimistic concurrency', async () => {
    const a = candidate('a', sim.kubeConfig());
    const b = candidate('b', sim.kubeConfig());
    a.start();
    b.start();
    await waitFor('someone to lead', () => a.isLeader() || b.isLeader());
    const until = Date.now() + TIMING.leaseDurationMs;
    await waitFor('a lease duration to pass', () => {
      assert.ok(!(a.isLeader() && b.isLeader()), 'both lead');
      return Date.now() > until;
    });
    assert.equal(intervals.list.length, 1);
    assert.equal((await lease()).spec?.leaseTransitions, 0);
    intervals.assertNoOverlap();
  });
});
