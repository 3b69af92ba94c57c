// The test-support CRD validator must behave like the API server where our CRDs depend on it; these
// cases pin that down on a small synthetic CRD, so a wrong "accepted" elsewhere cannot come from here.
import assert from 'node:assert/strict';
import { CrdValidator } from './support/crd-validator.js';
import type { Crd, SchemaNode } from './support/crd-validator.js';

function crdWith(spec: SchemaNode): Crd {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.example.dev' },
    spec: {
      group: 'example.dev',
      scope: 'Namespaced',
      names: { kind: 'Widget', listKind: 'WidgetList', plural: 'widgets', singular: 'widget' },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec,
              },
            },
          },
        },
      ],
    },
  };
}

const widget = (spec: unknown): unknown => ({
  apiVersion: 'example.dev/v1',
  kind: 'Widget',
  metadata: { name: 'w' },
  spec,
});

const SPEC: SchemaNode = {
  type: 'object',
  'x-kubernetes-validations': [
    { rule: 'has(self.x) != has(self.y)', message: 'exactly one of x or y' },
    {
      rule: "self.mode != 'targets' || size(self.targets) > 0",
      message: 'targets needed',
      fieldPath: '.targets',
    },
    { rule: 'type(self.count) == int && self.count <= 3', message: 'count is an int of at most 3' },
  ],
  properties: {
    x: { type: 'string', maxLength: 10 },
    y: { type: 'string', maxLength: 10 },
    mode: { type: 'string', enum: ['none', 'targets'], default: 'none' },
    targets: {
      type: 'array',
      maxItems: 4,
      items: { type: 'string', maxLength: 10 },
      'x-kubernetes-list-type': 'set',
      default: [],
    },
    count: { type: 'integer', default: 1 },
    nested: {
      type: 'object',
      properties: { flag: { type: 'boolean', default: true } },
    },
    pairs: {
      type: 'array',
      maxItems: 4,
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['k'],
      items: {
        type: 'object',
        required: ['k'],
        properties: { k: { type: 'string' }, v: { type: 'string' } },
      },
    },
  },
};

describe('CrdValidator (test support)', () => {
  const strict = new CrdValidator(crdWith(SPEC));

  it('evaluates has(self.x) != has(self.y) as the API server does', () => {
    assert.deepEqual(strict.validate(widget({ x: 'a' })).errors, []);
    assert.deepEqual(strict.validate(widget({ x: 'a', y: 'b' })).errors, [
      { path: 'spec', message: 'exactly one of x or y', origin: 'cel' },
    ]);
    assert.deepEqual(strict.validate(widget({})).errors, [
      { path: 'spec', message: 'exactly one of x or y', origin: 'cel' },
    ]);
  });

  it("evaluates self.mode != 'targets' || size(self.targets) > 0 on the defaulted object, at fieldPath", () => {
    assert.deepEqual(strict.validate(widget({ x: 'a', mode: 'targets' })).errors, [
      { path: 'spec.targets', message: 'targets needed', origin: 'cel' },
    ]);
    assert.deepEqual(strict.validate(widget({ x: 'a', mode: 'targets', targets: ['t'] })).errors, []);
  });

  it('gives integer fields the CEL type int', () => {
    assert.deepEqual(strict.validate(widget({ x: 'a', count: 3 })).errors, []);
    assert.equal(
      strict.validate(widget({ x: 'a', count: 4 })).errors[0]?.message,
      'count is an int of at most 3',
    );
  });

  it('applies defaults only below parents that are present', () => {
    const { object } = strict.validate(widget({ x: 'a' }));
    assert.deepEqual((object as { spec: unknown }).spec, { x: 'a', mode: 'none', targets: [], count: 1 });
    const withNested = strict.validate(widget({ x: 'a', nested: {} })).object as {
      spec: { nested: unknown };
    };
    assert.deepEqual(withNested.spec.nested, { flag: true });
  });

  it('refuses duplicates in set and map lists', () => {
    assert.deepEqual(strict.validate(widget({ x: 'a', targets: ['t', 't'] })).errors, [
      { path: 'spec.targets[1]', message: 'Duplicate value: "t"', origin: 'list-type' },
    ]);
    assert.equal(
      strict.validate(
        widget({
          x: 'a',
          pairs: [
            { k: 'a', v: '1' },
            { k: 'a', v: '2' },
          ],
        }),
      ).errors[0]?.path,
      'spec.pairs[1]',
    );
  });

  it('refuses unknown fields by default and prunes them when asked', () => {
    assert.deepEqual(strict.validate(widget({ x: 'a', z: 1 })).errors, [
      { path: 'spec.z', message: 'unknown field', origin: 'schema' },
    ]);
    const pruning = new CrdValidator(crdWith(SPEC), undefined, { unknownFields: 'prune' });
    const outcome = pruning.validate(widget({ x: 'a', z: 1 }));
    assert.deepEqual(outcome.errors, []);
    assert.equal(Object.hasOwn((outcome.object as { spec: object }).spec, 'z'), false);
  });

  it('skips CEL rules when a field has the wrong type, as the API server does', () => {
    const errors = strict.validate(widget({ x: 'a', y: 'b', count: 'three' })).errors;
    assert.deepEqual(
      errors.map((e) => e.origin),
      ['schema'],
    );
    assert.equal(errors[0]?.path, 'spec.count');
  });

  it('reports a rule that cannot evaluate instead of passing it', () => {
    const broken = new CrdValidator(
      crdWith({
        type: 'object',
        properties: {
          a: {
            type: 'string',
            maxLength: 5,
            'x-kubernetes-validations': [{ rule: 'self.nope == 1', message: 'm' }],
          },
        },
      }),
    );
    const errors = broken.validate(widget({ a: 'x' })).errors;
    assert.equal(errors.length, 1);
    assert.match(errors[0]!.message, /^rule evaluation error/);
  });

  it('takes an integer or a string for x-kubernetes-int-or-string, each checked by its own keywords', () => {
    const v = new CrdValidator(
      crdWith({
        type: 'object',
        properties: {
          n: {
            'x-kubernetes-int-or-string': true,
            anyOf: [{ type: 'integer' }, { type: 'string' }],
            minimum: 0,
            pattern: '^[0-9]+%$',
            'x-kubernetes-validations': [{ rule: 'type(self) == string || self < 10', message: 'below 10' }],
          },
        },
      }),
    );
    const paths = (n: unknown): string[] => v.validate(widget({ n })).errors.map((e) => e.path);
    assert.deepEqual(paths(5), []);
    assert.deepEqual(paths('25%'), []);
    assert.deepEqual(paths(-1), ['spec.n']);
    assert.deepEqual(paths(1.5), ['spec.n']);
    assert.deepEqual(paths('25'), ['spec.n']);
    assert.deepEqual(paths(true), ['spec.n']);
    assert.deepEqual(v.validate(widget({ n: 12 })).errors, [
      { path: 'spec.n', message: 'below 10', origin: 'cel' },
    ]);
  });

  it('names the missing field of a required error, like the API server', () => {
    const v = new CrdValidator(
      crdWith({ type: 'object', required: ['name'], properties: { name: { type: 'string' } } }),
    );
    assert.deepEqual(v.validate(widget({})).errors, [
      { path: 'spec.name', message: 'Required value', origin: 'schema' },
    ]);
  });
});
