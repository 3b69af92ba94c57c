import { strict as assert } from 'node:assert';
import { FIRST_PAGE_KEYS, firstPageLimit, nextPageLimit } from '../../../src/etcd/index.js';

const MIB = 1024 * 1024;

describe('range pages', () => {
  describe('nextPageLimit', () => {
    const cases: {
      name: string;
      page: [limit: number, keys: number, bytes: number];
      max: number;
      want: number;
    }[] = [
      { name: 'small keys grow the page twofold', page: [4, 4, 400], max: 1000, want: 8 },
      { name: 'never past the most keys per page', page: [800, 800, 8000], max: 1000, want: 1000 },
      {
        name: 'large values shrink it to what fits the target',
        page: [4, 4, 4 * 300_000],
        max: 1000,
        want: 3,
      },
      {
        name: 'one value over the target: one key a page',
        page: [4, 4, 4 * 1_000_000 * 2],
        max: 1000,
        want: 1,
      },
      {
        name: 'an empty page (cannot happen with more) asks for twice as many',
        page: [4, 0, 0],
        max: 1000,
        want: 8,
      },
      { name: 'zero-byte keys count as one byte each', page: [512, 512, 0], max: 1000, want: 1000 },
      { name: 'a maximum of one key', page: [1, 1, 10], max: 1, want: 1 },
    ];
    for (const c of cases) {
      it(c.name, () => {
        const [limit, keys, bytes] = c.page;
        assert.equal(nextPageLimit({ limit, keys, bytes }, MIB, c.max), c.want);
      });
    }

    it('a page it sets never holds more than twice the target at the bytes per key it saw', () => {
      for (const perKey of [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000]) {
        const limit = nextPageLimit({ limit: 1000, keys: 1000, bytes: perKey * 1000 }, MIB, 1000);
        assert.ok(limit * perKey <= 2 * MIB || limit === 1, `${perKey} bytes per key: ${limit} keys`);
      }
    });
  });

  describe('firstPageLimit', () => {
    it(`asks for ${FIRST_PAGE_KEYS} keys, or fewer when a page may hold fewer`, () => {
      assert.equal(firstPageLimit(1000), FIRST_PAGE_KEYS);
      assert.equal(firstPageLimit(2), 2);
      assert.equal(firstPageLimit(1), 1);
    });
  });
});
