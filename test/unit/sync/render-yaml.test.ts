import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { parse } from 'yaml';
import { renderConfigMap } from '../../../src/sync/index.js';
import type { PrefixSnapshot } from '../../../src/sync/index.js';
import { textArb, textTreeArb } from './arbitraries.js';
import { readYamlWithPython } from './external-readers.js';
import { expectedTree, expectOk, expectProblems, readable, snapshot } from './helpers.js';
import type { PlainTree } from './helpers.js';

// A separate process reads the documents; generous for a machine shared by many test runs.
const READER_TIMEOUT_MS = 180_000;

const YAML_OPTS = { format: 'yaml', key: 'config.yaml', separator: '.' } as const;

function renderYamlDoc(snap: PrefixSnapshot): string {
  return expectOk(renderConfigMap(snap, YAML_OPTS)).data['config.yaml']!;
}

/** The tree a snapshot of non-conflicting text keys must read back as. */
function treeOf(snap: PrefixSnapshot): { [name: string]: PlainTree } {
  const prefix = typeof snap.prefix === 'string' ? snap.prefix : snap.prefix.toString('utf8');
  return expectedTree(
    snap.entries.map(
      (e) => [e.key.toString('utf8').slice(prefix.length).split('/'), e.value.toString('utf8')] as const,
    ),
  );
}

describe('sync format yaml', () => {
  it('renders the key tree as a block document, multi-line text as literal blocks', () => {
    const doc = renderYamlDoc(
      snapshot('/app/', [
        ['/app/db/host', 'db.internal'],
        ['/app/db/port', '5432'],
        ['/app/motd', 'hello\nworld\n'],
        ['/app/script', 'a\nb'],
        ['/app/pad', 'x\n\n'],
      ]),
    );
    assert.equal(
      doc,
      'db:\n  host: db.internal\n  port: "5432"\nmotd: |\n  hello\n  world\npad: |+\n  x\n\nscript: |-\n  a\n  b\n',
    );
  });

  it('quotes every value a YAML 1.1 or 1.2 reader would not read as a string', () => {
    const words = [
      'yes',
      'No',
      'on',
      'OFF',
      'y',
      'n',
      'true',
      'null',
      '~',
      '',
      '8080',
      '0o17',
      '0x1F',
      '1_000',
      '12:30',
      '.inf',
      '-.5',
      '2024-01-01',
      'a: b',
      '- x',
      '#c',
      'x #c',
      '@a',
      '`a',
      '"',
      "'",
      ' lead',
      'trail ',
    ];
    const doc = renderYamlDoc(
      snapshot(
        '/w/',
        words.map((w, i) => [`/w/k${String(i).padStart(2, '0')}`, w]),
      ),
    );
    for (const w of words)
      assert.match(
        doc,
        new RegExp(`: "${w.replace(/[.*+?^${}()|[\]\\"]/g, (c) => (c === '"' ? '\\\\"' : `\\${c}`))}"\\n`),
        w,
      );
    const expected = Object.fromEntries(words.map((w, i) => [`k${String(i).padStart(2, '0')}`, w]));
    assert.deepStrictEqual(parse(doc), expected);
    assert.deepStrictEqual(parse(doc, { version: '1.1' }), expected);
  });

  it('quotes keys that YAML 1.1 readers take for booleans (the "Norway problem")', () => {
    const doc = renderYamlDoc(
      snapshot('/c/', [
        ['/c/NO', 'Norway'],
        ['/c/on/push', 'x'],
        ['/c/<<', 'm'],
      ]),
    );
    assert.equal(doc, '"<<": m\n"NO": Norway\n"on":\n  push: x\n');
  });

  it('escapes control characters, YAML 1.1 line breaks and the BOM in double quotes', () => {
    const doc = renderYamlDoc(snapshot('/c/', [['/c/k', 'a\0b\x85c\u2028d\ufeffe\r\n\t"\\é🌍']]));
    assert.equal(doc, 'k: "a\\x00b\\x85c\\u2028d\\uFEFFe\\r\\n\\t\\"\\\\é🌍"\n');
    assert.deepStrictEqual(parse(doc), { k: 'a\0b\x85c\u2028d\ufeffe\r\n\t"\\é🌍' });
  });

  it("writes keys longer than YAML's 1024-character implicit-key limit in explicit form", () => {
    const long = 'k'.repeat(1500);
    const doc = renderYamlDoc(
      snapshot('/c/', [
        [`/c/${long}`, 'v'],
        [`/c/${long}x/sub`, 'w'],
      ]),
    );
    assert.equal(doc, `? ${long}\n: v\n? ${long}x\n:\n  sub: w\n`);
    assert.deepStrictEqual(parse(doc), { [long]: 'v', [`${long}x`]: { sub: 'w' } });
  });

  it('renders an empty prefix as {}', () => {
    assert.equal(renderYamlDoc(snapshot('/c/', [])), '{}\n');
  });

  it('refuses a key that is both a value and a parent, and values that are not UTF-8', () => {
    const result = expectProblems(
      renderConfigMap(
        snapshot('/c/', [
          ['/c/a', '1'],
          ['/c/a/b', '2'],
          ['/c/bin', [0x80]],
        ]),
        YAML_OPTS,
      ),
    );
    assert.deepEqual(result.problems.map(readable), [
      { kind: 'TreeConflict', etcdKey: '/c/a', descendants: ['/c/a/b'] },
      { kind: 'InvalidValue', etcdKey: '/c/bin', reason: 'not-utf8' },
    ]);
  });

  it('reads back as the same tree of strings in the yaml package (YAML 1.2 and 1.1), for random trees', () => {
    fc.assert(
      fc.property(textTreeArb, ({ snapshot: snap }) => {
        const doc = renderYamlDoc(snap);
        const expected = treeOf(snap);
        assert.deepStrictEqual(parse(doc), expected);
        assert.deepStrictEqual(parse(doc, { version: '1.1' }), expected);
      }),
      { numRuns: Number(process.env.SYNC_PROPERTY_RUNS ?? 300) },
    );
  });

  it('reads back as the same tree of strings in PyYAML, for random trees and nasty strings', async () => {
    const trees = fc
      .sample(textTreeArb, { numRuns: Number(process.env.SYNC_PROPERTY_RUNS ?? 150), seed: 4242 })
      .map((t) => t.snapshot);
    const edges = [
      ' lead\n  x\n\n',
      '\n\nx',
      '\n x\n',
      '\tx\ny',
      'x\n\ty\n',
      'a\n\n\n',
      '#a\n- b\n',
      '---\n...\n',
      'é\n🌍',
    ];
    const words = [...new Set([...edges, ...fc.sample(textArb, { numRuns: 300, seed: 99 })])];
    trees.push(
      snapshot(
        '/w/',
        words.map((w, i) => [`/w/${i}`, w]),
      ),
    );
    trees.push(
      snapshot(
        '/w/',
        words.filter((w) => w !== '' && !w.includes('/')).map((w) => [`/w/${w}`, w]),
      ),
    );
    const long = 'k'.repeat(1500);
    trees.push(
      snapshot('/c/', [
        [`/c/${long}`, 'v'],
        [`/c/${long}x/sub`, 'w\nz'],
      ]),
    );
    const docs = trees.map(renderYamlDoc);
    assert.ok(
      docs.some((d) => /: \|2\+?-?\n/.test(d)),
      'the batch covers block literals with an indentation indicator',
    );
    assert.ok(
      docs.some((d) => /: \|\+\n/.test(d)),
      'the batch covers kept trailing newlines',
    );
    const read = await readYamlWithPython(docs);
    assert.equal(read.length, docs.length);
    trees.forEach((snap, i) => {
      const tree = treeOf(snap);
      assert.deepStrictEqual(read[i], tree, `document ${i}:\n${docs[i]}`);
    });
  }).timeout(READER_TIMEOUT_MS);
});
