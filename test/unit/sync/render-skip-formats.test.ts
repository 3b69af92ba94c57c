import { strict as assert } from 'node:assert';
import { renderConfigMap, type RenderOptions } from '../../../src/sync/index.js';
import { expectOk, expectProblems, plain, snapshot } from './helpers.js';

describe('sync onInvalidKey skip, format by format', () => {
  it('lists skipped keys by etcd key, whichever step refused them', () => {
    const result = expectOk(
      renderConfigMap(
        snapshot('/app/', [
          ['/app/A', '1'],
          ['/app/b/', 'directory key: an empty segment'],
          ['/app/a-b', 'not an env name'],
          ['/app/c', '2'],
          ['/app/0', 'not an env name either'],
        ]),
        { format: 'env', key: '.env', separator: '_', onInvalidKey: 'skip' },
      ),
    );
    assert.equal(plain(result.data)['.env'], "A='1'\nc='2'\n");
    assert.deepEqual(
      result.skipped?.map((s) => s.etcdKey),
      ['/app/0', '/app/a-b', '/app/b/'],
    );
    assert.match(result.skipped[2]!.reason, /empty-segment/);
    assert.match(result.skipped[1]!.reason, /not a valid environment variable name/);
    assert.equal(result.keyCount, 2);
  });

  it('yaml and json: leaves out keys too deep or not UTF-8, keeps the tree of the rest', () => {
    const deep = `/app/${Array.from({ length: 101 }, (_, i) => `l${i}`).join('/')}`;
    for (const format of ['yaml', 'json'] as const) {
      const result = expectOk(
        renderConfigMap(
          snapshot('/app/', [
            ['/app/db/host', 'h'],
            [deep, 'x'],
            [Buffer.from([...Buffer.from('/app/'), 0xff]), 'y'],
          ]),
          { format, key: `app.${format}`, separator: '.', onInvalidKey: 'skip' },
        ),
      );
      assert.equal(result.keyCount, 1, format);
      assert.deepEqual(
        result.skipped?.map((s) => s.reason.replace(/^invalid key .*: /, '')),
        ['too-deep', 'not-utf8'],
        format,
      );
      assert.equal(result.skipped?.[1]?.etcdKey, '0x2f6170702fff', 'a key that is not UTF-8 in hex');
    }
  });

  it('publishes exactly what rendering the valid entries alone publishes', () => {
    const valid: [string, string][] = [
      ['/app/a', '1'],
      ['/app/b.c', '2'],
    ];
    const options: RenderOptions = { format: 'files', separator: '.' };
    const alone = expectOk(renderConfigMap(snapshot('/app/', valid), options));
    const skipped = expectOk(
      renderConfigMap(snapshot('/app/', [...valid, ['/app/bad key', '3'], ['/other/x', '4']]), {
        ...options,
        onInvalidKey: 'skip',
      }),
    );
    assert.deepEqual(plain(skipped.data), plain(alone.data));
    assert.equal(skipped.contentHash, alone.contentHash);
    assert.equal(skipped.byteCount, alone.byteCount);
    assert.equal(skipped.keyCount, alone.keyCount);
    assert.deepEqual(
      skipped.skipped?.map((s) => s.etcdKey),
      ['/app/bad key', '/other/x'],
    );
    assert.equal(alone.skipped, undefined, 'no list without skip');
  });

  it('an empty list when nothing was skipped', () => {
    const result = expectOk(
      renderConfigMap(snapshot('/app/', [['/app/a', '1']]), {
        format: 'files',
        separator: '.',
        onInvalidKey: 'skip',
      }),
    );
    assert.deepEqual(result.skipped, []);
  });

  it("'fail' is the default, exactly", () => {
    const snap = snapshot('/app/', [
      ['/app/a', '1'],
      ['/app/bad key', '2'],
    ]);
    const byDefault = renderConfigMap(snap, { format: 'files', separator: '.' });
    const explicit = renderConfigMap(snap, { format: 'files', separator: '.', onInvalidKey: 'fail' });
    assert.deepEqual(explicit, byDefault);
    assert.equal(expectProblems(byDefault).problems[0]?.kind, 'InvalidKey');
  });

  describe('still fails, skip or not, on problems that are not about a key name', () => {
    const cases: [string, [string, string | number[]][], RenderOptions, string][] = [
      [
        'TreeConflict',
        [
          ['/app/a', '1'],
          ['/app/a/b', '2'],
        ],
        { format: 'yaml', key: 'a.yaml', separator: '.' },
        'TreeConflict',
      ],
      ['InvalidValue', [['/app/A', [0xff]]], { format: 'env', key: '.env', separator: '_' }, 'InvalidValue'],
      [
        'TooLarge',
        [['/app/a', 'x'.repeat(20)]],
        { format: 'files', separator: '.', maxBytes: 10 },
        'TooLarge',
      ],
      ['InvalidOption', [['/app/a', '1']], { format: 'yaml', separator: '.' }, 'InvalidOption'],
    ];
    for (const [name, pairs, options, kind] of cases) {
      it(name, () => {
        const result = expectProblems(
          renderConfigMap(snapshot('/app/', [...pairs, ['/app/bad key', 'v']]), {
            ...options,
            onInvalidKey: 'skip',
          }),
        );
        assert.deepEqual(
          result.problems.map((p) => p.kind),
          [kind],
        );
      });
    }
  });
});
