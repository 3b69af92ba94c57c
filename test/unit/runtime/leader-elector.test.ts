import { strict as assert } from 'node:assert';
import { V1MicroTime, type V1Lease } from '@kubernetes/client-node';
import { FakeClock } from '../../../src/base/index.js';
import {
  AlreadyExistsError,
  ConflictError,
  NotFoundError,
  ServerError,
  type CallOptions,
} from '../../../src/kube/index.js';
import {
  FakeLeaderElector,
  LeaderElector,
  type LeaseStore,
  type LeaseWatch,
  type LeaseWatchHandlers,
} from '../../../src/runtime/index.js';
import { flush } from './support.js';

/** One in-memory Lease with resourceVersion checks, shared by candidates. */
class MemoryLeases {
  lease: V1Lease | undefined;
  private rv = 0;
  readonly writes: { by: string; holder: string; at: number }[] = [];
  private readonly watches = new Set<MemoryWatch>();

  constructor(private readonly clock?: FakeClock) {}

  /** A watch on this Lease for one candidate; it delivers each write a microtask later, while `watching`. */
  watch(): MemoryWatch {
    const w = new MemoryWatch();
    this.watches.add(w);
    return w;
  }

  private written(by: string, lease: V1Lease): void {
    this.writes.push({ by, holder: lease.spec?.holderIdentity ?? '', at: this.clock?.now() ?? 0 });
    const snapshot = structuredClone(lease);
    for (const w of this.watches) w.deliver(snapshot);
  }

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
        this.written(who, this.lease);
        return copy(this.lease);
      },
      replace: async (lease: V1Lease, options?: CallOptions) => {
        await gate(options);
        if (lease.metadata?.resourceVersion !== this.lease?.metadata?.resourceVersion) {
          throw new ConflictError('conflict', 409, 'Conflict');
        }
        this.lease = { ...copy(lease), metadata: { ...lease.metadata, resourceVersion: String(++this.rv) } };
        this.written(who, this.lease);
        return copy(this.lease);
      },
    };
    return view;
  }
}

/** A {@link LeaseWatch} fed by {@link MemoryLeases}; `watching = false` models a watch that is down. */
class MemoryWatch implements LeaseWatch {
  watching = true;
  closed = false;
  private handlers: LeaseWatchHandlers | undefined;

  start(handlers: LeaseWatchHandlers): void {
    this.handlers = handlers;
  }

  isWatching(): boolean {
    return this.watching && !this.closed;
  }

  deliver(lease: V1Lease): void {
    if (!this.watching || this.closed) return;
    queueMicrotask(() => this.handlers?.onLease(structuredClone(lease)));
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

const TIMING = { leaseDurationMs: 3_000, renewDeadlineMs: 2_000, retryPeriodMs: 500 };

/** Records each candidate's leadership intervals on the fake clock. */
function candidate(
  id: string,
  leases: MemoryLeases,
  clock: FakeClock,
  intervals: [string, number, number][],
  watch?: LeaseWatch,
) {
  const store = leases.view(id);
  let started = 0;
  const elector = new LeaderElector({
    ...TIMING,
    ...(watch ? { watch } : {}),
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

describe('LeaderElector with a Lease watch (fake clock)', () => {
  /** Kills `a` as SIGKILL would: it never writes again (its requests hang) and acts no longer. */
  function kill(a: ReturnType<typeof candidate>): void {
    a.store.hang = true;
  }

  it('a watching standby attempts the takeover exactly one lease duration after it saw the last renewal', async () => {
    const clock = new FakeClock();
    const leases = new MemoryLeases(clock);
    const intervals: [string, number, number][] = [];
    const a = candidate('a', leases, clock, intervals, leases.watch());
    const b = candidate('b', leases, clock, intervals, leases.watch());
    a.elector.start();
    await until(clock, () => a.elector.isLeader(), 100);
    b.elector.start();
    await tick(clock, 2_000);
    kill(a);
    const lastRenewal = leases.writes.filter((w) => w.by === 'a').at(-1)!.at;
    await until(clock, () => b.elector.isLeader(), 10_000);
    const takeover = leases.writes.find((w) => w.by === 'b')!.at;
    assert.ok(
      takeover - lastRenewal >= TIMING.leaseDurationMs &&
        takeover - lastRenewal <= TIMING.leaseDurationMs + 10,
      `took over ${takeover - lastRenewal} ms after the last renewal (lease ${TIMING.leaseDurationMs} ms)`,
    );
    assertNoOverlap(intervals);
    assert.equal(leases.writes.filter((w) => w.by === 'b').length, 1, 'one write: the takeover itself');
    a.store.hang = false;
    await a.elector.close();
    await b.elector.close();
  });

  it('while watching, the standby reads the Lease only when it expires (no polling)', async () => {
    const clock = new FakeClock();
    const leases = new MemoryLeases(clock);
    const intervals: [string, number, number][] = [];
    const a = candidate('a', leases, clock, intervals, leases.watch());
    const b = candidate('b', leases, clock, intervals, leases.watch());
    let reads = 0;
    const get = b.store.get.bind(b.store);
    b.store.get = (...args) => {
      reads++;
      return get(...args);
    };
    a.elector.start();
    await until(clock, () => a.elector.isLeader(), 100);
    b.elector.start();
    await tick(clock, 10_000);
    assert.equal(reads, 1, 'only the first attempt read the Lease; renewals came through the watch');
    assert.equal(b.elector.isLeader(), false);
    await a.elector.close();
    await b.elector.close();
  });

  it('measures expiry on its own clock, never from the holder’s renewTime', async () => {
    const clock = new FakeClock();
    const leases = new MemoryLeases(clock);
    const intervals: [string, number, number][] = [];
    const b = candidate('b', leases, clock, intervals, leases.watch());
    // A holder whose clock is an hour behind writes a Lease that looks long expired, then dies.
    const other = leases.view('skewed');
    await other.create({
      metadata: { namespace: 'ns', name: 'lock' },
      spec: {
        holderIdentity: 'skewed',
        leaseDurationSeconds: 3,
        renewTime: new V1MicroTime(clock.now() - 3_600_000),
      },
    });
    const seenAt = clock.now();
    b.elector.start();
    await until(clock, () => b.elector.isLeader(), 10_000);
    const waited = leases.writes.find((w) => w.by === 'b')!.at - seenAt;
    assert.ok(waited >= 3_000 && waited <= 3_010, `took over after ${waited} ms, want 3000`);
    await b.elector.close();
  });

  it('falls back to polling every retry period while the watch is down', async () => {
    const clock = new FakeClock();
    const leases = new MemoryLeases(clock);
    const intervals: [string, number, number][] = [];
    const a = candidate('a', leases, clock, intervals, leases.watch());
    const bWatch = leases.watch();
    bWatch.watching = false;
    const b = candidate('b', leases, clock, intervals, bWatch);
    let reads = 0;
    const get = b.store.get.bind(b.store);
    b.store.get = (...args) => {
      reads++;
      return get(...args);
    };
    a.elector.start();
    await until(clock, () => a.elector.isLeader(), 100);
    b.elector.start();
    await tick(clock, 5_000);
    assert.ok(reads >= 9 && reads <= 11, `polled ${reads} times in 5 s at a 500 ms retry period`);
    kill(a);
    const lastRenewal = leases.writes.filter((w) => w.by === 'a').at(-1)!.at;
    await until(clock, () => b.elector.isLeader(), 10_000);
    const took = leases.writes.find((w) => w.by === 'b')!.at - lastRenewal;
    assert.ok(took <= TIMING.leaseDurationMs + TIMING.retryPeriodMs + 10, `took over after ${took} ms`);
    assertNoOverlap(intervals);
    a.store.hang = false;
    await a.elector.close();
    await b.elector.close();
  });

  it('takes a released Lease as soon as the watch shows the release', async () => {
    const clock = new FakeClock();
    const leases = new MemoryLeases(clock);
    const intervals: [string, number, number][] = [];
    const a = candidate('a', leases, clock, intervals, leases.watch());
    const b = candidate('b', leases, clock, intervals, leases.watch());
    a.elector.start();
    await until(clock, () => a.elector.isLeader(), 100);
    b.elector.start();
    await tick(clock, 1_000);
    await a.elector.close();
    const releasedAt = leases.writes.at(-1)!.at;
    await until(clock, () => b.elector.isLeader(), 3_000);
    const took = leases.writes.find((w) => w.by === 'b')!.at - releasedAt;
    assert.ok(took <= 10, `took the released lease after ${took} ms`);
    assertNoOverlap(intervals);
    await b.elector.close();
  });

  it('closes the watch it was given', async () => {
    const leases = new MemoryLeases();
    const watch = leases.watch();
    const a = candidate('a', leases, new FakeClock(), [], watch);
    a.elector.start();
    await a.elector.close();
    assert.equal(watch.closed, true);
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
