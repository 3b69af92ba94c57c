import { strict as assert } from 'node:assert';
import { FakeClock } from '../../../src/base/index.js';
import {
  Controller,
  ItemExponentialRateLimiter,
  TerminalError,
  type ReconcileContext,
  type ReconcileOutcome,
  type Reconciler,
  type Request,
  type Result,
} from '../../../src/runtime/index.js';
import { deferred, flush, isSettled, RecordingLogger } from './support.js';

type Handler = (req: Request, ctx: ReconcileContext, call: number) => Result | Promise<Result>;

/** A reconciler whose behaviour each test scripts, and which records every call. */
class ScriptedReconciler implements Reconciler {
  readonly calls: { req: Request; ctx: ReconcileContext }[] = [];
  running = 0;
  maxRunning = 0;
  readonly runningKeys = new Set<string>();
  overlapSeen = false;
  constructor(private readonly handler: Handler = () => ({})) {}
  async reconcile(req: Request, ctx: ReconcileContext): Promise<Result> {
    const key = `${req.namespace ?? ''}/${req.name}`;
    if (this.runningKeys.has(key)) this.overlapSeen = true;
    this.runningKeys.add(key);
    this.calls.push({ req, ctx });
    this.running++;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    try {
      return await this.handler(req, ctx, this.calls.filter((c) => c.req.name === req.name).length);
    } finally {
      this.running--;
      this.runningKeys.delete(key);
    }
  }
  callsFor(name: string): number {
    return this.calls.filter((c) => c.req.name === name).length;
  }
}

function setup(handler?: Handler, workers = 1) {
  const clock = new FakeClock();
  const logger = new RecordingLogger();
  const reconciler = new ScriptedReconciler(handler);
  const outcomes: ReconcileOutcome[] = [];
  let id = 0;
  const controller = new Controller({
    name: 'test',
    reconciler,
    workers,
    clock,
    logger,
    rateLimiter: new ItemExponentialRateLimiter(10, 1_000),
    newReconcileId: () => `rid-${++id}`,
    metrics: { observeReconcile: (_c, o) => outcomes.push(o), setActiveWorkers: () => undefined },
  });
  return { clock, logger, reconciler, controller, outcomes };
}

describe('Controller', () => {
  it('refuses invalid options with a message naming the field', () => {
    const reconciler = new ScriptedReconciler();
    assert.throws(
      () => new Controller({ name: 'x', reconciler, workers: 0 }),
      /workers must be an integer >= 1/,
    );
    assert.throws(() => new Controller({ name: '', reconciler }), /set options.name/);
  });

  it('reconciles an enqueued request with a signal and a reconcile ID on every log line', async () => {
    const { controller, reconciler, logger } = setup((_req, ctx) => {
      ctx.logger.info('inside reconcile');
      return {};
    });
    controller.start();
    controller.enqueue({ namespace: 'ns', name: 'a' });
    await flush();
    assert.equal(reconciler.calls.length, 1);
    const { req, ctx } = reconciler.calls[0]!;
    assert.deepEqual(req, { namespace: 'ns', name: 'a' });
    assert.equal(ctx.signal.aborted, false);
    assert.equal(ctx.reconcileId, 'rid-1');
    const inside = logger.lines.find((l) => l.message === 'inside reconcile');
    assert.deepEqual(inside?.fields, {
      controller: 'test',
      namespace: 'ns',
      name: 'a',
      reconcileID: 'rid-1',
    });
    const perReconcile = logger.lines.filter((l) => l.fields['name'] === 'a');
    assert.ok(perReconcile.length >= 2);
    for (const line of perReconcile) assert.equal(line.fields['reconcileID'], 'rid-1');
    await controller.stop();
  });

  it('coalesces triggers that arrive while a request is being reconciled into one more run', async () => {
    const gate = deferred();
    const { controller, reconciler } = setup(async (_r, _c, call) => {
      if (call === 1) await gate.promise;
      return {};
    }, 4);
    controller.start();
    controller.enqueue({ name: 'a' });
    await flush();
    for (let i = 0; i < 5; i++) controller.enqueue({ name: 'a' });
    await flush();
    assert.equal(reconciler.callsFor('a'), 1, 'not run again while the first run is in flight');
    gate.resolve();
    await flush();
    await flush();
    assert.equal(reconciler.callsFor('a'), 2);
    assert.equal(reconciler.overlapSeen, false);
    await controller.stop();
  });

  it('runs different requests in parallel up to the worker count', async () => {
    const gate = deferred();
    const { controller, reconciler } = setup(async () => {
      await gate.promise;
      return {};
    }, 3);
    controller.start();
    for (const name of ['a', 'b', 'c', 'd', 'e']) controller.enqueue({ name });
    await flush();
    assert.equal(reconciler.running, 3);
    gate.resolve();
    await flush();
    await flush();
    assert.equal(reconciler.calls.length, 5);
    assert.equal(reconciler.maxRunning, 3);
    await controller.stop();
  });

  it('retries a failing request with per-item exponential backoff without holding up others', async () => {
    const { controller, reconciler, clock, logger, outcomes } = setup((req, _c, call) => {
      if (req.name === 'bad' && call <= 3) throw new Error(`boom ${call}`);
      return {};
    });
    controller.start();
    controller.enqueue({ name: 'bad' });
    controller.enqueue({ name: 'good' });
    await flush();
    assert.equal(reconciler.callsFor('good'), 1, 'a failure of one key does not block another');
    const retryTimes: number[] = [];
    const start = clock.now();
    while (reconciler.callsFor('bad') < 4 && clock.now() - start < 10_000) {
      const before = reconciler.callsFor('bad');
      clock.advance(1);
      await flush();
      if (reconciler.callsFor('bad') > before) retryTimes.push(clock.now() - start);
    }
    assert.deepEqual(retryTimes, [10, 30, 70], 'waits 10, 20, then 40 ms between attempts');
    clock.advance(10_000);
    await flush();
    assert.equal(reconciler.callsFor('bad'), 4, 'not retried after it succeeded');
    assert.equal(controller.queue.numRequeues('bad'), 0, 'success resets the backoff');
    const errors = logger.lines.filter((l) => l.message === 'reconcile failed, will retry');
    assert.equal(errors.length, 3);
    assert.deepEqual(
      errors.map((l) => l.fields['reconcileID']),
      ['rid-1', 'rid-3', 'rid-4'],
      'each attempt has its own reconcile ID',
    );
    assert.deepEqual(outcomes.filter((o) => o === 'error').length, 3);
    await controller.stop();
  });

  it('isolates a reconciler that throws synchronously', async () => {
    const { controller, reconciler, clock } = setup();
    let calls = 0;
    const throwing: Reconciler = {
      reconcile: (req, ctx) => {
        calls++;
        if (calls === 1) throw new Error('sync throw');
        return reconciler.reconcile(req, ctx);
      },
    };
    const c = new Controller({
      name: 'sync',
      reconciler: throwing,
      clock,
      rateLimiter: new ItemExponentialRateLimiter(5, 5),
    });
    c.start();
    c.enqueue({ name: 'x' });
    await flush();
    clock.advance(5);
    await flush();
    assert.equal(calls, 2);
    await c.stop();
    await controller.stop();
  });

  it('does not retry a TerminalError and logs it with the reconcile ID', async () => {
    const { controller, reconciler, clock, logger, outcomes } = setup(() => {
      throw new TerminalError('spec.prefix must end with /');
    });
    controller.start();
    controller.enqueue({ namespace: 'ns', name: 'bad-spec' });
    await flush();
    clock.advance(60_000);
    await flush();
    assert.equal(reconciler.calls.length, 1);
    const line = logger.lines.find((l) => l.message === 'reconcile failed, not retrying');
    assert.equal(line?.level, 'error');
    assert.equal(line?.fields['reconcileID'], 'rid-1');
    assert.match(String(line?.fields['error']), /spec.prefix must end with/);
    assert.deepEqual(outcomes, ['terminal_error']);
    controller.enqueue({ namespace: 'ns', name: 'bad-spec' });
    await flush();
    assert.equal(reconciler.calls.length, 2, 'a new trigger still reconciles it');
    await controller.stop();
  });

  it('reconciles again after requeueAfterMs, not before', async () => {
    const { controller, reconciler, clock } = setup((_r, _c, call) =>
      call === 1 ? { requeueAfterMs: 500 } : {},
    );
    controller.start();
    controller.enqueue({ name: 'poll' });
    await flush();
    clock.advance(499);
    await flush();
    assert.equal(reconciler.calls.length, 1);
    clock.advance(1);
    await flush();
    assert.equal(reconciler.calls.length, 2);
    await controller.stop();
  });

  describe('stop()', () => {
    it('aborts the signal of in-flight reconciles and resolves only after they return', async () => {
      let sawAbort = false;
      const finish = deferred();
      const { controller, reconciler } = setup(async (_r, ctx) => {
        await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
        sawAbort = true;
        await finish.promise;
        return {};
      });
      controller.start();
      controller.enqueue({ name: 'long' });
      await flush();
      const stopped = controller.stop();
      await flush();
      assert.equal(sawAbort, true);
      assert.equal(await isSettled(stopped), false, 'waits for the in-flight reconcile');
      finish.resolve();
      await stopped;
      assert.equal(controller.currentState, 'stopped');
      controller.enqueue({ name: 'after' });
      await flush();
      assert.equal(reconciler.calls.length, 1, 'nothing runs after stop');
    });

    it('does not retry a reconcile that failed because it was aborted', async () => {
      const { controller, clock, outcomes } = setup(async (_r, ctx) => {
        await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
        throw new Error('aborted');
      });
      controller.start();
      controller.enqueue({ name: 'x' });
      await flush();
      await controller.stop();
      clock.advance(10_000);
      assert.deepEqual(outcomes, ['aborted']);
      assert.equal(clock.pendingTimers, 0);
    });

    it('is idempotent and safe before start()', async () => {
      const { controller } = setup();
      await Promise.all([controller.stop(), controller.stop()]);
      assert.throws(() => controller.start(), /cannot start/);
    });
  });
});
