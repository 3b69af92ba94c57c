import fc from 'fast-check';
import type { PrefixSnapshot, SnapshotEntry } from '../../../src/sync/index.js';

// Characters that stress every format's quoting: line breaks of YAML 1.1 and 1.2, quotes, escapes,
// comment and indicator characters, shell metacharacters, a BOM, NUL, non-ASCII and astral text.
const NASTY_CHARS = [
  '\n',
  '\r',
  '\t',
  ' ',
  '\0',
  '\x01',
  '\x7f',
  '\x85',
  '\xa0',
  '\u2028',
  '\u2029',
  '\ufeff',
  '\uffff',
  '"',
  "'",
  '\\',
  '#',
  ':',
  '-',
  '|',
  '>',
  '!',
  '=',
  '$',
  '`',
  '{',
  '[',
  '&',
  '*',
  '%',
  '@',
  '?',
  'a',
  'Z',
  '0',
  '.',
  'é',
  '中',
  '🌍',
];

/** Text built to break quoting, mixed with ordinary and arbitrary Unicode text. */
export const textArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: fc.constantFrom(...NASTY_CHARS), maxLength: 12 }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'yes',
      'No',
      'on',
      'OFF',
      'y',
      'null',
      '~',
      'true',
      '8080',
      '0o17',
      '1_000',
      '12:30',
      '.inf',
      '-1e3',
      '0x1F',
      '',
      ' ',
      'a: b',
      '- x',
      '# c',
      '<<',
      '=',
      'x\n',
      '\n',
      'a\n\n',
      ' \n',
      'a \nb',
    ),
  },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 10 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength: 30 }) },
);

/** Any value: UTF-8 text (mostly) or arbitrary bytes. */
export const valueArb: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 7, arbitrary: textArb.map((s) => Buffer.from(s, 'utf8')) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 16 }).map((a) => Buffer.from(a)) },
);

/**
 * A path segment: mostly from a tiny alphabet (so keys share parents, and with the separators inside
 * segments, `a.b` collides with `a/b`), sometimes nasty text that no ConfigMap key allows.
 */
export const segmentArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 12, arbitrary: fc.stringMatching(/^[a-c]{1,2}$/) },
  { weight: 4, arbitrary: fc.stringMatching(/^[ab](?:__|[._-])[ab]$/) },
  { weight: 2, arbitrary: fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,6}$/) },
  {
    weight: 2,
    arbitrary: fc.constantFrom('__proto__', 'constructor', '1', '10', '2', 'yes', 'null', '.', '..', 'x-y'),
  },
  { weight: 1, arbitrary: textArb.filter((s) => s !== '' && !s.includes('/')) },
);

/** A prefix ending in `/`: `/`, `/ab/`, `/ab/c/`, … */
export const prefixArb: fc.Arbitrary<string> = fc
  .array(fc.stringMatching(/^[a-z]{1,4}$/), { maxLength: 3 })
  .map((parts) => `/${parts.map((p) => `${p}/`).join('')}`);

/** A path below the prefix, as segments. */
export const pathArb: fc.Arbitrary<string[]> = fc.oneof(
  { weight: 3, arbitrary: fc.array(fc.constantFrom('a', 'b'), { minLength: 1, maxLength: 2 }) },
  { weight: 4, arbitrary: fc.array(segmentArb, { minLength: 1, maxLength: 3 }) },
);

function keyOf(prefix: string, segments: readonly string[]): Buffer {
  return Buffer.from(prefix + segments.join('/'), 'utf8');
}

/** Removes repeated keys: an etcd snapshot holds each key once. */
function uniqueByKey(entries: SnapshotEntry[]): SnapshotEntry[] {
  const seen = new Set<string>();
  return entries.filter((e) => {
    const id = e.key.toString('hex');
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

/**
 * Any snapshot: random trees of keys (collisions and leaf/branch conflicts likely), random byte values,
 * and now and then a key that cannot map (the prefix itself, an empty segment, bad UTF-8, outside).
 */
export const anySnapshotArb: fc.Arbitrary<PrefixSnapshot> = prefixArb.chain((prefix) => {
  const pairArb: fc.Arbitrary<[Buffer, Buffer]> = fc.tuple(
    pathArb.map((p) => keyOf(prefix, p)),
    valueArb,
  );
  // A path and the single segment it joins to under one of the separators: a likely collision.
  const collidingArb: fc.Arbitrary<[Buffer, Buffer][]> = fc
    .tuple(
      fc.array(fc.constantFrom('a', 'b'), { minLength: 2, maxLength: 3 }),
      fc.constantFrom('.', '_', '-', '__'),
      valueArb,
      valueArb,
    )
    .map(([path, sep, v1, v2]) => [
      [keyOf(prefix, path), v1],
      [keyOf(prefix, [path.join(sep)]), v2],
    ]);
  const unmappableArb: fc.Arbitrary<[Buffer, Buffer]> = fc.tuple(
    fc.oneof(
      fc.constant(Buffer.from(prefix)),
      pathArb.map((p) => Buffer.from(`${prefix}${p.join('/')}/`)),
      pathArb.map((p) => Buffer.from(`${prefix}${p.join('//')}x`)),
      fc.uint8Array({ minLength: 1, maxLength: 6 }).map((a) => Buffer.concat([Buffer.from(prefix), a])),
    ),
    valueArb,
  );
  return fc
    .array(
      fc.oneof(
        { weight: 12, arbitrary: pairArb.map((pair) => [pair]) },
        { weight: 1, arbitrary: collidingArb },
        { weight: 1, arbitrary: unmappableArb.map((pair) => [pair]) },
      ),
      { maxLength: 10 },
    )
    .map((groups) => ({
      prefix,
      revision: 1n,
      entries: uniqueByKey(groups.flat().map(([key, value]) => ({ key, value }))),
    }));
});

/** A tree with text values and no key that is also a parent of another: renders in yaml and json. */
export const textTreeArb: fc.Arbitrary<{ prefix: string; paths: string[][]; snapshot: PrefixSnapshot }> =
  prefixArb.chain((prefix) =>
    fc.array(fc.tuple(pathArb, textArb), { maxLength: 12 }).map((pairs) => {
      const id = (p: readonly string[]): string => JSON.stringify(p);
      const isParent = (p: readonly string[]): boolean =>
        pairs.some(([q]) => q.length > p.length && id(q.slice(0, p.length)) === id(p));
      const kept = new Map<string, [string[], string]>();
      for (const [path, text] of pairs)
        if (!isParent(path) && !kept.has(id(path))) kept.set(id(path), [path, text]);
      const entries = [...kept.values()].map(([path, text]) => ({
        key: keyOf(prefix, path),
        value: Buffer.from(text, 'utf8'),
      }));
      return {
        prefix,
        paths: [...kept.values()].map(([p]) => p),
        snapshot: { prefix, revision: 1n, entries },
      };
    }),
  );

/** Flat names and text values: `[name, value]` pairs with distinct names matching `nameArb`. */
export function flatSnapshotArb(
  nameArb: fc.Arbitrary<string>,
  valueText: fc.Arbitrary<string>,
): fc.Arbitrary<PrefixSnapshot> {
  return fc
    .uniqueArray(fc.tuple(nameArb, valueText), { selector: ([name]) => name, maxLength: 12 })
    .map((pairs) => ({
      prefix: '/env/',
      revision: 1n,
      entries: pairs.map(([name, text]) => ({
        key: Buffer.from(`/env/${name}`),
        value: Buffer.from(text, 'utf8'),
      })),
    }));
}

/** The same entries in a random order. */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed >>> 0 || 1;
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
