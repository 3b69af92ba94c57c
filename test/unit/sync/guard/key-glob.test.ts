import { strict as assert } from 'node:assert';
import { keyGlob } from '../../../../src/sync/index.js';

describe('sync keyGlob', () => {
  const cases: [glob: string, key: string, matches: boolean][] = [
    ['*', '', true],
    ['*', 'anything.at.all', true],
    ['*.json', 'app.json', true],
    ['*.json', '.json', true],
    ['*.json', 'app.json.bak', false],
    ['*.json', 'appxjson', false],
    ['app-?.yaml', 'app-1.yaml', true],
    ['app-?.yaml', 'app-.yaml', false],
    ['app-?.yaml', 'app-12.yaml', false],
    ['?', '', false],
    ['a*b*c', 'abc', true],
    ['a*b*c', 'aXbYbZc', true],
    ['a*b*c', 'aXbYc.', false],
    ['**', 'x', true],
    ['*?', '', false],
    ['*?', 'x', true],
    ['exact', 'exact', true],
    ['exact', 'exactly', false],
    ['exact', 'in-exact', false],
    ['a.b', 'aXb', false],
    ['a+b(c)[d]$^|\\', 'a+b(c)[d]$^|\\', true],
    ['x?y', 'x🌍y', true],
  ];
  for (const [glob, key, matches] of cases) {
    it(`${JSON.stringify(glob)} ${matches ? 'matches' : 'does not match'} ${JSON.stringify(key)}`, () => {
      assert.equal(keyGlob(glob)(key), matches);
    });
  }

  it('answers at once where a backtracking RegExp would not', () => {
    const glob = `${'*a'.repeat(100)}*c`;
    const started = Date.now();
    assert.equal(keyGlob(glob)('a'.repeat(253)), false);
    assert.equal(keyGlob(glob)(`${'a'.repeat(252)}c`), true);
    assert.ok(Date.now() - started < 500, `took ${Date.now() - started} ms`);
  });
});
