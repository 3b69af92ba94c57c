import { strict as assert } from 'node:assert';
import {
  LARGEST_KEYS_REPORTED,
  PrefixContent,
  SIZE_ENTRY_OVERHEAD_BYTES,
  VALUE_ENTRY_OVERHEAD_BYTES,
  type KeyValue,
} from '../../../src/etcd/index.js';

function kv(key: string, value: string | number): KeyValue {
  return {
    key: Buffer.from(key),
    value: typeof value === 'number' ? Buffer.alloc(value, 'x') : Buffer.from(value),
    createRevision: 1n,
    modRevision: 1n,
    version: 1n,
    lease: 0n,
  };
}

const keysOf = (c: PrefixContent): string[] =>
  c.entries().map((e) => `${e.key.toString()}=${e.value.toString()}`);

describe('PrefixContent', () => {
  describe('within its bound', () => {
    it('holds every key with its value, sorted by key bytes, puts replacing and deletes removing', () => {
      const c = new PrefixContent(100);
      c.put(kv('/p/b', '2'));
      c.put(kv('/p/a', '1'));
      c.put(kv('/p/b', '22'));
      c.put(kv('/p/c', '3'));
      c.delete(Buffer.from('/p/c'));
      c.delete(Buffer.from('/p/none'));
      assert.deepEqual(keysOf(c), ['/p/a=1', '/p/b=22']);
      assert.equal(c.valueBytes, 3);
      assert.equal(c.keyCount, 2);
      assert.equal(c.isReleased, false);
    });

    it('counts keys, values and a per-key overhead as held bytes', () => {
      const c = new PrefixContent(100);
      c.put(kv('/p/a', 10));
      c.put(kv('/p/bb', 20));
      assert.equal(c.heldBytes, 4 + 10 + 5 + 20 + 2 * VALUE_ENTRY_OVERHEAD_BYTES);
    });

    it('a total equal to the bound is within it (as the API server counts a ConfigMap)', () => {
      const c = new PrefixContent(10);
      c.put(kv('/p/a', 10));
      assert.equal(c.isReleased, false);
      assert.equal(c.isOverBound, false);
    });
  });

  describe('over its bound', () => {
    it('releases every value and keeps the keys, sizes and the biggest keys', () => {
      const c = new PrefixContent(10);
      c.put(kv('/p/a', 4));
      c.put(kv('/p/b', 5));
      c.put(kv('/p/c', 6));
      assert.equal(c.isReleased, true);
      assert.equal(c.isOverBound, true);
      assert.equal(c.valueBytes, 15);
      assert.equal(c.heldBytes, 3 * 4 + 3 * SIZE_ENTRY_OVERHEAD_BYTES);
      assert.throws(() => c.entries(), /released/);
      assert.deepEqual(
        c.largest().map((k) => `${k.key.toString()}:${k.valueBytes}`),
        ['/p/c:6', '/p/b:5', '/p/a:4'],
      );
    });

    it('follows puts and deletes by size, and says when it is back under the bound (still released)', () => {
      const c = new PrefixContent(10);
      c.put(kv('/p/a', 8));
      c.put(kv('/p/b', 8));
      c.put(kv('/p/a', 1));
      assert.equal(c.isOverBound, false, '1 + 8 bytes');
      assert.equal(c.isReleased, true, 'values come back only with a new read');
      c.put(kv('/p/c', 5));
      assert.equal(c.isOverBound, true);
      c.delete(Buffer.from('/p/b'));
      assert.equal(c.valueBytes, 6);
      assert.equal(c.isOverBound, false);
    });

    it('keeps copies of the keys, not views of the buffers they came in', () => {
      const response = Buffer.alloc(64 * 1024, '/p/a');
      const c = new PrefixContent(0);
      c.put({ ...kv('', 1), key: response.subarray(0, 4) });
      response.fill('x');
      const [held] = c.largest();
      assert.equal(held?.key.toString(), '/p/a', 'unchanged by a write to the response');
      assert.ok(held.key.buffer.byteLength < response.length, 'does not hold on to the response');
    });

    it(`names at most ${LARGEST_KEYS_REPORTED} keys, equal sizes by key`, () => {
      const c = new PrefixContent(0);
      for (let i = 20; i > 0; i--) c.put(kv(`/p/${String(i).padStart(2, '0')}`, 3));
      const largest = c.largest();
      assert.equal(largest.length, LARGEST_KEYS_REPORTED);
      assert.equal(largest[0]?.key.toString(), '/p/01');
    });
  });

  it('refuses a negative bound', () => assert.throws(() => new PrefixContent(-1), RangeError));
});
