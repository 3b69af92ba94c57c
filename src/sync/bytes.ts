import { isUtf8 } from 'node:buffer';

/**
 * The text of `bytes` if they are valid UTF-8 (a byte-order mark is kept as U+FEFF, never stripped),
 * otherwise `undefined`. Valid means what Go — and so the API server — accepts: no overlong forms,
 * no surrogates, nothing above U+10FFFF.
 */
export function decodeUtf8(bytes: Buffer): string | undefined {
  return isUtf8(bytes) ? bytes.toString('utf8') : undefined;
}

/** Orders byte strings lexicographically, as etcd orders keys (and as code points order UTF-8 text). */
export function compareBytes(a: Buffer, b: Buffer): number {
  return Buffer.compare(a, b);
}

/** Orders strings by code point, i.e. by their UTF-8 bytes (JavaScript's `<` orders UTF-16 units). */
export function compareCodePoints(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * A printable, unambiguous rendering of an etcd key for messages: JSON string syntax when the bytes are
 * UTF-8, otherwise `0x` and the hex of every byte.
 */
export function displayBytes(bytes: Buffer): string {
  const text = decodeUtf8(bytes);
  return text === undefined ? `0x${bytes.toString('hex')}` : JSON.stringify(text);
}
