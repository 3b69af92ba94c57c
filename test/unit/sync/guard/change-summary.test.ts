import { strict as assert } from 'node:assert';
import { describeChange, keyGlob, summarizeChange } from '../../../../src/sync/index.js';

describe('sync change summary', () => {
  it('names added, changed and removed keys, sorted, never values', () => {
    const summary = summarizeChange({ a: '1', b: '2', c: 'secret' }, { a: '1', b: '3', d: 'new' });
    assert.deepEqual(summary, { added: ['d'], changed: ['b'], removed: ['c'] });
    const line = describeChange(summary);
    assert.equal(line, 'added d; changed b; removed c');
    assert.doesNotMatch(line, /secret|new|3/);
  });
  it('with nothing published, every key is added; no difference says so', () => {
    assert.deepEqual(summarizeChange(undefined, { b: '1', a: '2' }).added, ['a', 'b']);
    assert.equal(describeChange(summarizeChange({ a: '1' }, { a: '1' })), 'no key changed');
  });
  it('caps each list', () => {
    const after = Object.fromEntries(
      Array.from({ length: 15 }, (_, i) => [`k${String(i).padStart(2, '0')}`, 'v']),
    );
    assert.match(
      describeChange(summarizeChange(undefined, after), 3),
      /^added k00, k01, k02 \(and 12 more\)$/,
    );
  });
});

describe('sync key glob', () => {
  it('* any run, ? one character, the rest literal, the whole key', () => {
    const json = keyGlob('*.json');
    assert.ok(json('a.json') && json('.json'));
    assert.ok(!json('a.jsonx') && !json('ajson'));
    const one = keyGlob('app-?.yaml');
    assert.ok(one('app-1.yaml') && !one('app-12.yaml'));
    assert.ok(keyGlob('a+b(c)')('a+b(c)'));
  });
});
