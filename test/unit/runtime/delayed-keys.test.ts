// The work queue's delayed adds: keys handed out when their time comes, in time order, the earliest
// time per key kept, all behind one timer.
import { strict as assert } from 'node:assert';
import { FakeClock } from '../../../src/base/index.js';
import { DelayedKeys } from '../../../src/runtime/delayed-keys.js';

function harness() {
  const clock = new FakeClock();
  const due: string[] = [];
  const keys = new DelayedKeys(clock, (key) => due.push(key));
  return { clock, due, keys };
}

describe('DelayedKeys', () => {
  it('hands keys out in time order when their time comes, with one timer for all of them', () => {
    const { clock, due, keys } = harness();
    const t0 = clock.now();
    for (let i = 0; i < 1000; i++) keys.add(`k${i}`, t0 + 1000 + ((i * 7919) % 1000));
    assert.equal(clock.pendingTimers, 1);
    assert.equal(keys.size, 1000);
    clock.advance(999);
    assert.deepEqual(due, []);
    clock.advance(1);
    assert.deepEqual(due, ['k0']);
    clock.advance(998);
    assert.equal(due.length, 999);
    clock.advance(1);
    assert.equal(due.length, 1000);
    const times = due.map((k: string) => 1000 + ((Number(k.slice(1)) * 7919) % 1000));
    assert.deepEqual(
      times,
      [...times].sort((a, b) => a - b),
    );
    assert.equal(keys.size, 0);
    assert.equal(clock.pendingTimers, 0);
  });

  it('keeps the earliest time of a key added twice, and hands it out once', () => {
    const { clock, due, keys } = harness();
    const t0 = clock.now();
    keys.add('a', t0 + 500);
    keys.add('a', t0 + 100); // earlier: replaces
    keys.add('a', t0 + 900); // later: ignored
    keys.add('b', t0 + 300);
    assert.equal(keys.dueTime('a'), t0 + 100);
    assert.equal(clock.pendingTimers, 1);
    clock.advance(1000);
    assert.deepEqual(due, ['a', 'b']);
  });

  it('clear() drops every key and its timer', () => {
    const { clock, due, keys } = harness();
    keys.add('a', clock.now() + 10);
    keys.clear();
    assert.equal(clock.pendingTimers, 0);
    clock.advance(100);
    assert.deepEqual(due, []);
    keys.add('b', clock.now() + 10);
    clock.advance(10);
    assert.deepEqual(due, ['b']);
  });
});
