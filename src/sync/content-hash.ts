import { createHash } from 'node:crypto';

/**
 * Hex characters in a content hash: the first 128 bits of a SHA-256. Short enough for an annotation
 * or even a label value (≤ 63), far too long for two different contents to share one by chance.
 */
export const CONTENT_HASH_HEX_LENGTH = 32;

// Versions the encoding below: if it ever changes, every hash changes with it, on purpose.
const DOMAIN = Buffer.from('etcdconfig.dev/content-hash/v1\n', 'utf8');
const DATA_TAG = 0x64; // 'd'
const BINARY_TAG = 0x62; // 'b'

interface HashItem {
  readonly tag: number;
  readonly key: Buffer;
  readonly value: Buffer;
}

/**
 * The content hash of ConfigMap `data` + `binaryData` (base64 values, as in the ConfigMap).
 *
 * Promises: the same content always gives the same hash, whatever the order of the keys in the
 * objects; any change — a value, a key, moving a value between `data` and `binaryData` — gives a
 * different one (up to SHA-256 truncated to 128 bits). The hash covers the *decoded* bytes of
 * `binaryData`, which is what the API server stores. Encoding (version-tagged): every entry sorted by
 * key bytes, each as `tag(1) · keyLength(u32 BE) · key · valueLength(u64 BE) · value`, so framing is
 * unambiguous (`{a: "bc"}` and `{ab: "c"}` differ).
 */
export function contentHash(data: Record<string, string>, binaryData: Record<string, string>): string {
  const items: HashItem[] = [];
  for (const [key, value] of Object.entries(data)) {
    items.push({ tag: DATA_TAG, key: Buffer.from(key, 'utf8'), value: Buffer.from(value, 'utf8') });
  }
  for (const [key, value] of Object.entries(binaryData)) {
    items.push({ tag: BINARY_TAG, key: Buffer.from(key, 'utf8'), value: Buffer.from(value, 'base64') });
  }
  items.sort((a, b) => Buffer.compare(a.key, b.key) || a.tag - b.tag);

  const hash = createHash('sha256').update(DOMAIN);
  const header = Buffer.alloc(13);
  for (const item of items) {
    header.writeUInt8(item.tag, 0);
    header.writeUInt32BE(item.key.length, 1);
    header.writeBigUInt64BE(BigInt(item.value.length), 5);
    hash.update(header.subarray(0, 5)).update(item.key).update(header.subarray(5)).update(item.value);
  }
  return hash.digest('hex').slice(0, CONTENT_HASH_HEX_LENGTH);
}
