import { strict as assert } from 'node:assert';
import { ExponentialBackoff } from '../../../src/etcd/index.js';

describe('ExponentialBackoff', () => {
  it('doubles from the initial delay up to the cap', () => {
    const b = new ExponentialBackoff({ initialMs: 10, maxMs: 100, jitter: 0 });
    assert.deepEqual(
      Array.from({ length: 6 }, () => b.next()),
      [10, 20, 40, 80, 100, 100],
    );
  });

  it('spreads each delay by at most ±jitter and never above the cap', () => {
    const low = new ExponentialBackoff({ initialMs: 100, maxMs: 100, jitter: 0.2, random: () => 0 });
    const high = new ExponentialBackoff({ initialMs: 50, maxMs: 100, jitter: 0.2, random: () => 0.999999 });
    assert.equal(low.next(), 80);
    assert.equal(high.next(), 60);
    high.next();
    assert.equal(high.next(), 100, 'capped even with positive jitter');
  });

  it('starts over after reset()', () => {
    const b = new ExponentialBackoff({ initialMs: 10, maxMs: 100, jitter: 0 });
    b.next();
    b.next();
    b.reset();
    assert.equal(b.next(), 10);
  });

  it('refuses nonsensical options', () => {
    assert.throws(() => new ExponentialBackoff({ initialMs: 0 }), RangeError);
    assert.throws(() => new ExponentialBackoff({ initialMs: 200, maxMs: 100 }), RangeError);
    assert.throws(() => new ExponentialBackoff({ jitter: 1 }), RangeError);
  });
});
