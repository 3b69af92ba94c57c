import { strict as assert } from 'node:assert';
import { cloneJson } from '../../../src/base/index.js';

describe('cloneJson', () => {
  it('copies deeply, keeping an own "__proto__" key as a key', () => {
    const src = JSON.parse('{"a":{"b":[1,{"c":null}]},"__proto__":{"x":1}}') as Record<string, unknown>;
    const copy = cloneJson(src);
    assert.deepEqual(copy, src);
    assert.equal(Object.getPrototypeOf(copy), Object.prototype);
    assert.deepEqual(Object.keys(copy), ['a', '__proto__']);
    ((copy['a'] as Record<string, unknown>)['b'] as unknown[]).push(2);
    assert.deepEqual((src['a'] as Record<string, unknown>)['b'], [1, { c: null }]);
  });

  it('copies what is not plain JSON (a Date, a Map) as structuredClone does', () => {
    const at = new Date(0);
    const copy = cloneJson({ at, tags: new Map([['a', 1]]) });
    assert.notEqual(copy.at, at);
    assert.equal(copy.at.getTime(), 0);
    assert.deepEqual([...copy.tags], [['a', 1]]);
  });
});
