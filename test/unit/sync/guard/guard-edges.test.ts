import { strict as assert } from 'node:assert';
import type { GuardContent } from '../../../../src/sync/index.js';
import { guard, held } from './support.js';

function named(n: number, from = 0): Record<string, string> {
  return Object.fromEntries(
    Array.from({ length: n }, (_, i) => [`k${String(from + i).padStart(2, '0')}`, 'v']),
  );
}

const at = (data: Record<string, string>, binaryData: Record<string, string> = {}) => ({
  data,
  binaryData,
  revision: 1234n,
});

describe('sync guard, edges', () => {
  describe('maxRemoved', () => {
    it('names the first 10 removed keys and how many more, and lists at most 10', () => {
      const published: GuardContent = { data: named(20), binaryData: {} };
      const v = held(guard({ maxRemoved: { kind: 'count', count: 1 } }).judge(published, at(named(5))));
      assert.equal(v.reason, 'ChangeHeld');
      assert.match(
        v.message,
        /^revision 1234 would remove 15 keys at once, more than spec\.validation\.maxRemoved \(1\): k05, k06, k07, k08, k09, k10, k11, k12, k13, k14 \(and 5 more\)$/,
      );
      assert.deepEqual(v.keys, Object.keys(named(10, 5)));
    });

    it('a fractional percentage rounds the allowance down', () => {
      const published: GuardContent = { data: named(8), binaryData: {} };
      const g = guard({ maxRemoved: { kind: 'percent', percent: 12.5 } }); // 1 of 8
      assert.deepEqual(g.judge(published, at(named(7))), { ok: true });
      assert.match(held(g.judge(published, at(named(6)))).message, /12\.5% of 8, that is 1/);
    });

    it('0% holds any removal; 100% allows removing everything', () => {
      const published: GuardContent = { data: named(4), binaryData: {} };
      assert.equal(
        held(guard({ maxRemoved: { kind: 'percent', percent: 0 } }).judge(published, at(named(3)))).reason,
        'ChangeHeld',
      );
      assert.deepEqual(guard({ maxRemoved: { kind: 'percent', percent: 100 } }).judge(published, at({})), {
        ok: true,
      });
    });

    it('counts binaryData keys, and a key moving between data and binaryData is not removed', () => {
      const published: GuardContent = { data: { a: '1' }, binaryData: { b: 'AA==', c: 'AA==' } };
      const g = guard({ maxRemoved: { kind: 'count', count: 0 } });
      assert.deepEqual(g.judge(published, at({ a: '1', b: 'text now' }, { c: 'AA==' })), { ok: true });
      assert.deepEqual(held(g.judge(published, at({ a: '1' }, { b: 'AA==' }))).keys, ['c']);
    });

    it('adding keys removes none', () => {
      const published: GuardContent = { data: named(2), binaryData: {} };
      const g = guard({ maxRemoved: { kind: 'count', count: 0 } });
      assert.deepEqual(g.judge(published, at(named(10))), { ok: true });
    });
  });

  describe('minKeys', () => {
    it('says "1 key" in the singular, and counts data and binaryData together', () => {
      const g = guard({ minKeys: 3 });
      assert.match(
        held(g.judge(undefined, at({ a: '1' }))).message,
        /would leave 1 key, fewer than spec\.validation\.minKeys 3$/,
      );
      assert.deepEqual(g.judge(undefined, at({ a: '1' }, { b: 'AA==', c: 'AA==' })), { ok: true });
    });

    it('minKeys 0 lets an empty revision replace published content', () => {
      assert.deepEqual(guard({ minKeys: 0 }).judge({ data: named(3), binaryData: {} }, at({})), { ok: true });
    });
  });

  describe('rules', () => {
    it('see data only, never binaryData', () => {
      const g = guard({ rules: [{ rule: "!('blob' in data)", message: 'no blob in data' }] });
      assert.deepEqual(g.judge(undefined, at({ a: '1' }, { blob: 'AA==' })), { ok: true });
    });

    it('the first rule that fails is the one reported, its message quoted exactly', () => {
      const g = guard({
        rules: [
          { rule: "'a' in data", message: 'a is required' },
          { rule: "'b' in data", message: 'b is required: "quoted" (and bracketed)' },
          { rule: "'c' in data", message: 'c is required' },
        ],
      });
      const v = held(g.judge(undefined, at({ a: '1' })));
      assert.equal(
        v.message,
        `revision 1234 breaks a rule of spec.validation: b is required: "quoted" (and bracketed); rule: 'b' in data`,
      );
      assert.deepEqual(v.keys, []);
    });
  });

  describe('schemas', () => {
    const intSchema = { keys: 'n.*', schema: { type: 'integer' } };

    it('never read binaryData keys, and a glob that matches nothing checks nothing', () => {
      const g = guard({ schemas: [intSchema, { keys: 'nothing-*', schema: { type: 'boolean' } }] });
      assert.deepEqual(g.judge(undefined, at({ other: 'x' }, { 'n.bin': 'AA==' })), { ok: true });
    });

    it('names every breaking key (first 10), sorted, with the first one’s error', () => {
      const data = Object.fromEntries(
        Array.from({ length: 12 }, (_, i) => [`n.${String(11 - i).padStart(2, '0')}`, 'not a number']),
      );
      const v = held(guard({ schemas: [intSchema] }).judge(undefined, at({ ...data, 'n.ok': '7' })));
      assert.deepEqual(
        v.keys,
        Array.from({ length: 10 }, (_, i) => `n.${String(i).padStart(2, '0')}`),
      );
      assert.match(
        v.message,
        /^revision 1234: 12 values of n\.00, n\.01, .*n\.09 \(and 2 more\) break spec\.validation\.schemas\[0\] \(keys n\.\*\): n\.00: the value must be integer$/,
      );
    });

    it('a schema that keys an empty value checks the empty document (YAML null)', () => {
      const g = guard({ schemas: [{ keys: 'x', schema: { type: 'null' } }] });
      assert.deepEqual(g.judge(undefined, at({ x: '' })), { ok: true });
    });
  });

  it('gives the same verdict whatever the order of the keys', () => {
    const g = guard({
      maxRemoved: { kind: 'count', count: 0 },
      schemas: [{ keys: '*', schema: { type: 'integer' } }],
    });
    const forward = g.judge({ data: { a: '1', b: '2', c: '3' }, binaryData: {} }, at({ z: 'x', y: 'y' }));
    const backward = g.judge({ data: { c: '3', b: '2', a: '1' }, binaryData: {} }, at({ y: 'y', z: 'x' }));
    assert.deepEqual(backward, forward);
  });
});
