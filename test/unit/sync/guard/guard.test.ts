import { strict as assert } from 'node:assert';
import { compileGuard, type Guard, type GuardContent, type Verdict } from '../../../../src/sync/index.js';
import { NONE, guard, held } from './support.js';

function content(data: Record<string, string>, binaryData: Record<string, string> = {}): GuardContent {
  return { data, binaryData };
}

function judge(g: Guard, published: GuardContent | undefined, data: Record<string, string>): Verdict {
  return g.judge(published, { ...content(data), revision: 42n });
}

describe('sync guard', () => {
  describe('minKeys', () => {
    it('holds a revision with fewer keys, naming the revision and the keys it would remove', () => {
      const v = held(judge(guard({ minKeys: 1 }), content({ a: '1', b: '2' }), {}));
      assert.equal(v.reason, 'ChangeHeld');
      assert.match(v.message, /revision 42 would leave 0 keys, fewer than spec.validation.minKeys 1/);
      assert.deepEqual(v.keys, ['a', 'b']);
    });
    it('holds an empty first revision too (a typo in the prefix)', () => {
      assert.equal(held(judge(guard({ minKeys: 1 }), undefined, {})).reason, 'ChangeHeld');
    });
    it('counts binaryData keys, and lets minKeys 0 publish nothing', () => {
      const g = guard({ minKeys: 1 });
      assert.deepEqual(g.judge(undefined, { ...content({}, { bin: 'AA==' }), revision: 1n }), { ok: true });
      assert.deepEqual(judge(guard({ minKeys: 0 }), content({ a: '1' }), {}), { ok: true });
    });
  });

  describe('maxRemoved', () => {
    const four = content({ a: '1', b: '2', c: '3', d: '4' });
    it('a count: exactly at the limit passes, one more is held with the removed keys named', () => {
      const g = guard({ maxRemoved: { kind: 'count', count: 2 } });
      assert.deepEqual(judge(g, four, { a: '1', b: '2' }), { ok: true });
      const v = held(judge(g, four, { a: '1' }));
      assert.equal(v.reason, 'ChangeHeld');
      assert.match(
        v.message,
        /would remove 3 keys at once, more than spec.validation.maxRemoved \(2\): b, c, d/,
      );
      assert.deepEqual(v.keys, ['b', 'c', 'd']);
    });
    it('a percentage of the published keys, rounded down', () => {
      const g = guard({ maxRemoved: { kind: 'percent', percent: 50 } });
      assert.deepEqual(judge(g, four, { a: '1', b: '2' }), { ok: true });
      assert.match(held(judge(g, four, { a: '1' })).message, /50% of 4, that is 2/);
      const quarter = guard({ maxRemoved: { kind: 'percent', percent: 25 } });
      assert.equal(
        held(judge(quarter, content({ a: '1', b: '2', c: '3' }), { a: '1', b: '2' })).reason,
        'ChangeHeld',
      );
    });
    it('does not apply before anything is published', () => {
      assert.deepEqual(judge(guard({ maxRemoved: { kind: 'count', count: 0 } }), undefined, { a: '1' }), {
        ok: true,
      });
    });
  });

  describe('CEL rules', () => {
    const port = {
      rule: "data['port'].matches('^[0-9]+$') && int(data['port']) < 65536",
      message: 'port must be a TCP port number',
    };
    it('passes a value that keeps the rule, holds one that breaks it with the rule message', () => {
      const g = guard({ rules: [port] });
      assert.deepEqual(judge(g, undefined, { port: '8080' }), { ok: true });
      for (const bad of ['eighty', '70000']) {
        const v = held(judge(g, undefined, { port: bad }));
        assert.equal(v.reason, 'ValidationFailed');
        assert.match(
          v.message,
          /revision 42 breaks a rule of spec.validation: port must be a TCP port number/,
        );
      }
    });
    it('an evaluation error (a missing key) is a failure that says so', () => {
      const v = held(judge(guard({ rules: [port] }), undefined, { host: 'db' }));
      assert.match(v.message, /port must be a TCP port number \(.*port/);
    });
    it("membership, size and comprehensions: 'region' in data, size(data), data.all", () => {
      const g = guard({
        rules: [
          { rule: "'region' in data", message: 'region is required' },
          { rule: 'size(data) <= 3', message: 'at most 3 keys' },
          { rule: 'data.all(k, size(data[k]) < 10)', message: 'values are short' },
        ],
      });
      assert.deepEqual(judge(g, undefined, { region: 'eu' }), { ok: true });
      assert.match(held(judge(g, undefined, { zone: 'a' })).message, /region is required/);
      assert.match(
        held(judge(g, undefined, { region: 'eu', a: '1', b: '2', c: '3' })).message,
        /at most 3 keys/,
      );
      assert.match(held(judge(g, undefined, { region: 'a-very-long-value' })).message, /values are short/);
    });
    it('a rule that is not boolean fails', () => {
      const v = held(judge(guard({ rules: [{ rule: "data['a']", message: 'm' }] }), undefined, { a: 'x' }));
      assert.match(v.message, /does not evaluate to a boolean/);
    });
    it('a rule that does not parse is a spec error with its path', () => {
      const compiled = compileGuard({ ...NONE, rules: [port, { rule: 'data[', message: 'broken' }] });
      assert.equal(compiled.ok, false);
      assert.equal(!compiled.ok && compiled.errors[0]?.path, 'spec.validation.rules[1].rule');
    });
  });

  describe('JSON Schemas by key glob', () => {
    const replicas = {
      keys: '*.json',
      schema: { type: 'object', required: ['replicas'], properties: { replicas: { type: 'integer' } } },
    };
    it('checks JSON and YAML values of the matching keys only', () => {
      const g = guard({ schemas: [replicas, { keys: 'app-?.yaml', schema: { type: 'object' } }] });
      assert.deepEqual(
        judge(g, undefined, { 'a.json': '{"replicas": 2}', 'app-1.yaml': 'x: 1', other: 'not json' }),
        { ok: true },
      );
      const v = held(judge(g, undefined, { 'a.json': '{"replicas": "two"}', 'b.json': '{"replicas": 1}' }));
      assert.equal(v.reason, 'ValidationFailed');
      assert.match(
        v.message,
        /a\.json breaks spec.validation.schemas\[0\] \(keys \*\.json\): a\.json: \/replicas must be integer/,
      );
      assert.deepEqual(v.keys, ['a.json']);
      assert.match(held(judge(g, undefined, { 'app-2.yaml': '- a list' })).message, /schemas\[1\]/);
    });
    it('a value that does not parse fails', () => {
      const v = held(judge(guard({ schemas: [replicas] }), undefined, { 'a.json': '{"replicas": ' }));
      assert.match(v.message, /a\.json: is not JSON or YAML/);
    });
    it('a schema ajv cannot compile is a spec error with its path', () => {
      const compiled = compileGuard({ ...NONE, schemas: [{ keys: '*', schema: { type: 'no-such-type' } }] });
      assert.equal(!compiled.ok && compiled.errors[0]?.path, 'spec.validation.schemas[0].schema');
    });
  });

  it('applies the guards in order: minKeys, maxRemoved, rules, schemas', () => {
    const g = guard({
      minKeys: 2,
      maxRemoved: { kind: 'count', count: 0 },
      rules: [{ rule: "'x' in data", message: 'x required' }],
    });
    assert.match(held(judge(g, content({ a: '1', b: '2' }), { a: '1' })).message, /minKeys/);
    assert.match(held(judge(g, content({ a: '1', b: '2' }), { a: '1', c: '3' })).message, /maxRemoved/);
    assert.match(held(judge(g, content({ a: '1', b: '2' }), { a: '1', b: '3' })).message, /x required/);
  });
});
