import { strict as assert } from 'node:assert';
import { renderConfigMap } from '../../../src/sync/index.js';
import { expectOk, plain, snapshot } from './helpers.js';

describe('sync onInvalidKey skip', () => {
  const entries: [string, string][] = [
    ['/app/good', '1'],
    ['/app/bad key', '2'],
    ['/app/also bad', '3'],
  ];

  it('fail (the default) refuses the whole snapshot', () => {
    const result = renderConfigMap(snapshot('/app/', entries), { format: 'files', separator: '.' });
    assert.equal(result.ok, false);
  });

  it('skip publishes the valid keys and lists every skipped one, sorted, with the reason', () => {
    const result = expectOk(
      renderConfigMap(snapshot('/app/', entries), { format: 'files', separator: '.', onInvalidKey: 'skip' }),
    );
    assert.deepEqual(plain(result.data), { good: '1' });
    assert.equal(result.keyCount, 1);
    assert.deepEqual(
      result.skipped?.map((s) => s.etcdKey),
      ['/app/also bad', '/app/bad key'],
    );
    assert.ok(result.skipped?.every((s) => s.reason.length > 0));
  });

  it('skip leaves out names env cannot carry, and still fails on other problems', () => {
    const env = expectOk(
      renderConfigMap(
        snapshot('/app/', [
          ['/app/OK', '1'],
          ['/app/1bad', '2'],
        ]),
        {
          format: 'env',
          key: '.env',
          separator: '_',
          onInvalidKey: 'skip',
        },
      ),
    );
    assert.equal(plain(env.data)['.env'], "OK='1'\n");
    assert.equal(env.skipped?.length, 1);
    const collision = renderConfigMap(
      snapshot('/app/', [
        ['/app/a/b', '1'],
        ['/app/a.b', '2'],
      ]),
      {
        format: 'files',
        separator: '.',
        onInvalidKey: 'skip',
      },
    );
    assert.equal(collision.ok, false);
  });
});
