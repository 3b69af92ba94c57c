import { strict as assert } from 'node:assert';
import { FakeClock } from '../../../src/base/index.js';
import {
  BucketRateLimiter,
  ItemExponentialRateLimiter,
  MaxOfRateLimiter,
  WorkQueue,
  type QueueMetrics,
} from '../../../src/runtime/index.js';
import { flush, isSettled } from './support.js';

function newQueue(clock = new FakeClock(), metrics?: QueueMetrics): { q: WorkQueue; clock: FakeClock } {
  const q = new WorkQueue({
    clock,
    rateLimiter: new ItemExponentialRateLimiter(10, 80),
    ...(metrics ? { metrics } : {}),
  });
  return { q, clock };
}

describe('WorkQueue', () => {
  describe('adding', () => {
    it('hands out keys in order and queues a waiting key only once', async () => {
      const { q } = newQueue();
      q.add('a');
      q.add('b');
      q.add('a');
      assert.equal(q.len(), 2);
      assert.equal(await q.get(), 'a');
      assert.equal(await q.get(), 'b');
      assert.equal(q.len(), 0);
    });

    it('wakes a worker blocked in get() when a key arrives', async () => {
      const { q } = newQueue();
      const got = q.get();
      assert.equal(await isSettled(got), false);
      q.add('x');
      assert.equal(await got, 'x');
    });
  });

  describe('while a key is being processed', () => {
    it('does not hand it out again until done(), then hands it out once', async () => {
      const { q } = newQueue();
      q.add('a');
      assert.equal(await q.get(), 'a');
      q.add('a');
      q.add('a');
      assert.equal(q.len(), 0, 'a key in processing is not queued');
      const second = q.get();
      assert.equal(await isSettled(second), false);
      q.done('a');
      assert.equal(await second, 'a');
      q.done('a');
      assert.equal(q.len(), 0, 'the two re-adds were coalesced into one');
    });

    it('never gives one key to two workers at once', async () => {
      const { q } = newQueue();
      const workers = [q.get(), q.get(), q.get()];
      q.add('a');
      q.add('a');
      q.add('b');
      await flush();
      const settled = await Promise.all(workers.map((w) => isSettled(w)));
      assert.deepEqual(settled, [true, true, false]);
      assert.deepEqual(await Promise.all(workers.slice(0, 2)), ['a', 'b']);
    });
  });

  describe('addAfter', () => {
    it('queues the key only once the delay has passed', async () => {
      const { q, clock } = newQueue();
      q.addAfter('a', 100);
      clock.advance(99);
      assert.equal(q.len(), 0);
      clock.advance(1);
      assert.equal(q.len(), 1);
      assert.equal(await q.get(), 'a');
    });

    it('keeps the earliest of several pending delays for one key', () => {
      const { q, clock } = newQueue();
      q.addAfter('a', 100);
      q.addAfter('a', 50);
      q.addAfter('a', 200);
      clock.advance(50);
      assert.equal(q.len(), 1);
      clock.advance(500);
      assert.equal(q.len(), 1, 'the cancelled and later delays added nothing more');
    });

    it('adds at once for a delay <= 0', () => {
      const { q } = newQueue();
      q.addAfter('a', 0);
      assert.equal(q.len(), 1);
    });
  });

  describe('addRateLimited', () => {
    it('backs each key off exponentially up to the cap, independently of other keys', () => {
      const { q, clock } = newQueue();
      const delays: number[] = [];
      for (let i = 0; i < 5; i++) {
        const start = clock.now();
        q.addRateLimited('a');
        while (q.len() === 0) clock.advance(1);
        delays.push(clock.now() - start);
        q.add('b'); // another key's traffic does not change a's backoff
        void q.get();
        void q.get();
        q.done('a');
        q.done('b');
      }
      assert.deepEqual(delays, [10, 20, 40, 80, 80]);
      assert.equal(q.numRequeues('a'), 5);
      assert.equal(q.numRequeues('b'), 0);
    });

    it('starts over from the base delay after forget()', () => {
      const { q, clock } = newQueue();
      q.addRateLimited('a');
      q.addRateLimited('a');
      q.forget('a');
      assert.equal(q.numRequeues('a'), 0);
      clock.advance(1_000);
      void q.get();
      q.done('a');
      q.addRateLimited('a');
      clock.advance(9);
      assert.equal(q.len(), 0);
      clock.advance(1);
      assert.equal(q.len(), 1);
    });
  });

  describe('overall rate limit', () => {
    it('spaces retries by the token bucket once the burst is spent', () => {
      const clock = new FakeClock();
      const limiter = new MaxOfRateLimiter(
        new ItemExponentialRateLimiter(1, 1),
        new BucketRateLimiter(2, 3, clock),
      );
      const delays = ['a', 'b', 'c', 'd', 'e', 'f'].map((k) => limiter.when(k));
      assert.deepEqual(delays, [1, 1, 1, 500, 1000, 1500]);
      clock.advance(10_000);
      assert.equal(limiter.when('g'), 1, 'the bucket refills over time');
    });
  });

  describe('shutdown', () => {
    it('resolves blocked and later get() calls with undefined and drops waiting and delayed keys', async () => {
      const { q, clock } = newQueue();
      const blocked = q.get();
      q.shutDown();
      assert.equal(await blocked, undefined);
      q.add('late');
      q.addAfter('later', 10);
      clock.advance(100);
      assert.equal(q.len(), 0);
      assert.equal(await q.get(), undefined);
      assert.equal(clock.pendingTimers, 0, 'no timer is left behind');
    });

    it('shutDownWithDrain() waits until every handed-out key is done', async () => {
      const { q } = newQueue();
      q.add('a');
      q.add('b');
      await q.get();
      await q.get();
      const drained = q.shutDownWithDrain();
      q.done('a');
      assert.equal(await isSettled(drained), false);
      q.done('b');
      assert.equal(await isSettled(drained), true);
    });

    it('does not requeue a key re-added during processing once shut down', async () => {
      const { q } = newQueue();
      q.add('a');
      await q.get();
      q.add('a');
      const drained = q.shutDownWithDrain();
      q.done('a');
      await drained;
      assert.equal(q.len(), 0);
    });
  });

  describe('metrics', () => {
    it('reports depth, adds, retries, queue latency and work duration', async () => {
      const seen = {
        depth: [] as number[],
        adds: 0,
        retries: 0,
        latency: [] as number[],
        work: [] as number[],
      };
      const metrics: QueueMetrics = {
        setDepth: (d) => seen.depth.push(d),
        incAdds: () => seen.adds++,
        incRetries: () => seen.retries++,
        observeQueueLatencyMs: (ms) => seen.latency.push(ms),
        observeWorkDurationMs: (ms) => seen.work.push(ms),
      };
      const { q, clock } = newQueue(new FakeClock(), metrics);
      q.add('a');
      q.add('a');
      q.add('b');
      clock.advance(7);
      await q.get();
      clock.advance(30);
      q.done('a');
      q.addRateLimited('a');
      assert.equal(seen.adds, 3);
      assert.equal(seen.retries, 1);
      assert.deepEqual(seen.latency, [7]);
      assert.deepEqual(seen.work, [30]);
      assert.deepEqual(seen.depth, [1, 2, 1]);
    });
  });
});
