import { strict as assert } from 'node:assert';
import { FakeClock, TokenBucket } from '../../../src/base/index.js';

describe('TokenBucket', () => {
  it('starts full, then refills at its rate up to the burst', () => {
    const clock = new FakeClock();
    const bucket = new TokenBucket({ ratePerSecond: 10, burst: 2, clock });
    assert.equal(bucket.tryTake(), true);
    assert.equal(bucket.tryTake(), true);
    assert.equal(bucket.tryTake(), false);
    clock.advance(100);
    assert.equal(bucket.tryTake(), true);
    clock.advance(10_000);
    assert.equal(bucket.tryTake(), true);
    assert.equal(bucket.tryTake(), true);
    assert.equal(bucket.tryTake(), false);
  });

  it('reserve() hands out future tokens and says how long to wait for each', () => {
    const clock = new FakeClock();
    const bucket = new TokenBucket({ ratePerSecond: 10, burst: 1, clock });
    assert.deepEqual([bucket.reserve(), bucket.reserve(), bucket.reserve()], [0, 100, 200]);
  });

  it('refuses a rate or burst out of range', () => {
    assert.throws(() => new TokenBucket({ ratePerSecond: 0, burst: 1 }), /ratePerSecond/);
    assert.throws(() => new TokenBucket({ ratePerSecond: 1, burst: 0 }), /burst/);
  });
});
