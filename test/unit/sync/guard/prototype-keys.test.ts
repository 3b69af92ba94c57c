import { strict as assert } from 'node:assert';
import { compileGuard, describeChange, summarizeChange } from '../../../../src/sync/index.js';

// ConfigMap keys such as `constructor` and `toString` are valid, and content read back from the API
// server is a plain object, where those names are inherited properties.
describe('sync guard with keys named like Object.prototype members', () => {
  it('summarizeChange: a key new to a plain-object ConfigMap is added, not changed', () => {
    const summary = summarizeChange({ a: '1' }, { a: '1', constructor: 'x', toString: 'y' });
    assert.deepEqual(summary, { added: ['constructor', 'toString'], changed: [], removed: [] });
    assert.equal(describeChange(summary), 'added constructor, toString');
  });

  it('summarizeChange: a key gone from a plain-object candidate is removed', () => {
    const summary = summarizeChange({ a: '1', hasOwnProperty: 'x' }, { a: '1' });
    assert.deepEqual(summary, { added: [], changed: [], removed: ['hasOwnProperty'] });
  });

  it('maxRemoved counts a removed `constructor` key even when the candidate is a plain object', () => {
    const compiled = compileGuard({
      minKeys: 0,
      maxRemoved: { kind: 'count', count: 0 },
      rules: [],
      schemas: [],
    });
    if (!compiled.ok) assert.fail(JSON.stringify(compiled.errors));
    const published = { data: { a: '1', constructor: 'x' }, binaryData: {} };
    const verdict = compiled.guard.judge(published, { data: { a: '1' }, binaryData: {}, revision: 5n });
    assert.equal(verdict.ok, false);
    assert.deepEqual(!verdict.ok && verdict.keys, ['constructor']);
  });
});
