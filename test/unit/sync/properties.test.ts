// Property-style tests: over many random prefixes, key trees and byte values, for every format.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { parse as parseYaml } from 'yaml';
import { RENDER_FORMATS, renderConfigMap } from '../../../src/sync/index.js';
import type { PrefixSnapshot, RenderFormat, RenderOptions, RenderResult } from '../../../src/sync/index.js';
import { anySnapshotArb, shuffled, textTreeArb } from './arbitraries.js';
import { expectedTree, namedKeys } from './helpers.js';

// SYNC_PROPERTY_RUNS raises the count for a longer hunt; the default keeps the file to a few seconds.
const NUM_RUNS = Number(process.env.SYNC_PROPERTY_RUNS ?? 150);
const DOC_KEY = 'doc';

// Now and then a small maxBytes, so that TooLarge is part of the mix.
const optionsArb = (format: RenderFormat): fc.Arbitrary<RenderOptions> =>
  fc
    .tuple(fc.constantFrom('.', '_', '-', '__'), fc.option(fc.integer({ min: 1, max: 120 }), { freq: 6 }))
    .map(([separator, maxBytes]) => ({
      format,
      key: DOC_KEY,
      separator,
      ...(maxBytes === null ? {} : { maxBytes }),
    }));

const caseArb = (
  format: RenderFormat,
): fc.Arbitrary<{ snap: PrefixSnapshot; options: RenderOptions; seed: number }> =>
  fc.record({ snap: anySnapshotArb, options: optionsArb(format), seed: fc.integer() });

/** A result as text: data and binaryData in insertion order, Buffers as bytes — equal text, equal result. */
const canonical = (result: RenderResult): string => JSON.stringify(result);

function relativePath(snap: PrefixSnapshot, key: Buffer): string[] {
  const prefix = Buffer.from(snap.prefix);
  return key.subarray(prefix.length).toString('utf8').split('/');
}

/** Follows `path` in a parsed tree. */
function lookup(tree: unknown, path: readonly string[]): unknown {
  let node = tree;
  for (const segment of path) {
    if (typeof node !== 'object' || node === null || !Object.prototype.hasOwnProperty.call(node, segment))
      return undefined;
    node = (node as Record<string, unknown>)[segment];
  }
  return node;
}

/** Asserts that every entry of `snap` is in the successful result `result`, exactly. */
function assertAllPresent(
  snap: PrefixSnapshot,
  options: RenderOptions,
  result: Extract<RenderResult, { ok: true }>,
): void {
  assert.equal(result.keyCount, snap.entries.length);
  const doc = result.data[DOC_KEY];
  for (const { key, value } of snap.entries) {
    const path = relativePath(snap, key);
    const name = path.join(options.separator);
    switch (options.format) {
      case 'files': {
        const text = result.data[name];
        const b64 = result.binaryData[name];
        assert.ok(
          (text === undefined) !== (b64 === undefined),
          `exactly one of data/binaryData holds ${name}`,
        );
        const bytes = text !== undefined ? Buffer.from(text, 'utf8') : Buffer.from(b64!, 'base64');
        assert.deepEqual(bytes, value, `files round-trip of ${name}`);
        break;
      }
      case 'json':
        assert.equal(lookup(JSON.parse(doc!), path), value.toString('utf8'));
        break;
      case 'yaml':
        assert.equal(lookup(parseYaml(doc!), path), value.toString('utf8'));
        break;
      case 'properties':
      case 'env':
        assert.ok(
          doc!.startsWith(`${name}=`) || doc!.includes(`\n${name}=`) || options.format === 'properties',
          name,
        );
        break;
    }
  }
  if (options.format === 'properties') {
    // Every line is one entry: line breaks inside values are escaped.
    assert.equal(doc === '' ? 0 : doc!.split('\n').length - 1, snap.entries.length);
  }
}

function sumBytes(result: Extract<RenderResult, { ok: true }>): number {
  let total = 0;
  for (const v of Object.values(result.data)) total += Buffer.from(v, 'utf8').length;
  for (const v of Object.values(result.binaryData)) total += Buffer.from(v, 'base64').length;
  return total;
}

describe('sync properties (random prefixes, key trees and byte values)', () => {
  for (const format of RENDER_FORMATS) {
    describe(`format ${format}`, () => {
      it('is deterministic and independent of entry order, problems and hash included', () => {
        fc.assert(
          fc.property(caseArb(format), ({ snap, options, seed }) => {
            const first = renderConfigMap(snap, options);
            assert.equal(canonical(renderConfigMap(snap, options)), canonical(first));
            const reordered = { ...snap, entries: shuffled(snap.entries, seed) };
            assert.equal(canonical(renderConfigMap(reordered, options)), canonical(first));
          }),
          { numRuns: NUM_RUNS },
        );
      });

      it('puts every key in the output, or names it in a problem — never drops one', () => {
        fc.assert(
          fc.property(caseArb(format), ({ snap, options }) => {
            const result = renderConfigMap(snap, options);
            if (result.ok) {
              assertAllPresent(snap, options, result);
              return;
            }
            assert.ok(result.problems.length > 0);
            const inputKeys = new Set(snap.entries.map((e) => e.key.toString('hex')));
            const named = new Set(result.problems.flatMap(namedKeys).map((k) => k.toString('hex')));
            for (const k of named) assert.ok(inputKeys.has(k), 'a problem names only keys of the snapshot');
            const tooLarge = result.problems.find((p) => p.kind === 'TooLarge');
            if (tooLarge !== undefined) {
              assert.equal(tooLarge.limitBytes, options.maxBytes);
              assert.ok(tooLarge.byteCount > tooLarge.limitBytes);
              if (result.problems.length === 1) {
                // Refused only for size: the same content without the limit is exactly that big.
                const unlimited = renderConfigMap(snap, { ...options, maxBytes: undefined });
                assert.ok(unlimited.ok);
                assert.equal(unlimited.byteCount, tooLarge.byteCount);
              }
            }
            // The problems name exactly the culprits: without them, the rest renders, all of it.
            const rest = { ...snap, entries: snap.entries.filter((e) => !named.has(e.key.toString('hex'))) };
            const retried = renderConfigMap(rest, { ...options, maxBytes: undefined });
            assert.ok(retried.ok, `after removing named keys: ${JSON.stringify(retried)}`);
            assertAllPresent(rest, options, retried);
          }),
          { numRuns: NUM_RUNS },
        );
      });

      it('counts bytes as the API server does, and as the content is serialized', () => {
        fc.assert(
          fc.property(caseArb(format), ({ snap, options }) => {
            const result = renderConfigMap(snap, options);
            if (!result.ok) return;
            assert.equal(result.byteCount, sumBytes(result));
            if (format === 'files') {
              assert.equal(
                result.byteCount,
                snap.entries.reduce((n, e) => n + e.value.length, 0),
              );
            } else {
              assert.deepEqual(Object.keys(result.data), [DOC_KEY]);
              assert.equal(result.byteCount, Buffer.byteLength(result.data[DOC_KEY]!, 'utf8'));
            }
          }),
          { numRuns: NUM_RUNS },
        );
      });

      it('changes the hash whenever a value changes or a key is added', () => {
        fc.assert(
          fc.property(
            caseArb(format),
            fc.nat(),
            fc.constantFrom(0x00, 0x41, 0xff),
            ({ snap, options }, pick, byte) => {
              const before = renderConfigMap(snap, options);
              if (!before.ok || snap.entries.length === 0) return;
              const i = pick % snap.entries.length;
              const entries = snap.entries.map((e, j) =>
                j === i ? { key: e.key, value: Buffer.concat([e.value, Buffer.from([byte])]) } : e,
              );
              const changed = renderConfigMap({ ...snap, entries }, options);
              if (changed.ok) assert.notEqual(changed.contentHash, before.contentHash);
              const sibling = Buffer.concat([snap.entries[i]!.key, Buffer.from('_x')]);
              const added = renderConfigMap(
                { ...snap, entries: [...snap.entries, { key: sibling, value: Buffer.from('v') }] },
                options,
              );
              if (added.ok) assert.notEqual(added.contentHash, before.contentHash);
            },
          ),
          { numRuns: NUM_RUNS },
        );
      });
    });
  }

  it('json and yaml read back as exactly the key tree, for random trees of text', () => {
    fc.assert(
      fc.property(textTreeArb, ({ snapshot: snap, paths }) => {
        const expected = expectedTree(
          paths.map((p, i) => [p, snap.entries[i]!.value.toString('utf8')] as const),
        );
        for (const format of ['json', 'yaml'] as const) {
          const result = renderConfigMap(snap, { format, key: DOC_KEY, separator: '.' });
          assert.ok(result.ok, JSON.stringify(result));
          const doc = result.data[DOC_KEY]!;
          assert.deepStrictEqual(format === 'json' ? JSON.parse(doc) : parseYaml(doc), expected);
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });
});
