import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { renderConfigMap } from '../../../src/sync/index.js';
import type { PrefixSnapshot } from '../../../src/sync/index.js';
import { flatSnapshotArb, textArb } from './arbitraries.js';
import { readPropertiesWithJava } from './external-readers.js';
import { expectOk, expectProblems, readable, snapshot } from './helpers.js';

// A separate process reads the documents; generous for a machine shared by many test runs.
const READER_TIMEOUT_MS = 180_000;

const PROPS = { format: 'properties', key: 'application.properties', separator: '.' } as const;

function doc(snap: PrefixSnapshot): string {
  return expectOk(renderConfigMap(snap, PROPS)).data['application.properties']!;
}

describe('sync format properties', () => {
  it('writes one key=value line per etcd key, dotted keys in order', () => {
    const text = doc(
      snapshot('/app/', [
        ['/app/spring/datasource/url', 'jdbc:postgresql://db:5432/x'],
        ['/app/server/port', '8080'],
        ['/app/spring/datasource/username', 'app'],
      ]),
    );
    assert.equal(
      text,
      'server.port=8080\nspring.datasource.url=jdbc\\:postgresql\\://db\\:5432/x\nspring.datasource.username=app\n',
    );
  });

  it('escapes as Properties.store does: separators, comments, spaces, line breaks, non-ASCII', () => {
    const text = doc(
      snapshot('/p/', [
        ['/p/a key', ' leading and inner spaces '],
        ['/p/k=:#!', 'v=:#!\\'],
        ['/p/lines', 'one\ntwo\r\tthree\f'],
        ['/p/unicode', 'é中🌍\0\x7f'],
      ]),
    );
    assert.equal(
      text,
      [
        'a\\ key=\\ leading and inner spaces ',
        'k\\=\\:\\#\\!=v\\=\\:\\#\\!\\\\',
        'lines=one\\ntwo\\r\\tthree\\f',
        'unicode=\\u00E9\\u4E2D\\uD83C\\uDF0D\\u0000\\u007F',
        '',
      ].join('\n'),
    );
    assert.match(text, /^[\x20-\x7e\n]*$/, 'the document is pure printable ASCII');
  });

  it('renders an empty prefix as an empty document', () => {
    assert.equal(doc(snapshot('/p/', [])), '');
  });

  it('allows a key and keys below it (properties are flat)', () => {
    assert.equal(
      doc(
        snapshot('/p/', [
          ['/p/a', '1'],
          ['/p/a/b', '2'],
        ]),
      ),
      'a=1\na.b=2\n',
    );
  });

  it('names colliding keys and values that are not UTF-8', () => {
    const result = expectProblems(
      renderConfigMap(
        snapshot('/p/', [
          ['/p/a.b', '1'],
          ['/p/a/b', '2'],
          ['/p/bin', [0xfe, 0xff]],
        ]),
        PROPS,
      ),
    );
    assert.deepEqual(result.problems.map(readable), [
      { kind: 'KeyCollision', mappedKey: 'a.b', etcdKeys: ['/p/a.b', '/p/a/b'] },
      { kind: 'InvalidValue', etcdKey: '/p/bin', reason: 'not-utf8' },
    ]);
  });

  it('reads back exactly with java.util.Properties.load, for random keys and values', async () => {
    const nameArb = fc.oneof(
      textArb.filter((s) => s !== '' && !s.includes('/')),
      fc.stringMatching(/^[a-z]{1,3}$/),
    );
    const snaps = fc.sample(flatSnapshotArb(nameArb, textArb), {
      numRuns: Number(process.env.SYNC_PROPERTY_RUNS ?? 120),
      seed: 7,
    });
    snaps.push(
      snapshot('/env/', [
        ['/env/ lead', ' lead'],
        ['/env/#c', '!x'],
        ['/env/a\\b', 'c\\'],
        ['/env/é', '🌍'],
      ]),
    );
    const docs = snaps.map(doc);
    const read = await readPropertiesWithJava(docs);
    assert.equal(read.length, docs.length);
    snaps.forEach((snap, i) => {
      const expected = new Map(
        snap.entries.map((e) => [e.key.toString('utf8').slice('/env/'.length), e.value.toString('utf8')]),
      );
      assert.deepStrictEqual(
        read[i],
        new Map([...expected].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
        `document ${i}:\n${docs[i]}`,
      );
    });
  }).timeout(READER_TIMEOUT_MS);

  it('upper-cases ASCII letters with keyCase upper, keeping others, as java.util.Properties reads', async () => {
    const text = expectOk(
      renderConfigMap(
        snapshot('/a/', [
          ['/a/db/host', 'x'],
          ['/a/straße', 'y'],
        ]),
        { ...PROPS, keyCase: 'upper' },
      ),
    ).data['application.properties']!;
    assert.equal(text, 'DB.HOST=x\nSTRA\\u00DFE=y\n');
    const [read] = await readPropertiesWithJava([text]);
    assert.deepStrictEqual(
      read,
      new Map([
        ['DB.HOST', 'x'],
        ['STRAßE', 'y'],
      ]),
    );
  }).timeout(READER_TIMEOUT_MS);
});
