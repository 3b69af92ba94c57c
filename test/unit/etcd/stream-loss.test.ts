import { strict as assert } from 'node:assert';
import { status } from '@grpc/grpc-js';
import {
  AuthTokenInvalidError,
  ClientClosedError,
  CompactedError,
  DeadlineExceededError,
  FutureRevisionError,
  InvalidArgumentError,
  NoLeaderError,
  PermissionDeniedError,
  RequestTooLargeError,
  RevisionWentBackError,
  UnavailableError,
  UnknownEtcdError,
  WatchCanceledError,
  type EtcdError,
} from '../../../src/etcd/errors.js';
import { decideStreamLoss, type StreamLossVerdict } from '../../../src/etcd/stream-loss.js';

const HALT: StreamLossVerdict = { action: 'halt' };

function retry(
  flags: Partial<Omit<Extract<StreamLossVerdict, { action: 'retry' }>, 'action'>>,
): StreamLossVerdict {
  return { action: 'retry', failCreating: false, refreshToken: false, markEndpointFailed: false, ...flags };
}

interface Row {
  name: string;
  error: EtcdError;
  hadCall: boolean;
  isCreateInFlight: boolean;
  hasCallToken: boolean;
  verdict: StreamLossVerdict;
}

const unknown = (code: status | undefined): UnknownEtcdError => new UnknownEtcdError('x', {}, code);

/** Every row of the decision; the columns are the plain inputs, the last one the verdict. */
const TABLE: Row[] = [
  // Errors that heal: retry, blaming the endpoint only when a call was open.
  {
    name: 'Unavailable on an open call',
    error: new UnavailableError('x'),
    hadCall: true,
    isCreateInFlight: false,
    hasCallToken: false,
    verdict: retry({ markEndpointFailed: true }),
  },
  {
    name: 'Unavailable while opening',
    error: new UnavailableError('x'),
    hadCall: false,
    isCreateInFlight: false,
    hasCallToken: false,
    verdict: retry({}),
  },
  {
    name: 'Unavailable with a create in flight',
    error: new UnavailableError('x'),
    hadCall: true,
    isCreateInFlight: true,
    hasCallToken: true,
    verdict: retry({ markEndpointFailed: true }),
  },
  {
    name: 'NoLeader on an open call',
    error: new NoLeaderError('x'),
    hadCall: true,
    isCreateInFlight: false,
    hasCallToken: false,
    verdict: retry({ markEndpointFailed: true }),
  },
  {
    name: 'NoLeader while opening',
    error: new NoLeaderError('x'),
    hadCall: false,
    isCreateInFlight: false,
    hasCallToken: false,
    verdict: retry({}),
  },
  {
    name: 'DeadlineExceeded on an open call',
    error: new DeadlineExceededError('x'),
    hadCall: true,
    isCreateInFlight: false,
    hasCallToken: false,
    verdict: retry({ markEndpointFailed: true }),
  },
  {
    name: 'DeadlineExceeded while opening',
    error: new DeadlineExceededError('x'),
    hadCall: false,
    isCreateInFlight: false,
    hasCallToken: false,
    verdict: retry({}),
  },
  {
    name: 'Internal (transport reset)',
    error: unknown(status.INTERNAL),
    hadCall: true,
    isCreateInFlight: false,
    hasCallToken: false,
    verdict: retry({ markEndpointFailed: true }),
  },
  {
    name: 'Cancelled (call cut by the peer)',
    error: unknown(status.CANCELLED),
    hadCall: true,
    isCreateInFlight: false,
    hasCallToken: false,
    verdict: retry({ markEndpointFailed: true }),
  },
  {
    name: 'Unknown code',
    error: unknown(status.UNKNOWN),
    hadCall: true,
    isCreateInFlight: false,
    hasCallToken: false,
    verdict: retry({ markEndpointFailed: true }),
  },
  {
    name: 'Aborted',
    error: unknown(status.ABORTED),
    hadCall: true,
    isCreateInFlight: false,
    hasCallToken: false,
    verdict: retry({ markEndpointFailed: true }),
  },
  {
    name: 'OK (etcd ended the stream)',
    error: unknown(status.OK),
    hadCall: true,
    isCreateInFlight: false,
    hasCallToken: false,
    verdict: retry({ markEndpointFailed: true }),
  },
  {
    name: 'no status code (not a gRPC error)',
    error: unknown(undefined),
    hadCall: false,
    isCreateInFlight: false,
    hasCallToken: false,
    verdict: retry({}),
  },
  // Other UnknownEtcdError codes do not heal.
  {
    name: 'ResourceExhausted (not a size limit)',
    error: unknown(status.RESOURCE_EXHAUSTED),
    hadCall: true,
    isCreateInFlight: false,
    hasCallToken: false,
    verdict: HALT,
  },
  {
    name: 'Unimplemented',
    error: unknown(status.UNIMPLEMENTED),
    hadCall: true,
    isCreateInFlight: false,
    hasCallToken: false,
    verdict: HALT,
  },
  {
    name: 'FailedPrecondition',
    error: unknown(status.FAILED_PRECONDITION),
    hadCall: true,
    isCreateInFlight: false,
    hasCallToken: false,
    verdict: HALT,
  },
  // Refusals: halt.
  {
    name: 'PermissionDenied',
    error: new PermissionDeniedError('x'),
    hadCall: true,
    isCreateInFlight: false,
    hasCallToken: true,
    verdict: HALT,
  },
  {
    name: 'PermissionDenied with a create in flight',
    error: new PermissionDeniedError('x'),
    hadCall: true,
    isCreateInFlight: true,
    hasCallToken: true,
    verdict: HALT,
  },
  {
    name: 'InvalidArgument',
    error: new InvalidArgumentError('x'),
    hadCall: true,
    isCreateInFlight: false,
    hasCallToken: false,
    verdict: HALT,
  },
  {
    name: 'InvalidArgument with a create in flight',
    error: new InvalidArgumentError('x'),
    hadCall: true,
    isCreateInFlight: true,
    hasCallToken: false,
    verdict: HALT,
  },
  {
    name: 'FutureRevision',
    error: new FutureRevisionError('x'),
    hadCall: true,
    isCreateInFlight: false,
    hasCallToken: false,
    verdict: HALT,
  },
  {
    name: 'Compacted',
    error: new CompactedError('x', 5n),
    hadCall: true,
    isCreateInFlight: false,
    hasCallToken: false,
    verdict: HALT,
  },
  {
    name: 'RevisionWentBack',
    error: new RevisionWentBackError(9n, 3n),
    hadCall: true,
    isCreateInFlight: false,
    hasCallToken: false,
    verdict: HALT,
  },
  {
    name: 'WatchCanceled',
    error: new WatchCanceledError('why'),
    hadCall: true,
    isCreateInFlight: false,
    hasCallToken: false,
    verdict: HALT,
  },
  {
    name: 'ClientClosed',
    error: new ClientClosedError(),
    hadCall: true,
    isCreateInFlight: false,
    hasCallToken: false,
    verdict: HALT,
  },
  // RequestTooLarge: only the create in flight can be to blame.
  {
    name: 'RequestTooLarge with a create in flight',
    error: new RequestTooLargeError('x'),
    hadCall: true,
    isCreateInFlight: true,
    hasCallToken: false,
    verdict: retry({ failCreating: true }),
  },
  {
    name: 'RequestTooLarge without a create in flight',
    error: new RequestTooLargeError('x'),
    hadCall: true,
    isCreateInFlight: false,
    hasCallToken: false,
    verdict: HALT,
  },
  {
    name: 'RequestTooLarge (ResourceExhausted) with a create in flight and a token',
    error: new RequestTooLargeError('x', {}, status.RESOURCE_EXHAUSTED),
    hadCall: true,
    isCreateInFlight: true,
    hasCallToken: true,
    verdict: retry({ failCreating: true }),
  },
  // AuthTokenInvalid: a fresh token may help only if the call carried one.
  {
    name: 'AuthTokenInvalid with a token on the call',
    error: new AuthTokenInvalidError('x'),
    hadCall: true,
    isCreateInFlight: false,
    hasCallToken: true,
    verdict: retry({ refreshToken: true, markEndpointFailed: true }),
  },
  {
    name: 'AuthTokenInvalid with a token, while opening',
    error: new AuthTokenInvalidError('x'),
    hadCall: false,
    isCreateInFlight: false,
    hasCallToken: true,
    verdict: retry({ refreshToken: true }),
  },
  {
    name: 'AuthTokenInvalid with a token and a create in flight',
    error: new AuthTokenInvalidError('x'),
    hadCall: true,
    isCreateInFlight: true,
    hasCallToken: true,
    verdict: retry({ refreshToken: true, markEndpointFailed: true }),
  },
  {
    name: 'AuthTokenInvalid without a token',
    error: new AuthTokenInvalidError('x'),
    hadCall: true,
    isCreateInFlight: false,
    hasCallToken: false,
    verdict: HALT,
  },
];

describe('decideStreamLoss', () => {
  for (const row of TABLE) {
    const inputs = `call ${row.hadCall ? 'open' : 'opening'}, create ${row.isCreateInFlight ? 'in flight' : 'none'}, token ${row.hasCallToken ? 'yes' : 'no'}`;
    it(`${row.name} (${inputs}) → ${row.verdict.action}`, () => {
      const { error, hadCall, isCreateInFlight, hasCallToken } = row;
      assert.deepEqual(decideStreamLoss({ error, hadCall, isCreateInFlight, hasCallToken }), row.verdict);
    });
  }

  it('never blames the endpoint for a refused create', () => {
    for (const row of TABLE) {
      const v = row.verdict;
      if (v.action === 'retry' && v.failCreating) assert.equal(v.markEndpointFailed, false, row.name);
    }
  });
});
