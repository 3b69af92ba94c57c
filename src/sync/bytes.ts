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

// Maps a UTF-16 unit so that comparing mapped units orders strings by code point: surrogates (which
// encode U+10000 and above) move above U+E000…U+FFFF instead of below them.
function codePointRank(unit: number): number {
  if (unit < 0xd800) return unit;
  return unit >= 0xe000 ? unit - 0x800 : unit + 0x2000;
}

/**
 * Orders strings by code point — the order of their UTF-8 bytes — where JavaScript's `<` orders
 * UTF-16 units (and so puts U+10000 and above before U+E000).
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

/**
 * A printable, unambiguous rendering of an etcd key for messages: JSON string syntax when the bytes are
 * UTF-8, otherwise `0x` and the hex of every byte.
 */
export function displayBytes(bytes: Buffer): string {
  const text = decodeUtf8(bytes);
  return text === undefined ? `0x${bytes.toString('hex')}` : JSON.stringify(text);
}
