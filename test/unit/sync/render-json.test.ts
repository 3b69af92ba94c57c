import { strict as assert } from 'node:assert';
import { MAX_TREE_DEPTH, RENDER_FORMATS, renderConfigMap } from '../../../src/sync/index.js';
import { expectOk, expectProblems, readable, snapshot } from './helpers.js';

const JSON_OPTS = { format: 'json', key: 'config.json', separator: '.' } as const;

describe('sync format json', () => {
  it('renders the key tree as one indented document under target.key', () => {
    const result = expectOk(
      renderConfigMap(
        snapshot('/app/', [
          ['/app/db/port', '5432'],
          ['/app/db/host', 'db'],
          ['/app/name', 'pay "ments"\n'],
        ]),
        JSON_OPTS,
      ),
    );
    assert.deepEqual(Object.keys(result.data), ['config.json']);
    assert.equal(
      result.data['config.json'],
      '{\n  "db": {\n    "host": "db",\n    "port": "5432"\n  },\n  "name": "pay \\"ments\\"\\n"\n}\n',
    );
    assert.equal(result.keyCount, 3, 'keyCount counts etcd keys, not ConfigMap keys');
    assert.equal(result.byteCount, Buffer.byteLength(result.data['config.json']));
  });

  it('keeps values as strings and orders members by code point, integer-like names included', () => {
    const result = expectOk(
      renderConfigMap(
        snapshot('/a/', [
          ['/a/b', 'true'],
          ['/a/10', '1'],
          ['/a/2', 'null'],
          ['/a/__proto__', 'x'],
        ]),
        JSON_OPTS,
      ),
    );
    const text = result.data['config.json']!;
    assert.equal(text, '{\n  "10": "1",\n  "2": "null",\n  "__proto__": "x",\n  "b": "true"\n}\n');
    const parsed = JSON.parse(text) as Record<string, unknown>;
    assert.equal(Object.prototype.hasOwnProperty.call(parsed, '__proto__'), true);
    assert.equal(parsed.b, 'true');
  });

  it('orders members by code point (UTF-8 byte order), not by UTF-16 unit', () => {
    const names = ['\u{1F30D}', '\uE000', 'z', 'é', 'Z'];
    const result = expectOk(
      renderConfigMap(
        snapshot(
          '/a/',
          names.map((n) => [`/a/${n}`, n]),
        ),
        JSON_OPTS,
      ),
    );
    const order = Object.keys(JSON.parse(result.data['config.json']!) as object);
    const byBytes = [...names].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    assert.deepEqual(order, byBytes);
    assert.deepEqual(order, ['Z', 'z', 'é', '\uE000', '\u{1F30D}']);
  });

  it('refuses paths deeper than MAX_TREE_DEPTH, and renders one exactly that deep', () => {
    const deep = (n: number): string => `/a/${Array.from({ length: n }, () => 'x').join('/')}`;
    const ok = expectOk(renderConfigMap(snapshot('/a/', [[deep(MAX_TREE_DEPTH), 'v']]), JSON_OPTS));
    assert.equal(JSON.stringify(JSON.parse(ok.data['config.json']!)).split('{').length - 1, MAX_TREE_DEPTH);
    for (const format of ['json', 'yaml'] as const) {
      const result = expectProblems(
        renderConfigMap(snapshot('/a/', [[deep(MAX_TREE_DEPTH + 1), 'v']]), { ...JSON_OPTS, format }),
      );
      assert.deepEqual(result.problems.map(readable), [
        { kind: 'InvalidKey', etcdKey: deep(MAX_TREE_DEPTH + 1), reasons: ['too-deep'] },
      ]);
    }
  });

  it('never throws, whatever the depth of a key, in any format', () => {
    const key = `/a/${'x/'.repeat(300_000)}y`;
    for (const format of RENDER_FORMATS) {
      const result = renderConfigMap(snapshot('/a/', [[key, 'v']]), { format, key: 'k', separator: '_' });
      assert.equal(typeof result.ok, 'boolean', format);
    }
  });

  it('renders an empty prefix as {}', () => {
    assert.equal(expectOk(renderConfigMap(snapshot('/a/', []), JSON_OPTS)).data['config.json'], '{}\n');
  });

  it('refuses a key that has a value and keys below it, naming the key and all below it', () => {
    const result = expectProblems(
      renderConfigMap(
        snapshot('/a/', [
          ['/a/db', 'x'],
          ['/a/db/host', 'h'],
          ['/a/db/port/n', 'p'],
          ['/a/ok', 'fine'],
        ]),
        JSON_OPTS,
      ),
    );
    assert.deepEqual(result.problems.map(readable), [
      { kind: 'TreeConflict', etcdKey: '/a/db', descendants: ['/a/db/host', '/a/db/port/n'] },
    ]);
  });

  it('reports a conflict at each level of a chain of values', () => {
    const result = expectProblems(
      renderConfigMap(
        snapshot('/a/', [
          ['/a/x', '1'],
          ['/a/x/y', '2'],
          ['/a/x/y/z', '3'],
        ]),
        JSON_OPTS,
      ),
    );
    assert.deepEqual(result.problems.map(readable), [
      { kind: 'TreeConflict', etcdKey: '/a/x', descendants: ['/a/x/y', '/a/x/y/z'] },
      { kind: 'TreeConflict', etcdKey: '/a/x/y', descendants: ['/a/x/y/z'] },
    ]);
  });

  it('refuses values that are not UTF-8, naming each', () => {
    const result = expectProblems(
      renderConfigMap(
        snapshot('/a/', [
          ['/a/bin', [0xff]],
          ['/a/b2', [0xc0, 0x80]],
          ['/a/t', 'ok'],
        ]),
        JSON_OPTS,
      ),
    );
    assert.deepEqual(result.problems.map(readable), [
      { kind: 'InvalidValue', etcdKey: '/a/b2', reason: 'not-utf8' },
      { kind: 'InvalidValue', etcdKey: '/a/bin', reason: 'not-utf8' },
    ]);
  });

  it('does not need ConfigMap-key characters in names: segments are JSON member names', () => {
    const result = expectOk(renderConfigMap(snapshot('/a/', [['/a/with space/ü', 'v']]), JSON_OPTS));
    assert.deepEqual(JSON.parse(result.data['config.json']!), { 'with space': { ü: 'v' } });
  });

  it('names a snapshot that repeats a key as a collision', () => {
    const result = expectProblems(
      renderConfigMap(
        snapshot('/a/', [
          ['/a/k', '1'],
          ['/a/k', '2'],
        ]),
        JSON_OPTS,
      ),
    );
    assert.deepEqual(result.problems.map(readable), [
      { kind: 'KeyCollision', mappedKey: 'k', etcdKeys: ['/a/k', '/a/k'] },
    ]);
  });
});
