import { strict as assert } from 'node:assert';
import { ApiException } from '@kubernetes/client-node';
import {
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
import { errorForStatus } from '../../../src/kube/errors.js';

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

describe('errorForStatus (the transport’s answers)', () => {
  const status = { kind: 'Status', reason: 'NotFound', message: 'configmaps "x" not found', code: 404 };

  it('reads the Status as an object or as JSON text, the same way', () => {
    for (const body of [status, JSON.stringify(status)]) {
      const err = errorForStatus(404, body, 'get configmap ns/x');
      assert.ok(err instanceof NotFoundError);
      assert.equal(err.reason, 'NotFound');
      assert.equal(err.message, 'get configmap ns/x: 404 NotFound: configmaps "x" not found');
      assert.equal(err.cause, undefined, 'no client-node exception behind it');
    }
  });

  it('names only the status when the body is no Status (a proxy’s HTML page, nothing)', () => {
    for (const body of ['<html>Bad Gateway</html>', undefined, '']) {
      const err = errorForStatus(502, body, 'list configmaps');
      assert.ok(err instanceof ServerError);
      assert.equal(err.message, 'list configmaps: 502');
    }
  });
});
