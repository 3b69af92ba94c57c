import { strict as assert } from 'node:assert';
import { cutOf, type ContentRange } from '../../../src/controller/prefixsync/consistent-cut.js';

const r = (since: number, revision: number): ContentRange => ({
  since: BigInt(since),
  revision: BigInt(revision),
});

describe('consistent cut of the mirrors of one cluster', () => {
  const table: [string, ContentRange[], ReturnType<typeof cutOf>][] = [
    ['one mirror: its own revision', [r(5, 9)], { kind: 'at', revision: 9n }],
    [
      'overlapping ranges: the latest revision all share',
      [r(3, 10), r(7, 12)],
      { kind: 'at', revision: 10n },
    ],
    ['a transaction seen by both (same change revision)', [r(8, 8), r(8, 9)], { kind: 'at', revision: 8n }],
    [
      'one mirror applied a transaction the other has not heard of yet',
      [r(8, 8), r(5, 7)],
      { kind: 'lagging', revision: 8n, lagging: [1] },
    ],
    [
      'an idle mirror behind a busy one',
      [r(2, 2), r(2, 2), r(30, 31)],
      { kind: 'lagging', revision: 30n, lagging: [0, 1] },
    ],
    ['touching ranges share their end', [r(1, 4), r(4, 6)], { kind: 'at', revision: 4n }],
  ];
  for (const [name, ranges, expected] of table) {
    it(name, () => assert.deepStrictEqual(cutOf(ranges), expected));
  }
});
