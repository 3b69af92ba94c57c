import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { renderConfigMap } from '../../../src/sync/index.js';
import type { PrefixSnapshot } from '../../../src/sync/index.js';
import { flatSnapshotArb, textArb } from './arbitraries.js';
import { readEnvWithShell } from './external-readers.js';
import { expectOk, expectProblems, readable, snapshot } from './helpers.js';

// A separate process reads the documents; generous for a machine shared by many test runs.
const READER_TIMEOUT_MS = 180_000;

const ENV = { format: 'env', key: '.env', separator: '_' } as const;

function doc(snap: PrefixSnapshot): string {
  return expectOk(renderConfigMap(snap, ENV)).data['.env']!;
}

describe('sync format env', () => {
  it("writes NAME='value' lines in name order, joining the path with the separator", () => {
    const text = doc(
      snapshot('/app/', [
        ['/app/DB/HOST', 'db'],
        ['/app/DB/PORT', '5432'],
        ['/app/LOG_LEVEL', 'info'],
      ]),
    );
    assert.equal(text, "DB_HOST='db'\nDB_PORT='5432'\nLOG_LEVEL='info'\n");
  });

  it('keeps the case of names as they are in etcd', () => {
    assert.equal(
      doc(
        snapshot('/a/', [
          ['/a/lower', 'x'],
          ['/a/Mixed_1', 'y'],
        ]),
      ),
      "Mixed_1='y'\nlower='x'\n",
    );
  });

  it('single-quotes values so quotes, $, backslashes and newlines arrive literally', () => {
    const text = doc(snapshot('/a/', [['/a/V', "it's $HOME `x` \\n\nline2"]]));
    assert.equal(text, "V='it'\\''s $HOME `x` \\n\nline2'\n");
  });

  it('renders an empty prefix as an empty document', () => {
    assert.equal(doc(snapshot('/a/', [])), '');
  });

  it('names keys that do not make environment variable names', () => {
    const result = expectProblems(
      renderConfigMap(
        snapshot('/a/', [
          ['/a/1ST', 'x'],
          ['/a/with-dash', 'y'],
          ['/a/db/host', 'z'],
          ['/a/OK', 'w'],
        ]),
        ENV,
      ),
    );
    assert.deepEqual(result.problems.map(readable), [
      { kind: 'InvalidEnvName', etcdKey: '/a/1ST', name: '1ST' },
      { kind: 'InvalidEnvName', etcdKey: '/a/with-dash', name: 'with-dash' },
    ]);
    const dotted = expectProblems(
      renderConfigMap(snapshot('/a/', [['/a/db/host', 'z']]), { ...ENV, separator: '.' }),
    );
    assert.deepEqual(dotted.problems.map(readable), [
      { kind: 'InvalidEnvName', etcdKey: '/a/db/host', name: 'db.host' },
    ]);
  });

  it('names values that are not UTF-8 or hold NUL, and colliding names', () => {
    const result = expectProblems(
      renderConfigMap(
        snapshot('/a/', [
          ['/a/A_B', '1'],
          ['/a/A/B', '2'],
          ['/a/BIN', [0xff]],
          ['/a/NUL', 'a\0b'],
        ]),
        ENV,
      ),
    );
    assert.deepEqual(result.problems.map(readable), [
      { kind: 'KeyCollision', mappedKey: 'A_B', etcdKeys: ['/a/A/B', '/a/A_B'] },
      { kind: 'InvalidValue', etcdKey: '/a/BIN', reason: 'not-utf8' },
      { kind: 'InvalidValue', etcdKey: '/a/NUL', reason: 'contains-nul' },
    ]);
  });

  it('upper-cases ASCII letters with keyCase upper, so nested keys become POSIX names a shell sources', async () => {
    const upper = { ...ENV, keyCase: 'upper' } as const;
    const snap = snapshot('/a/', [
      ['/a/flags/enabled', 'true'],
      ['/a/db/host', "it's"],
      ['/a/Log_level', 'info'],
    ]);
    const text = expectOk(renderConfigMap(snap, upper)).data['.env']!;
    assert.equal(text, "DB_HOST='it'\\''s'\nFLAGS_ENABLED='true'\nLOG_LEVEL='info'\n");
    const [read] = await readEnvWithShell([text]);
    assert.deepStrictEqual(
      read,
      new Map([
        ['DB_HOST', "it's"],
        ['FLAGS_ENABLED', 'true'],
        ['LOG_LEVEL', 'info'],
      ]),
    );
    // Only a–z fold: ß stays ß (and no env name may hold it); db_host and DB_HOST meet.
    const refused = expectProblems(
      renderConfigMap(
        snapshot('/a/', [
          ['/a/straße', 'x'],
          ['/a/db_host', 'y'],
          ['/a/DB_HOST', 'z'],
        ]),
        upper,
      ),
    );
    assert.deepEqual(refused.problems.map(readable), [
      { kind: 'KeyCollision', mappedKey: 'DB_HOST', etcdKeys: ['/a/DB_HOST', '/a/db_host'] },
      { kind: 'InvalidEnvName', etcdKey: '/a/straße', name: 'STRAßE' },
    ]);
  }).timeout(READER_TIMEOUT_MS);

  it('reads back exactly when a POSIX shell sources it, for random names and values', async () => {
    // Lower-case names with a k prefix cannot clash with the shell's own variables.
    const nameArb = fc.stringMatching(/^k[a-z0-9_]{0,6}$/);
    const valueArb = textArb.map((s) => s.replaceAll('\0', ''));
    const snaps = fc.sample(flatSnapshotArb(nameArb, valueArb), {
      numRuns: Number(process.env.SYNC_PROPERTY_RUNS ?? 120),
      seed: 11,
    });
    const docs = snaps.map(doc);
    const read = await readEnvWithShell(docs);
    snaps.forEach((snap, i) => {
      const expected = new Map(
        snap.entries.map((e) => [e.key.toString('utf8').slice('/env/'.length), e.value.toString('utf8')]),
      );
      assert.deepStrictEqual(read[i], expected, `document ${i}:\n${docs[i]}`);
    });
  }).timeout(READER_TIMEOUT_MS);
});
