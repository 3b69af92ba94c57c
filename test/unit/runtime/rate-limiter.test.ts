import { strict as assert } from 'node:assert';
import { ItemExponentialRateLimiter } from '../../../src/runtime/index.js';

describe('ItemExponentialRateLimiter', () => {
  it('never overflows after very many failures', () => {
    const l = new ItemExponentialRateLimiter(5, 300_000);
    let last = 0;
    for (let i = 0; i < 2_000; i++) last = l.when('k');
    assert.equal(last, 300_000);
  });
});
