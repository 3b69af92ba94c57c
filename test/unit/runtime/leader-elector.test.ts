import { strict as assert } from 'node:assert';
import type { V1Lease } from '@kubernetes/client-node';
import {
  AlreadyExistsError,
  ConflictError,
  NotFoundError,
  ServerError,
  type CallOptions,
} from '../../../src/kube/index.js';
import { FakeClock, FakeLeaderElector, LeaderElector, type LeaseStore } from '../../../src/runtime/index.js';
import { flush } from './support.js';

/** One in-memory Lease with resourceVersion checks, shared by candidates. */
class MemoryLeases {
  lease: V1Lease | undefined;
  private rv = 0;
  readonly writes: { by: string; holder: string }[] = [];

  /** A view for one candidate; `partitioned` makes its calls fail, `hang` makes them never answer. */
  view(who: string): LeaseStore & { partitioned: boolean; hang: boolean } {
    const copy = (l: V1Lease): V1Lease => structuredClone(l);
    const gate = async (options?: CallOptions): Promise<void> => {
      await Promise.resolve();
      if (view.hang) {
        await new Promise<void>((_, reject) =>
          options?.signal?.addEventListener('abort', () => reject(new Error('aborted'))),
        );
      }
      if (view.partitioned) throw new ServerError('partitioned', 500, undefined);
    };
    const view = {
      partitioned: false,
      hang: false,
      get: async (_ns: string, _name: string, options?: CallOptions) => {
        await gate(options);
        if (!this.lease) throw new NotFoundError('not found', 404, 'NotFound');
        return copy(this.lease);
      },
      create: async (lease: V1Lease, options?: CallOptions) => {
        await gate(options);
        if (this.lease) throw new AlreadyExistsError('exists', 409, 'AlreadyExists');
        this.lease = { ...copy(lease), metadata: { ...lease.metadata, resourceVersion: String(++this.rv) } };
        this.writes.push({ by: who, holder: lease.spec?.holderIdentity ?? '' });
        return copy(this.lease);
      },
      replace: async (lease: V1Lease, options?: CallOptions) => {
        await gate(options);
        if (lease.metadata?.resourceVersion !== this.lease?.metadata?.resourceVersion) {
          throw new ConflictError('conflict', 409, 'Conflict');
        }
        this.lease = { ...copy(lease), metadata: { ...lease.metadata, resourceVersion: String(++this.rv) } };
        this.writes.push({ by: who, holder: lease.spec?.holderIdentity ?? '' });
        return copy(this.lease);
      },
    };
    return view;
  }
}

const TIMING = { leaseDurationMs: 3_000, renewDeadlineMs: 2_000, retryPeriodMs: 500 };

/** Records each candidate's leadership intervals on the fake clock. */
function candidate(
  id: string,
  leases: MemoryLeases,
  clock: FakeClock,
  intervals: [string, number, number][],
) {
  const store = leases.view(id);
  let started = 0;
  const elector = new LeaderElector({
    ...TIMING,
    leases: store,
    namespace: 'ns',
    name: 'lock',
    identity: id,
    clock,
    random: () => 0,
    callbacks: {
      onStartedLeading: () => {
        started = clock.now();
      },
      onStoppedLeading: () => {
        intervals.push([id, started, clock.now()]);
      },
    },
  });
  return { elector, store };
}

/** Advances fake time in small steps, letting promise chains run between steps. */
async function tick(clock: FakeClock, ms: number, stepMs = 10): Promise<void> {
  for (let t = 0; t < ms; t += stepMs) {
    clock.advance(stepMs);
    await flush();
  }
}

async function until(clock: FakeClock, cond: () => boolean, maxMs: number): Promise<number> {
  const start = clock.now();
  while (!cond()) {
    if (clock.now() - start > maxMs) throw new Error(`condition not met within ${maxMs} ms of fake time`);
    await tick(clock, 10);
  }
  return clock.now() - start;
}

function assertNoOverlap(intervals: [string, number, number][]): void {
  const sorted = [...intervals].sort((a, b) => a[1] - b[1]);
  for (let i = 1; i < sorted.length; i++) {
    assert.ok(sorted[i]![1] >= sorted[i - 1]![2], `leadership overlapped: ${JSON.stringify(sorted)}`);
  }
}

describe('LeaderElector (in-memory Lease, fake clock)', () => {
  it('validates its timing options once, with a message saying what to fix', () => {
    const leases = new MemoryLeases().view('a');
    const base = {
      leases,
      namespace: 'ns',
      name: 'l',
      identity: 'a',
      callbacks: { onStartedLeading: () => {} },
    };
    assert.throws(
      () => new LeaderElector({ ...base, leaseDurationMs: 2000, renewDeadlineMs: 2000 }),
      /renewDeadlineMs must be less than/,
    );
    assert.throws(() => new LeaderElector({ ...base, leaseDurationMs: 2500 }), /whole number of seconds/);
    assert.throws(
      () => new LeaderElector({ ...base, leaseDurationMs: 3000, renewDeadlineMs: 1000, retryPeriodMs: 900 }),
      /renewDeadlineMs must exceed retryPeriodMs/,
    );
    assert.throws(() => new LeaderElector({ ...base, identity: '' }), /set options.identity/);
  });

  it('lets one candidate lead while the other stands by, renewing every retry period', async () => {
    const clock = new FakeClock();
    const leases = new MemoryLeases();
    const intervals: [string, number, number][] = [];
    const a = candidate('a', leases, clock, intervals);
    const b = candidate('b', leases, clock, intervals);
    a.elector.start();
    await until(clock, () => a.elector.isLeader(), 100);
    b.elector.start();
    await tick(clock, 5_000);
    assert.equal(a.elector.isLeader(), true);
    assert.equal(b.elector.isLeader(), false);
    assert.equal(leases.lease?.spec?.holderIdentity, 'a');
    assert.equal(leases.lease?.spec?.leaseDurationSeconds, 3);
    assert.ok(leases.writes.filter((w) => w.by === 'a').length >= 9, 'renewed about every 500 ms');
    assert.equal(leases.writes.filter((w) => w.by === 'b').length, 0, 'the standby never wrote');
    await b.elector.close();
    await a.elector.close();
  });

  it('releases on close so the standby takes over at its next attempt', async () => {
    const clock = new FakeClock();
    const leases = new MemoryLeases();
    const intervals: [string, number, number][] = [];
    const a = candidate('a', leases, clock, intervals);
    const b = candidate('b', leases, clock, intervals);
    a.elector.start();
    await until(clock, () => a.elector.isLeader(), 100);
    b.elector.start();
    await tick(clock, 1_000);
    await a.elector.close();
    assert.equal(leases.lease?.spec?.holderIdentity, '');
    const waited = await until(clock, () => b.elector.isLeader(), 3_000);
    assert.ok(waited <= 510, `standby took ${waited} ms`);
    assert.equal(leases.lease?.spec?.leaseTransitions, 1);
    assertNoOverlap(intervals);
    await b.elector.close();
  });

  it('stops acting exactly at the renew deadline when renewals fail, before the standby takes over', async () => {
    const clock = new FakeClock();
    const leases = new MemoryLeases();
    const intervals: [string, number, number][] = [];
    const a = candidate('a', leases, clock, intervals);
    const b = candidate('b', leases, clock, intervals);
    a.elector.start();
    await until(clock, () => a.elector.isLeader(), 100);
    b.elector.start();
    await tick(clock, 1_000);
    a.store.partitioned = true;
    const lastWriteAt = clock.now();
    await until(clock, () => !a.elector.isLeader(), 3_000);
    const stoppedAfter = clock.now() - lastWriteAt;
    assert.ok(stoppedAfter <= TIMING.renewDeadlineMs, `stopped ${stoppedAfter} ms after the last renewal`);
    assert.equal(b.elector.isLeader(), false, 'the standby has not taken over yet');
    await until(clock, () => b.elector.isLeader(), 5_000);
    assert.equal(leases.lease?.spec?.holderIdentity, 'b');
    assertNoOverlap(intervals);
    await a.elector.close();
    await b.elector.close();
  });

  it('stops at the deadline even while a renewal request hangs', async () => {
    const clock = new FakeClock();
    const leases = new MemoryLeases();
    const intervals: [string, number, number][] = [];
    const a = candidate('a', leases, clock, intervals);
    a.elector.start();
    await until(clock, () => a.elector.isLeader(), 100);
    await tick(clock, 500);
    a.store.hang = true;
    const hungAt = clock.now();
    await until(clock, () => !a.elector.isLeader(), 3_000);
    assert.ok(clock.now() - hungAt <= TIMING.renewDeadlineMs + 10);
    assert.equal(intervals.length, 1);
    a.store.hang = false;
    await a.elector.close();
  });

  it('stops at once, without waiting for the deadline, when a renewal finds another holder', async () => {
    const clock = new FakeClock();
    const leases = new MemoryLeases();
    const intervals: [string, number, number][] = [];
    const a = candidate('a', leases, clock, intervals);
    a.elector.start();
    await until(clock, () => a.elector.isLeader(), 100);
    await tick(clock, 300);
    const intruder = leases.view('intruder');
    const current = await intruder.get('ns', 'lock');
    await intruder.replace({ ...current, spec: { ...current.spec, holderIdentity: 'intruder' } });
    const waited = await until(clock, () => !a.elector.isLeader(), 3_000);
    assert.ok(waited <= TIMING.retryPeriodMs + 20, `kept acting ${waited} ms after losing the lease`);
    await a.elector.close();
    assert.equal(leases.lease?.spec?.holderIdentity, 'intruder', 'close() does not release a lease it lost');
  });

  it('lets exactly one of two candidates win a free lease', async () => {
    const clock = new FakeClock();
    const leases = new MemoryLeases();
    const intervals: [string, number, number][] = [];
    const a = candidate('a', leases, clock, intervals);
    const b = candidate('b', leases, clock, intervals);
    a.elector.start();
    b.elector.start();
    await tick(clock, 3_000);
    assert.equal([a.elector.isLeader(), b.elector.isLeader()].filter(Boolean).length, 1);
    await a.elector.close();
    await b.elector.close();
    assertNoOverlap(intervals);
  });
});

describe('FakeLeaderElector', () => {
  it('starts and stops leading when the test says so', async () => {
    const events: string[] = [];
    let signal: AbortSignal | undefined;
    const fake = new FakeLeaderElector({
      leadOnStart: false,
      callbacks: {
        onStartedLeading: (s) => {
          signal = s;
          events.push('started');
        },
        onStoppedLeading: () => events.push('stopped'),
      },
    });
    fake.start();
    assert.equal(fake.isLeader(), false);
    await fake.elect();
    assert.equal(fake.isLeader(), true);
    assert.equal(signal?.aborted, false);
    fake.depose();
    assert.equal(signal?.aborted, true);
    await fake.elect();
    await fake.close();
    assert.deepEqual(events, ['started', 'stopped', 'started', 'stopped']);
    assert.equal(fake.terms, 2);
  });
});
