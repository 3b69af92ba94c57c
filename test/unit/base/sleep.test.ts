import { strict as assert } from 'node:assert';
import { FakeClock, sleep } from '../../../src/base/index.js';

describe('sleep', () => {
  it('resolves true once the full delay has passed on the clock', async () => {
    const clock = new FakeClock();
    let result: boolean | undefined;
    const slept = sleep(clock, 100).then((r) => (result = r));
    clock.advance(99);
    await Promise.resolve();
    assert.equal(result, undefined);
    clock.advance(1);
    await slept;
    assert.equal(result, true);
  });

  describe('when the signal aborts', () => {
    it('resolves false at once and cancels its timer', async () => {
      const clock = new FakeClock();
      const stop = new AbortController();
      const slept = sleep(clock, 1_000, stop.signal);
      assert.equal(clock.pendingTimers, 1);
      stop.abort();
      assert.equal(await slept, false);
      assert.equal(clock.pendingTimers, 0);
    });

    it('resolves false without a timer when the signal has already aborted', async () => {
      const clock = new FakeClock();
      assert.equal(await sleep(clock, 1_000, AbortSignal.abort()), false);
      assert.equal(clock.pendingTimers, 0);
    });
  });
});
