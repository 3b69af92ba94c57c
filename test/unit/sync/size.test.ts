import { strict as assert } from 'node:assert';
import { byteCount, CONFIGMAP_MAX_DATA_BYTES, renderConfigMap } from '../../../src/sync/index.js';
import type { RenderOptions } from '../../../src/sync/index.js';
import { expectOk, expectProblems, readable, snapshot } from './helpers.js';

const FILES: RenderOptions = { format: 'files', separator: '.' };
const MiB = 1024 * 1024;

describe('sync size limit', () => {
  it("is the API server's 1 MiB (1,048,576 bytes)", () => {
    assert.equal(CONFIGMAP_MAX_DATA_BYTES, 1_048_576);
  });

  it('counts UTF-8 bytes of data values and decoded bytes of binaryData, not keys', () => {
    assert.equal(
      byteCount({ [`${'k'.repeat(200)}`]: 'é' }, { b: Buffer.from([1, 2, 3]).toString('base64') }),
      2 + 3,
    );
  });

  it('accepts content of exactly 1 MiB, keys not counted, split over data and binaryData', () => {
    const half = MiB / 2;
    const result = expectOk(
      renderConfigMap(
        snapshot('/p/', [
          [`/p/${'t'.repeat(253)}`, 'x'.repeat(half)],
          [`/p/${'b'.repeat(253)}`, Buffer.alloc(half, 0xff)],
        ]),
        FILES,
      ),
    );
    assert.equal(result.byteCount, MiB);
    assert.equal(byteCount(result.data, result.binaryData), MiB);
  });

  it('refuses one byte more, whole, with the size and the limit', () => {
    const result = expectProblems(
      renderConfigMap(
        snapshot('/p/', [
          ['/p/a', 'x'.repeat(MiB - 1)],
          ['/p/b', [0xff, 0xfe]],
        ]),
        FILES,
      ),
    );
    assert.deepEqual(result.problems.map(readable), [
      { kind: 'TooLarge', byteCount: MiB + 1, limitBytes: MiB },
    ]);
  });

  it('counts multi-byte characters by their UTF-8 bytes', () => {
    const result = expectProblems(
      renderConfigMap(snapshot('/p/', [['/p/a', 'é'.repeat(MiB / 2 + 1)]]), FILES),
    );
    assert.deepEqual(result.problems.map(readable), [
      { kind: 'TooLarge', byteCount: MiB + 2, limitBytes: MiB },
    ]);
  });

  it('measures a rendered document by its own size, quoting and all', () => {
    const value = '"'.repeat(MiB / 2); // each quote is escaped to two bytes in JSON
    const result = expectProblems(
      renderConfigMap(snapshot('/p/', [['/p/q', value]]), { format: 'json', key: 'c.json', separator: '.' }),
    );
    const expected = Buffer.byteLength(`{\n  "q": ${JSON.stringify(value)}\n}\n`);
    assert.deepEqual(result.problems.map(readable), [
      { kind: 'TooLarge', byteCount: expected, limitBytes: MiB },
    ]);
  });

  it('honours a lower maxBytes for headroom', () => {
    const snap = snapshot('/p/', [
      ['/p/a', '12345'],
      ['/p/b', '678'],
    ]);
    assert.equal(expectOk(renderConfigMap(snap, { ...FILES, maxBytes: 8 })).byteCount, 8);
    const result = expectProblems(renderConfigMap(snap, { ...FILES, maxBytes: 7 }));
    assert.deepEqual(result.problems.map(readable), [{ kind: 'TooLarge', byteCount: 8, limitBytes: 7 }]);
  });

  it('reports TooLarge for files alongside key problems, since the size does not depend on keys', () => {
    const result = expectProblems(
      renderConfigMap(snapshot('/p/', [['/p/bad key', '12345']]), { ...FILES, maxBytes: 4 }),
    );
    assert.deepEqual(
      result.problems.map((p) => p.kind),
      ['InvalidKey', 'TooLarge'],
    );
  });
});
