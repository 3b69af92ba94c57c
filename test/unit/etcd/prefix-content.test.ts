import { strict as assert } from 'node:assert';
import {
  LARGEST_KEYS_REPORTED,
  PrefixContent,
  SUMMARY_OVERHEAD_BYTES,
  VALUE_ENTRY_OVERHEAD_BYTES,
  summaryBytes,
  type KeyValue,
} from '../../../src/etcd/index.js';

function kv(key: string | Buffer, value: string | number): KeyValue {
  return {
    key: typeof key === 'string' ? Buffer.from(key) : key,
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
  it('holds keys and values in memory of their own, not views that keep a message or pool slab alive', () => {
    const message = Buffer.alloc(16 * 1024, 'm');
    const received: KeyValue = {
      ...kv('/p/k', 'v'),
      key: message.subarray(0, 4),
      value: message.subarray(4, 9),
    };
    const pooled = kv(Buffer.from('/p/pooled'), 'v');
    assert.ok(
      pooled.key.buffer.byteLength > pooled.key.length,
      'Buffer.from of a short text is a pool slab view',
    );
    const c = new PrefixContent(100);
    c.put(received);
    c.put(pooled);
    for (const e of c.entries()) {
      assert.equal(e.key.buffer.byteLength, e.key.length, `key ${e.key.toString()}`);
      assert.equal(e.value.buffer.byteLength, e.value.length, `value of ${e.key.toString()}`);
    }
    assert.deepEqual(keysOf(c), ['/p/pooled=v', 'mmmm=mmmmm']);
  });

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
  });

  it('counts keys, values and a per-key overhead as held bytes', () => {
    const c = new PrefixContent(100);
    c.put(kv('/p/a', 10));
    c.put(kv('/p/bb', 20));
    assert.equal(c.heldBytes, 4 + 10 + 5 + 20 + 2 * VALUE_ENTRY_OVERHEAD_BYTES);
  });

  it('is over its bound past it, not at it (as the API server counts a ConfigMap)', () => {
    const c = new PrefixContent(10);
    c.put(kv('/p/a', 10));
    assert.equal(c.isOverBound, false);
    c.put(kv('/p/b', 1));
    assert.equal(c.isOverBound, true);
    c.delete(Buffer.from('/p/a'));
    assert.equal(c.isOverBound, false);
  });

  describe('summary', () => {
    it('counts every key as measured and names the biggest, biggest first, equal sizes by key', () => {
      const c = new PrefixContent(10);
      c.put(kv('/p/a', 4));
      c.put(kv('/p/c', 6));
      c.put(kv('/p/b', 6));
      const s = c.summary();
      assert.equal(s.keyCount, 3);
      assert.equal(s.measuredKeyCount, 3);
      assert.equal(s.valueBytes, 16);
      assert.deepEqual(
        s.largest.map((k) => `${k.key.toString()}:${k.valueBytes}`),
        ['/p/b:6', '/p/c:6', '/p/a:4'],
      );
      assert.equal(summaryBytes(s), SUMMARY_OVERHEAD_BYTES + 12);
    });

    it(`names at most ${LARGEST_KEYS_REPORTED} keys, copies of them that pin no response buffer`, () => {
      const response = Buffer.alloc(64 * 1024, 'k');
      const c = new PrefixContent(0);
      for (let i = 0; i < 20; i++) c.put(kv(Buffer.from(`/p/${String(i).padStart(2, '0')}`), 3));
      c.put(kv(response.subarray(0, 8), 100));
      const largest = c.summary().largest;
      assert.equal(largest.length, LARGEST_KEYS_REPORTED);
      assert.equal(largest[0]?.key.toString(), 'kkkkkkkk');
      response.fill('x');
      assert.equal(largest[0]?.key.toString(), 'kkkkkkkk', 'unchanged by a write to the response');
      assert.ok(largest[0].key.buffer.byteLength < response.length, 'does not hold on to the response');
    });
  });

  it('refuses a negative bound', () => assert.throws(() => new PrefixContent(-1), RangeError));
});
