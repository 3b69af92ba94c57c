import { strict as assert } from 'node:assert';
import { compileGuard, type GuardSpec, type Verdict } from '../../../../src/sync/index.js';

const NONE: GuardSpec = { minKeys: 0, maxRemoved: undefined, rules: [], schemas: [] };

function judgeWith(schema: Record<string, unknown>, value: string): Verdict {
  const compiled = compileGuard({ ...NONE, schemas: [{ keys: 'app.yaml', schema }] });
  if (!compiled.ok) assert.fail(`expected the schema to compile: ${JSON.stringify(compiled.errors)}`);
  return compiled.guard.judge(undefined, { data: { 'app.yaml': value }, binaryData: {}, revision: 9n });
}

describe('sync guard JSON Schemas', () => {
  describe('a schema with an $id', () => {
    // The operator compiles spec.validation again after every edit, from a freshly read object.
    const withId = (required: string[]): Record<string, unknown> => ({
      $id: 'https://example.com/schemas/app',
      type: 'object',
      required,
    });

    it('compiles again from a new object, as after a re-read of the PrefixSync', () => {
      for (let i = 0; i < 3; i++) {
        const compiled = compileGuard({ ...NONE, schemas: [{ keys: '*', schema: withId(['port']) }] });
        assert.equal(compiled.ok, true, JSON.stringify(!compiled.ok && compiled.errors));
      }
    });

    it('compiles after an edit that keeps the $id, and the edit takes effect', () => {
      assert.deepEqual(judgeWith(withId(['port']), 'port: 1'), { ok: true });
      const edited = judgeWith(withId(['port', 'host']), 'port: 1');
      assert.equal(edited.ok, false);
      assert.match(!edited.ok ? edited.message : '', /must have required property 'host'/);
    });

    it('compiles once corrected after a version that did not compile', () => {
      const broken = { ...withId([]), type: 'no-such-type' };
      assert.equal(compileGuard({ ...NONE, schemas: [{ keys: '*', schema: broken }] }).ok, false);
      assert.equal(compileGuard({ ...NONE, schemas: [{ keys: '*', schema: withId([]) }] }).ok, true);
    });

    it('compiles again when an $id sits in $defs and is referenced', () => {
      const nested = (): Record<string, unknown> => ({
        type: 'object',
        $defs: { port: { $id: 'https://example.com/schemas/port', type: 'integer' } },
        properties: { port: { $ref: 'https://example.com/schemas/port' } },
      });
      assert.deepEqual(judgeWith(nested(), 'port: 1'), { ok: true });
      assert.equal(judgeWith(nested(), 'port: one').ok, false);
    });

    it('may appear in two PrefixSyncs at once', () => {
      const a = compileGuard({ ...NONE, schemas: [{ keys: 'a', schema: withId([]) }] });
      const b = compileGuard({ ...NONE, schemas: [{ keys: 'b', schema: withId([]) }] });
      assert.deepEqual([a.ok, b.ok], [true, true]);
    });
  });

  describe('the dialect', () => {
    it('is draft 2020-12: prefixItems is enforced, not ignored', () => {
      const schema = { type: 'array', prefixItems: [{ type: 'integer' }, { type: 'string' }] };
      assert.deepEqual(judgeWith(schema, '[1, "a"]'), { ok: true });
      const v = judgeWith(schema, '["one", "a"]');
      assert.equal(v.ok, false);
      assert.match(!v.ok ? v.message : '', /app\.yaml: \/0 must be integer/);
    });

    it('dependentRequired (2020-12) holds a value that lacks the dependent key', () => {
      const schema = { type: 'object', dependentRequired: { tls: ['cert'] } };
      assert.deepEqual(judgeWith(schema, 'tls: true\ncert: x'), { ok: true });
      assert.equal(judgeWith(schema, 'tls: true').ok, false);
    });

    it('ignores unknown keywords and formats rather than refusing the schema', () => {
      const schema = { type: 'string', 'x-owner': 'team-a', format: 'no-such-format' };
      assert.deepEqual(judgeWith(schema, 'hello'), { ok: true });
    });

    it('refuses a $ref it cannot resolve, at compile time, with its path', () => {
      const compiled = compileGuard({
        ...NONE,
        schemas: [
          { keys: '*', schema: { type: 'object' } },
          { keys: '*', schema: { $ref: 'https://example.com/elsewhere.json' } },
        ],
      });
      assert.equal(compiled.ok, false);
      assert.deepEqual(!compiled.ok && compiled.errors.map((e) => e.path), [
        'spec.validation.schemas[1].schema',
      ]);
    });
  });

  describe('patterns', () => {
    it('run in linear time: a catastrophic pattern on a long value answers at once', () => {
      const schema = { type: 'string', pattern: '^(a+)+$' };
      const started = Date.now();
      const v = judgeWith(schema, `${'a'.repeat(5000)}b`);
      assert.equal(v.ok, false);
      assert.match(!v.ok ? v.message : '', /the value must match pattern "\^\(a\+\)\+\$"/);
      assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
    });

    it('each pattern of a schema is its own (ajv keys patterns by their text)', () => {
      const schema = {
        type: 'object',
        properties: { port: { pattern: '^[0-9]+$' }, host: { pattern: '^[a-z.]+$' } },
        patternProperties: { '^x-': { type: 'string', pattern: '^on|off$' } },
      };
      assert.deepEqual(judgeWith(schema, 'port: "80"\nhost: db.local\nx-debug: "on"'), { ok: true });
      const v = judgeWith(schema, 'port: "80"\nhost: "80"');
      assert.match(!v.ok ? v.message : '', /\/host must match pattern "\^\[a-z\.\]\+\$"/);
      assert.equal(judgeWith(schema, 'port: "80"\nhost: db\nx-debug: "maybe"').ok, false);
    });

    it('are RE2: lookaround and backreferences are refused when the schema compiles', () => {
      for (const pattern of ['^(?=a)', '(a)\\1']) {
        const compiled = compileGuard({ ...NONE, schemas: [{ keys: '*', schema: { pattern } }] });
        assert.equal(compiled.ok, false, pattern);
        assert.match(!compiled.ok ? compiled.errors[0]!.message : '', /error parsing regexp/);
      }
    });
  });

  it('refuses a schema that breaks the meta-schema, saying where', () => {
    const compiled = compileGuard({ ...NONE, schemas: [{ keys: '*', schema: { required: 'port' } }] });
    assert.equal(compiled.ok, false);
    assert.deepEqual(!compiled.ok && compiled.errors, [
      {
        path: 'spec.validation.schemas[0].schema',
        message: 'not a valid JSON Schema: schema/required must be array',
      },
    ]);
  });
});
