import { strict as assert } from 'node:assert';
import { runCel } from '../../../src/envtest/kube-sim/cel-rules.js';
import { clone, type JsonObject } from '../../../src/envtest/kube-sim/json.js';
import { jsonText, seal } from '../../../src/envtest/kube-sim/json-text.js';
import { EXPIRED, ObjectStore } from '../../../src/envtest/kube-sim/object-store.js';
import type { FieldError } from '../../../src/envtest/kube-sim/status-error.js';

// The simulator's per-write shortcuts (memos, shared JSON text, bulk history trim) must answer
// exactly as the plain computation does.

function cel(value: JsonObject, old: JsonObject | undefined, schema: JsonObject): FieldError[] {
  const errors: FieldError[] = [];
  runCel(value, old, schema, [], errors);
  return errors;
}

const SCHEMA: JsonObject = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      'x-kubernetes-validations': [{ rule: 'self.size < 10', message: 'too big' }],
      properties: {
        size: { type: 'integer' },
        items: {
          type: 'array',
          items: {
            type: 'string',
            'x-kubernetes-validations': [{ rule: "self.matches('^[a-z]+$')", message: 'lower case' }],
          },
        },
        frozen: {
          type: 'string',
          'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: 'immutable' }],
        },
      },
    },
    status: { type: 'object', properties: { n: { type: 'integer' } } },
  },
};

describe('kube-sim write path', () => {
  describe('CEL rules with memoized results', () => {
    it('reports the same errors, at the same fields, for an input seen before', () => {
      const bad = { spec: { size: 12, items: ['ok', 'NO', 'fine', 'NO'] } };
      const first = cel(clone(bad), undefined, SCHEMA);
      const again = cel(clone(bad), undefined, SCHEMA);
      assert.deepEqual(first, [
        { field: 'spec', reason: 'FieldValueInvalid', message: 'Invalid value: "object": too big' },
        {
          field: 'spec.items[1]',
          reason: 'FieldValueInvalid',
          message: 'Invalid value: "string": lower case',
        },
        {
          field: 'spec.items[3]',
          reason: 'FieldValueInvalid',
          message: 'Invalid value: "string": lower case',
        },
      ]);
      assert.deepEqual(again, first);
    });

    it('keys transition rules on the old value too', () => {
      const next = { spec: { size: 1, frozen: 'b' } };
      assert.deepEqual(cel(next, undefined, SCHEMA), []);
      assert.deepEqual(cel(next, { spec: { size: 1, frozen: 'b' } }, SCHEMA), []);
      assert.deepEqual(cel(next, { spec: { size: 1, frozen: 'a' } }, SCHEMA), [
        { field: 'spec.frozen', reason: 'FieldValueInvalid', message: 'Invalid value: "string": immutable' },
      ]);
      assert.deepEqual(cel(next, { spec: { size: 1, frozen: 'b' } }, SCHEMA), []);
    });

    it('tells apart inputs that differ only deep inside', () => {
      assert.deepEqual(cel({ spec: { size: 1, items: ['a', 'b'] } }, undefined, SCHEMA), []);
      assert.equal(cel({ spec: { size: 1, items: ['a', 'B'] } }, undefined, SCHEMA).length, 1);
    });
  });

  describe('jsonText', () => {
    it('gives JSON.stringify of a sealed object, and of anything else', () => {
      const obj = { kind: 'ConfigMap', data: { 'a.txt': 'x\ny' }, n: 1 };
      seal(obj);
      assert.equal(jsonText(obj), JSON.stringify(obj));
      assert.equal(jsonText(obj), JSON.stringify(obj));
      assert.equal(jsonText({ other: true }), '{"other":true}');
      assert.equal(jsonText('s'), '"s"');
    });
  });

  describe('ObjectStore history', () => {
    it('keeps exactly the last historyLimit changes across bulk trims', () => {
      const limit = 5;
      const store = new ObjectStore(limit);
      const writes = 3000;
      for (let i = 0; i < writes; i++)
        store.create('/configmaps', { metadata: { namespace: 'ns', name: `cm-${i}` } });
      const current = store.currentRv;
      assert.equal(current, BigInt(writes));
      assert.equal(store.oldestWatchableRv, current - BigInt(limit));
      const kept = store.changesSince('/configmaps', current - BigInt(limit));
      assert.notEqual(kept, EXPIRED);
      assert.deepEqual(
        (kept as Array<{ rv: bigint }>).map((c) => c.rv),
        [...Array(limit).keys()].map((i) => current - BigInt(limit) + BigInt(i) + 1n),
      );
      assert.equal(store.changesSince('/configmaps', current - BigInt(limit) - 1n), EXPIRED);
      const at = store.stateAt('/configmaps', current - 2n, 'ns');
      assert.notEqual(at, EXPIRED);
      assert.equal((at as JsonObject[]).length, writes - 2);
    });
  });
});
