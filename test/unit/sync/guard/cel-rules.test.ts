import { strict as assert } from 'node:assert';
import {
  CEL_COST_LIMIT,
  CEL_COST_PER_ITERATION,
  compileGuard,
  type GuardOptions,
  type GuardSpec,
  type Verdict,
} from '../../../../src/sync/index.js';

const NONE: GuardSpec = { minKeys: 0, maxRemoved: undefined, rules: [], schemas: [] };

function judgeRule(rule: string, data: Record<string, string>, options: GuardOptions = {}): Verdict {
  const compiled = compileGuard({ ...NONE, rules: [{ rule, message: 'the rule says no' }] }, options);
  if (!compiled.ok) assert.fail(`expected ${rule} to compile: ${JSON.stringify(compiled.errors)}`);
  return compiled.guard.judge(undefined, { data, binaryData: {}, revision: 77n });
}

function compileError(rule: string): string {
  const compiled = compileGuard({
    ...NONE,
    rules: [
      { rule: 'true', message: 'ok' },
      { rule, message: 'm' },
    ],
  });
  if (compiled.ok) assert.fail(`expected ${rule} not to compile`);
  assert.deepEqual(
    compiled.errors.map((e) => e.path),
    ['spec.validation.rules[1].rule'],
  );
  return compiled.errors[0]!.message;
}

function failure(verdict: Verdict): string {
  if (verdict.ok) assert.fail('expected the rule to fail');
  assert.equal(verdict.reason, 'ValidationFailed');
  return verdict.message;
}

function keys(n: number, value = 'v'): Record<string, string> {
  const data: Record<string, string> = {};
  for (let i = 0; i < n; i++) data[`k${i}`] = value;
  return data;
}

describe('sync guard CEL rules', () => {
  describe('compiling', () => {
    it('refuses an undeclared variable, naming it', () => {
      assert.equal(compileError("dta['port'] == '1'"), "undeclared reference to 'dta'");
    });

    it('refuses an unknown function or method, naming each once', () => {
      assert.equal(
        compileError("sizee(data) > 1 && data['a'].startswith('x') && sizee(data) < 9"),
        "undeclared reference to 'sizee'; undeclared reference to 'startswith'",
      );
    });

    it('accepts comprehension variables, type names and namespaced functions', () => {
      const rule =
        "data.all(k, data.exists(j, j == k)) && type(data) == map && strings.quote('a') == '\"a\"'";
      assert.deepEqual(judgeRule(rule, { a: '1' }), { ok: true });
    });

    it('does not let a comprehension variable escape its comprehension', () => {
      assert.equal(compileError("data.all(k, k != '') && k == 'a'"), "undeclared reference to 'k'");
    });

    it('refuses a rule that can never be a bool', () => {
      assert.match(compileError('1 + 1'), /must be a bool, not a call of _\+_/);
      assert.match(compileError("'yes'"), /must be a bool, not a literal/);
      assert.match(compileError('data'), /must be a bool, not the map data itself/);
      assert.match(compileError("[data['a']]"), /must be a bool, not a list/);
      assert.match(compileError("int(data['a'])"), /must be a bool, not a call of int/);
      assert.match(compileError("size(data) > 0 ? 1 : 'a'"), /must be a bool, not a conditional/);
    });

    it('leaves what only evaluation can tell to evaluation', () => {
      assert.match(failure(judgeRule("data['a']", { a: 'x' })), /does not evaluate to a boolean/);
      assert.deepEqual(judgeRule("size(data) > 0 ? true : 'a'", { a: 'x' }), { ok: true });
    });

    it("reports the parser's message for a syntax error", () => {
      assert.match(compileError("data['a' =="), /.+/);
    });
  });

  describe('evaluating, as CEL specifies', () => {
    const port = "data['port'].matches('^[0-9]+$') && int(data['port']) < 65536";

    it('the port rule: 8080 passes; eighty and 70000 fail with the message and the revision', () => {
      assert.deepEqual(judgeRule(port, { port: '8080' }), { ok: true });
      for (const bad of ['eighty', '70000']) {
        const message = failure(judgeRule(port, { port: bad }));
        assert.match(message, /^revision 77 breaks a rule of spec\.validation: the rule says no; rule: /);
      }
    });

    it('the port rule without a port key: an evaluation error, with the message and the error', () => {
      assert.match(failure(judgeRule(port, { host: 'db' })), /the rule says no \(.*port.*\)/);
    });

    it("'region' in data", () => {
      assert.deepEqual(judgeRule("'region' in data", { region: 'eu' }), { ok: true });
      assert.match(failure(judgeRule("'region' in data", { zone: 'a' })), /the rule says no; rule:/);
    });

    it('an error that the logic makes irrelevant is absorbed, in either order', () => {
      const data = { a: 'not a number', b: '1' };
      assert.deepEqual(judgeRule("data.all(k, k == 'a' || int(data[k]) > 0)", data), { ok: true });
      assert.deepEqual(judgeRule("data.all(k, int(data[k]) > 0 || k == 'a')", data), { ok: true });
      assert.match(failure(judgeRule('data.all(k, int(data[k]) > 0)', data)), /\(.+\)/);
    });

    it('has the strings extension and every macro', () => {
      const rule =
        "data['csv'].split(',').size() == 3 && data['name'].lowerAscii() == 'app' && " +
        "data.exists_one(k, k == 'csv') && data.map(k, k).size() == 2 && data.filter(k, k == 'name').size() == 1";
      assert.deepEqual(judgeRule(rule, { csv: 'a,b,c', name: 'APP' }), { ok: true });
    });
  });

  describe('the cost limit', () => {
    it(`charges ${CEL_COST_PER_ITERATION} units for each element a comprehension may visit: exactly the limit passes`, () => {
      const data = keys(50);
      const exact = 50 * CEL_COST_PER_ITERATION;
      assert.deepEqual(judgeRule('data.all(k, true)', data, { celCostLimit: exact }), { ok: true });
      const message = failure(judgeRule('data.all(k, true)', data, { celCostLimit: exact - 1 }));
      assert.match(message, /the rule says no \(the rule needs more than its cost limit of 499 units\)/);
    });

    it('stops a comprehension nested in another, even when the logic would absorb the error', () => {
      const data = keys(2000); // 4 million steps, about 40 million units
      for (const rule of ['data.all(a, data.all(b, true))', 'data.all(a, data.all(b, true)) || true']) {
        const started = Date.now();
        assert.match(failure(judgeRule(rule, data)), new RegExp(`cost limit of ${CEL_COST_LIMIT} units`));
        assert.ok(Date.now() - started < 5000, `${rule} took ${Date.now() - started} ms`);
      }
    });

    it('refuses, before building it, a string far larger than its inputs', () => {
      const data = { a: 'x'.repeat(100_000), b: 'y'.repeat(100_000) };
      for (const rule of [
        "data['a'].replace('', data['b']).size() > 0",
        "data['a'].split('').join(data['b']).size() > 0",
        "data['a'].replace('x', '%s').format([data['b']]).size() > 0",
      ]) {
        assert.match(failure(judgeRule(rule, data)), /cost limit/, rule);
      }
    });

    it('charges replace by the occurrences it finds, so an ordinary replace passes', () => {
      const data = { a: 'x-'.repeat(50_000), b: 'a-b-c' };
      assert.deepEqual(judgeRule("data['b'].replace('-', '_') == 'a_b_c'", data), { ok: true });
      assert.deepEqual(judgeRule("data['b'].replace('-', '_', 1) == 'a_b-c'", data), { ok: true });
      assert.deepEqual(judgeRule("data['a'].replace('-', '', 3).size() == 99997", data), { ok: true });
      assert.match(failure(judgeRule("data['a'].replace('-', '_').size() > 0", data)), /cost limit/);
    });

    it('refuses map/filter results over thousands of keys (the library builds them as nested lists)', () => {
      // @bufbuild/cel appends to a map/filter result one nested list at a time: visiting it is
      // quadratic and overflows the stack at a few thousand elements. The charge for `+` on lists
      // (their size) tracks that, so such a rule meets the cost limit instead.
      const message = failure(judgeRule('data.map(k, k).all(x, x != "")', keys(5000)));
      assert.match(message, /cost limit/);
      assert.deepEqual(judgeRule('data.map(k, k).all(x, x != "")', keys(500)), { ok: true });
    });

    it('lets an ordinary rule read every key of a large ConfigMap', () => {
      const data = keys(20_000, '12345');
      assert.deepEqual(judgeRule("data.all(k, data[k].matches('^[0-9]+$') && int(data[k]) > 0)", data), {
        ok: true,
      });
    });

    it('starts afresh for every revision', () => {
      const compiled = compileGuard(
        { ...NONE, rules: [{ rule: 'data.all(k, true)', message: 'm' }] },
        { celCostLimit: 10 * CEL_COST_PER_ITERATION },
      );
      if (!compiled.ok) assert.fail(JSON.stringify(compiled.errors));
      for (let revision = 1n; revision <= 3n; revision++) {
        const verdict: Verdict = compiled.guard.judge(undefined, {
          data: keys(10),
          binaryData: {},
          revision,
        });
        assert.deepEqual(verdict, { ok: true });
      }
    });
  });
});
