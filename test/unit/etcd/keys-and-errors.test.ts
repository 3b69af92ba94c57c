import { strict as assert } from 'node:assert';
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import {
  AuthTokenInvalidError,
  CompactedError,
  FutureRevisionError,
  InvalidArgumentError,
  NoLeaderError,
  PermissionDeniedError,
  RequestTooLargeError,
  UnavailableError,
  UnknownEtcdError,
  prefixRangeEnd,
  toEtcdError,
} from '../../../src/etcd/index.js';
import { canHeal } from '../../../src/etcd/errors.js';

function grpcError(code: status, details: string): ServiceError {
  return Object.assign(new Error(`${code} ${details}`), { code, details, metadata: new Metadata() });
}

describe('prefixRangeEnd', () => {
  it('increments the last byte', () => {
    assert.deepEqual(prefixRangeEnd(Buffer.from('/a/')), Buffer.from('/a0'));
  });
  it('drops trailing 0xff bytes before incrementing', () => {
    assert.deepEqual(prefixRangeEnd(Buffer.from([0x61, 0xff, 0xff])), Buffer.from([0x62]));
  });
  it('selects every key for an empty or all-0xff prefix', () => {
    assert.deepEqual(prefixRangeEnd(Buffer.alloc(0)), Buffer.from([0]));
    assert.deepEqual(prefixRangeEnd(Buffer.from([0xff])), Buffer.from([0]));
  });
});

describe('toEtcdError', () => {
  const cases: [status, string, new (...args: never[]) => Error][] = [
    [status.UNAVAILABLE, 'connection refused', UnavailableError],
    [status.UNAVAILABLE, 'etcdserver: no leader', NoLeaderError],
    [status.PERMISSION_DENIED, 'etcdserver: permission denied', PermissionDeniedError],
    [status.INVALID_ARGUMENT, 'etcdserver: authentication failed', InvalidArgumentError],
    [status.UNAUTHENTICATED, 'etcdserver: invalid auth token', AuthTokenInvalidError],
    [status.OUT_OF_RANGE, 'etcdserver: mvcc: required revision has been compacted', CompactedError],
    [status.OUT_OF_RANGE, 'etcdserver: mvcc: required revision is a future revision', FutureRevisionError],
    [status.INVALID_ARGUMENT, 'etcdserver: request is too large', RequestTooLargeError],
    [
      status.RESOURCE_EXHAUSTED,
      'grpc: received message larger than max (3145794 vs. 2097152)',
      RequestTooLargeError,
    ],
    [status.RESOURCE_EXHAUSTED, 'etcdserver: mvcc: database space exceeded', UnknownEtcdError],
    [status.INTERNAL, 'Received RST_STREAM', UnknownEtcdError],
  ];
  for (const [code, details, type] of cases) {
    it(`maps ${status[code]} "${details}" to ${type.name}, keeping the cause`, () => {
      const original = grpcError(code, details);
      const err = toEtcdError(original);
      assert.ok(err instanceof type, `${err.name}`);
      assert.equal(err.cause, original);
      assert.equal(err.code, code);
    });
  }

  it('classifies by status code, not by message: a permission message with code Unavailable is Unavailable', () => {
    assert.ok(toEtcdError(grpcError(status.UNAVAILABLE, 'permission denied')) instanceof UnavailableError);
  });

  it('decides halt or retry: outages heal, refusals do not', () => {
    assert.equal(canHeal(toEtcdError(grpcError(status.UNAVAILABLE, 'x'))), true);
    assert.equal(canHeal(toEtcdError(grpcError(status.UNAVAILABLE, 'etcdserver: no leader'))), true);
    assert.equal(canHeal(toEtcdError(grpcError(status.INTERNAL, 'RST_STREAM'))), true);
    assert.equal(canHeal(toEtcdError(grpcError(status.PERMISSION_DENIED, 'x'))), false);
    assert.equal(canHeal(toEtcdError(grpcError(status.INVALID_ARGUMENT, 'x'))), false);
  });
});
