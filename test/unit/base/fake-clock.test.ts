import { strict as assert } from 'node:assert';
import { FakeClock } from '../../../src/base/index.js';

describe('FakeClock', () => {
  it('fires due timers in time order on advance(), including timers they set within the window', () => {
    const clock = new FakeClock(0);
    const fired: string[] = [];
    clock.setTimer(() => fired.push('b@20'), 20);
    clock.setTimer(() => {
      fired.push('a@10');
      clock.setTimer(() => fired.push(`c@${clock.now()}`), 5);
    }, 10);
    assert.equal(clock.nextTimerAt(), 10);
    clock.advance(30);
    assert.deepEqual(fired, ['a@10', 'c@15', 'b@20']);
    assert.equal(clock.now(), 30);
    assert.equal(clock.pendingTimers, 0);
  });

  it('never fires a cancelled timer', () => {
    const clock = new FakeClock();
    let fired = false;
    const cancel = clock.setTimer(() => (fired = true), 10);
    cancel();
    clock.advance(100);
    assert.equal(fired, false);
    assert.equal(clock.nextTimerAt(), undefined);
  });
});
