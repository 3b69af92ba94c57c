import { strict as assert } from 'node:assert';
import {
  ObjectCache,
  toKubeError,
  ConflictError,
  AlreadyExistsError,
  InvalidError,
  NotFoundError,
  GoneError,
  ServerError,
  TransportError,
  ForbiddenError,
} from '../../../src/kube/index.js';
import { ApiException } from '@kubernetes/client-node';
import { ItemExponentialRateLimiter } from '../../../src/runtime/index.js';

describe('ItemExponentialRateLimiter', () => {
  it('never overflows after very many failures', () => {
    const l = new ItemExponentialRateLimiter(5, 300_000);
    let last = 0;
    for (let i = 0; i < 2_000; i++) last = l.when('k');
    assert.equal(last, 300_000);
  });
});

describe('toKubeError', () => {
  const apiError = (code: number, body?: object) =>
    new ApiException(code, 'x', body ? JSON.stringify(body) : undefined, {});

  it('maps HTTP status codes (and the 409 reason) to error classes, keeping the cause', () => {
    const cases: [number, object | undefined, new (...a: never[]) => Error][] = [
      [404, { reason: 'NotFound' }, NotFoundError],
      [409, { reason: 'Conflict' }, ConflictError],
      [409, { reason: 'AlreadyExists' }, AlreadyExistsError],
      [410, { reason: 'Expired' }, GoneError],
      [403, undefined, ForbiddenError],
      [503, undefined, ServerError],
    ];
    for (const [code, body, cls] of cases) {
      const raw = apiError(code, body);
      const err = toKubeError(raw);
      assert.ok(err instanceof cls, `${code} → ${err.name}`);
      assert.equal(err.status, code);
      assert.equal(err.cause, raw);
    }
  });

  it('carries the field causes of a 422', () => {
    const err = toKubeError(
      apiError(422, {
        reason: 'Invalid',
        details: { causes: [{ field: 'spec.prefix', reason: 'FieldValueInvalid' }] },
      }),
    );
    assert.ok(err instanceof InvalidError);
    assert.deepEqual(err.causes, [{ field: 'spec.prefix', reason: 'FieldValueInvalid' }]);
  });

  it('reads the statusCode client-node puts on watch errors, and calls anything else a transport error', () => {
    assert.ok(toKubeError(Object.assign(new Error('Gone'), { statusCode: 410 })) instanceof GoneError);
    assert.ok(toKubeError(new Error('ECONNREFUSED')) instanceof TransportError);
  });
});

describe('ObjectCache', () => {
  const cm = (ns: string, name: string, rv: string) => ({
    metadata: { namespace: ns, name, resourceVersion: rv },
  });

  it('indexes by key and namespace, and reports what a relist changed', () => {
    const cache = new ObjectCache();
    cache.upsert(cm('a', 'x', '1'));
    cache.upsert(cm('a', 'y', '2'));
    cache.upsert(cm('b', 'x', '3'));
    assert.deepEqual(cache.keys().sort(), ['a/x', 'a/y', 'b/x']);
    assert.equal(cache.listByNamespace('a').length, 2);
    assert.equal(cache.get('x', 'b')?.metadata?.resourceVersion, '3');
    const delta = cache.replace([cm('a', 'x', '1'), cm('a', 'y', '5'), cm('c', 'z', '6')]);
    assert.deepEqual(
      delta.deleted.map((o) => o.metadata?.name),
      ['x'],
    );
    assert.deepEqual(
      delta.added.map((o) => o.metadata?.name),
      ['z'],
    );
    assert.deepEqual(
      delta.updated.map((u) => u.current.metadata?.resourceVersion),
      ['5'],
    );
    assert.deepEqual(cache.listByNamespace('b'), []);
    assert.equal(cache.size, 3);
  });
});
