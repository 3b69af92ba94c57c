import { strict as assert } from 'node:assert';
import {
  Backoff,
  DEFAULT_BACKOFF_INITIAL_DELAY_MS,
  DEFAULT_BACKOFF_MAX_DELAY_MS,
} from '../../../src/base/index.js';

describe('Backoff', () => {
  it('grows by the multiplier from the initial delay up to the cap, counting attempts', () => {
    const b = new Backoff({ initialDelayMs: 10, maxDelayMs: 100, jitter: 0 });
    assert.deepEqual(
      Array.from({ length: 6 }, () => b.next()),
      [10, 20, 40, 80, 100, 100],
    );
    assert.equal(b.attempts, 6);
    const slow = new Backoff({ initialDelayMs: 100, maxDelayMs: 1_000, multiplier: 3, jitter: 0 });
    assert.deepEqual(
      Array.from({ length: 4 }, () => slow.next()),
      [100, 300, 900, 1_000],
    );
  });

  it('starts at the defaults when given no options', () => {
    const b = new Backoff({ jitter: 0 });
    assert.equal(b.next(), DEFAULT_BACKOFF_INITIAL_DELAY_MS);
    for (let i = 0; i < 20; i++) b.next();
    assert.equal(b.next(), DEFAULT_BACKOFF_MAX_DELAY_MS);
  });

  it('spreads each delay by at most ±jitter', () => {
    const low = new Backoff({ initialDelayMs: 1_000, jitter: 0.2, random: () => 0 });
    const high = new Backoff({ initialDelayMs: 1_000, jitter: 0.2, random: () => 0.999999 });
    assert.equal(low.next(), 800);
    assert.equal(high.next(), 1_200);
  });

  it('never returns more than the cap, even with positive jitter', () => {
    const low = new Backoff({ initialDelayMs: 100, maxDelayMs: 100, jitter: 0.2, random: () => 0 });
    const high = new Backoff({ initialDelayMs: 50, maxDelayMs: 100, jitter: 0.2, random: () => 0.999999 });
    assert.equal(low.next(), 80);
    assert.equal(high.next(), 60);
    high.next();
    assert.equal(high.next(), 100, 'capped even with positive jitter');
  });

  it('never overflows after very many failures', () => {
    const b = new Backoff({ initialDelayMs: 5, maxDelayMs: 300_000, jitter: 0 });
    let last = 0;
    for (let i = 0; i < 2_000; i++) last = b.next();
    assert.equal(last, 300_000);
  });

  it('starts over after reset()', () => {
    const b = new Backoff({ initialDelayMs: 10, maxDelayMs: 100, jitter: 0 });
    b.next();
    b.next();
    b.reset();
    assert.equal(b.attempts, 0);
    assert.equal(b.next(), 10);
  });

  it('refuses nonsensical options with a RangeError that names the option', () => {
    assert.throws(() => new Backoff({ initialDelayMs: 0 }), {
      name: 'RangeError',
      message: /initialDelayMs/,
    });
    assert.throws(() => new Backoff({ initialDelayMs: 200, maxDelayMs: 100 }), {
      name: 'RangeError',
      message: /maxDelayMs/,
    });
    assert.throws(() => new Backoff({ multiplier: 0.5 }), { name: 'RangeError', message: /multiplier/ });
    assert.throws(() => new Backoff({ jitter: 1 }), { name: 'RangeError', message: /jitter/ });
  });
});
