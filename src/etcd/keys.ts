import type { KeyLike, KeySelector, KeyValue } from './types.js';
import type { RawKeyValue } from './raw-messages.js';

/** A key as bytes (strings are UTF-8). */
export function toBytes(key: KeyLike): Buffer {
  return typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
}

/**
 * `buf` in memory of its own. A small Buffer made by `Buffer.from`, or decoded out of a received
 * message, is a view of a shared 8 KiB pool slab (or of the whole message) and keeps all of it alive as
 * long as it lives: for a key or value a mirror holds for days, 8 KiB for a few bytes — 80 MiB with
 * 10,000 one-key prefixes. What is held long is copied out (Node's advice for small long-lived chunks).
 */
export function retained(buf: Buffer): Buffer {
  if (buf.byteOffset === 0 && buf.length === buf.buffer.byteLength) return buf;
  const own = Buffer.allocUnsafeSlow(buf.length);
  buf.copy(own);
  return own;
}

/**
 * The range_end that selects every key starting with `prefix`: the prefix with its last byte below 0xff
 * incremented (trailing 0xff bytes dropped). An empty or all-0xff prefix gives `\0`, etcd's "to the end".
 */
export function prefixRangeEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i] = end[i]! + 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}

/** [key, rangeEnd) of a selector; rangeEnd is undefined for a single key. */
export function selectorRange(selector: KeySelector): { key: Buffer; rangeEnd: Buffer | undefined } {
  if ('prefix' in selector) {
    const key = toBytes(selector.prefix);
    return { key, rangeEnd: prefixRangeEnd(key) };
  }
  return {
    key: toBytes(selector.key),
    rangeEnd: selector.rangeEnd === undefined ? undefined : toBytes(selector.rangeEnd),
  };
}

/** Parses one of etcd's int64 decimal strings. */
export function toBigint(value: string | undefined | null): bigint {
  return value ? BigInt(value) : 0n;
}

/** mvccpb.KeyValue → KeyValue. */
export function toKeyValue(raw: RawKeyValue): KeyValue {
  return {
    key: raw.key,
    value: raw.value,
    createRevision: toBigint(raw.create_revision),
    modRevision: toBigint(raw.mod_revision),
    version: toBigint(raw.version),
    lease: toBigint(raw.lease),
  };
}
