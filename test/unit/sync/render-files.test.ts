import { strict as assert } from 'node:assert';
import { renderConfigMap } from '../../../src/sync/index.js';
import { expectOk, expectProblems, plain, readable, snapshot } from './helpers.js';

const FILES = { format: 'files', separator: '.' } as const;

describe('sync format files', () => {
  it('writes one ConfigMap key per etcd key, the path joined by the separator', () => {
    const result = expectOk(
      renderConfigMap(
        snapshot('/config/app/', [
          ['/config/app/db/host', 'db.internal'],
          ['/config/app/db/port', '5432'],
          ['/config/app/log-level', 'info'],
        ]),
        FILES,
      ),
    );
    assert.deepStrictEqual(plain(result.data), {
      'db.host': 'db.internal',
      'db.port': '5432',
      'log-level': 'info',
    });
    assert.deepStrictEqual(plain(result.binaryData), {});
    assert.equal(result.keyCount, 3);
    assert.equal(result.byteCount, 'db.internal'.length + 4 + 4);
  });

  it('uses the configured separator', () => {
    const result = expectOk(
      renderConfigMap(snapshot('/p/', [['/p/a/b/c', 'v']]), { format: 'files', separator: '__' }),
    );
    assert.deepStrictEqual(Object.keys(result.data), ['a__b__c']);
  });

  it('puts UTF-8 values in data and any other bytes in binaryData, exactly', () => {
    const binary = [0xff, 0x00, 0xc3, 0x28, 0x80];
    const bom = Buffer.from([0xef, 0xbb, 0xbf, 0x61]);
    const result = expectOk(
      renderConfigMap(
        snapshot('/p/', [
          ['/p/text', 'héllo 🌍\n'],
          ['/p/blob', binary],
          ['/p/bom', bom],
          ['/p/nul', 'a\0b'],
          ['/p/empty', ''],
        ]),
        FILES,
      ),
    );
    assert.deepStrictEqual(plain(result.data), {
      bom: '\ufeffa',
      empty: '',
      nul: 'a\0b',
      text: 'héllo 🌍\n',
    });
    assert.deepStrictEqual(plain(result.binaryData), { blob: Buffer.from(binary).toString('base64') });
    assert.deepEqual(Buffer.from(result.data.bom!, 'utf8'), bom, 'the byte-order mark is kept');
    assert.equal(result.byteCount, Buffer.byteLength('héllo 🌍\n') + 5 + 4 + 3 + 0);
  });

  it('treats a key named __proto__ as an ordinary key', () => {
    const result = expectOk(
      renderConfigMap(
        snapshot('/p/', [
          ['/p/__proto__', 'x'],
          ['/p/constructor', 'y'],
        ]),
        FILES,
      ),
    );
    assert.deepEqual(Object.keys(result.data), ['__proto__', 'constructor']);
    assert.equal(result.data['__proto__'], 'x');
    assert.equal(Object.getPrototypeOf(result.data), null);
  });

  it('renders an empty prefix as an empty ConfigMap', () => {
    const result = expectOk(renderConfigMap(snapshot('/p/', []), FILES));
    assert.deepEqual(Object.keys(result.data), []);
    assert.equal(result.keyCount, 0);
    assert.equal(result.byteCount, 0);
  });

  it('names both keys when two map to one ConfigMap key', () => {
    const result = expectProblems(
      renderConfigMap(
        snapshot('/p/', [
          ['/p/a.b', '1'],
          ['/p/a/b', '2'],
          ['/p/ok', '3'],
        ]),
        FILES,
      ),
    );
    assert.deepEqual(result.problems.map(readable), [
      { kind: 'KeyCollision', mappedKey: 'a.b', etcdKeys: ['/p/a.b', '/p/a/b'] },
    ]);
  });

  it('names every key whose ConfigMap key is invalid, with every reason', () => {
    const result = expectProblems(
      renderConfigMap(
        snapshot('/p/', [
          ['/p/has space', '1'],
          ['/p/ünïcode', '2'],
          ['/p/..', '3'],
          ['/p/.', '4'],
          ['/p/..hidden', '5'],
          [`/p/${'x'.repeat(254)}`, '6'],
          ['/p/fine', '7'],
        ]),
        FILES,
      ),
    );
    assert.deepEqual(result.problems.map(readable), [
      { kind: 'InvalidKey', etcdKey: '/p/.', reasons: ['dot-name'], mappedKey: '.' },
      { kind: 'InvalidKey', etcdKey: '/p/..', reasons: ['dot-name'], mappedKey: '..' },
      { kind: 'InvalidKey', etcdKey: '/p/..hidden', reasons: ['dot-name'], mappedKey: '..hidden' },
      {
        kind: 'InvalidKey',
        etcdKey: '/p/has space',
        reasons: ['illegal-characters'],
        mappedKey: 'has space',
      },
      {
        kind: 'InvalidKey',
        etcdKey: `/p/${'x'.repeat(254)}`,
        reasons: ['too-long'],
        mappedKey: 'x'.repeat(254),
      },
      { kind: 'InvalidKey', etcdKey: '/p/ünïcode', reasons: ['illegal-characters'], mappedKey: 'ünïcode' },
    ]);
  });

  it('names keys without a path: the prefix itself, empty segments, non-UTF-8, outside the prefix', () => {
    const result = expectProblems(
      renderConfigMap(
        snapshot('/p/', [
          ['/p/', 'the prefix'],
          ['/p/dir/', 'a directory marker'],
          ['/p/a//b', 'doubled'],
          [Buffer.from([0x2f, 0x70, 0x2f, 0xfe]), 'bad bytes'],
          ['/q/x', 'elsewhere'],
          ['/p/ok', 'fine'],
        ]),
        FILES,
      ),
    );
    assert.deepEqual(result.problems.map(readable), [
      { kind: 'InvalidKey', etcdKey: '/p/', reasons: ['equals-prefix'] },
      { kind: 'InvalidKey', etcdKey: '/p/a//b', reasons: ['empty-segment'] },
      { kind: 'InvalidKey', etcdKey: '/p/dir/', reasons: ['empty-segment'] },
      { kind: 'InvalidKey', etcdKey: '0x2f702ffe', reasons: ['not-utf8'] },
      { kind: 'InvalidKey', etcdKey: '/q/x', reasons: ['outside-prefix'] },
    ]);
  });

  it('gives the same problems in the same order whatever the order of the entries', () => {
    const pairs: [string, string][] = [
      ['/p/a b', '1'],
      ['/p/x.y', '2'],
      ['/p/x/y', '3'],
      ['/p/', '4'],
    ];
    const forward = expectProblems(renderConfigMap(snapshot('/p/', pairs), FILES));
    const backward = expectProblems(renderConfigMap(snapshot('/p/', [...pairs].reverse()), FILES));
    assert.deepEqual(forward.problems.map(readable), backward.problems.map(readable));
    assert.deepEqual(
      forward.problems.map((p) => p.kind),
      ['InvalidKey', 'InvalidKey', 'KeyCollision'],
    );
  });

  it('accepts a Buffer prefix like a string one', () => {
    const a = expectOk(renderConfigMap(snapshot('/p/', [['/p/k', 'v']]), FILES));
    const b = expectOk(renderConfigMap(snapshot(Buffer.from('/p/'), [['/p/k', 'v']]), FILES));
    assert.equal(a.contentHash, b.contentHash);
  });

  it('ignores the revision: content alone decides the result', () => {
    const snap = snapshot('/p/', [['/p/k', 'v']]);
    const a = expectOk(renderConfigMap(snap, FILES));
    const b = expectOk(renderConfigMap({ ...snap, revision: 9_007_199_254_740_993n }, FILES));
    assert.equal(a.contentHash, b.contentHash);
  });
});
