import { strict as assert } from 'node:assert';
import { flatness } from '../../../bench/operator/flatness.js';

describe('flatness (bench:operator soak verdict)', () => {
  const tenPercent = { relative: 0.1, absolute: 0 };

  it('compares the medians of the first and the last third', () => {
    const f = flatness([100, 300, 100, 500, 500, 500, 104, 108, 106], tenPercent);
    assert.deepEqual([f.first, f.last, f.growth], [100, 106, 6]);
    assert.equal(f.isFlat, true);
  });

  it('is not flat when the last third grew beyond the tolerance', () => {
    const f = flatness([100, 100, 100, 105, 110, 115, 120, 111, 112], tenPercent);
    assert.equal(f.last, 112);
    assert.equal(f.isFlat, false);
    assert.equal(flatness([10, 10, 10, 14], { relative: 0, absolute: 4 }).isFlat, true);
    assert.equal(flatness([10, 10, 10, 15], { relative: 0, absolute: 4 }).isFlat, false);
  });

  it('says nothing from fewer than three samples', () => {
    const f = flatness([1, 2], tenPercent);
    assert.equal(f.isFlat, false);
    assert.ok(Number.isNaN(f.first));
  });
});
