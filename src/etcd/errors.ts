// The one boundary where gRPC failures become typed errors (STYLE.md §4). Classification is by gRPC
// status code. Message text is read in exactly three places, each because etcd gives no other signal:
// - Unavailable "etcdserver: no leader" (NoLeaderError) shares its code with every other outage;
// - OutOfRange covers both "required revision has been compacted" and "is a future revision";
// - a request over etcd's size limit is InvalidArgument "etcdserver: request is too large" (over
//   --max-request-bytes) or, past gRPC's own limit, ResourceExhausted "… larger than max …", a code
//   etcd also uses for "too many requests" and "database space exceeded".
import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';

/** Base of every error this client throws. `code` is the gRPC status code when one was received. */
export class EtcdError extends Error {
  constructor(
    message: string,
    options: { cause?: unknown } = {},
    /** gRPC status code, when the error came from a gRPC status. */
    readonly code?: GrpcStatus,
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The endpoint could not be reached or dropped the connection; worth retrying (elsewhere). */
export class UnavailableError extends EtcdError {}

/** The member has no raft leader (etcd: Unavailable "etcdserver: no leader"); another member may. */
export class NoLeaderError extends UnavailableError {}

/** The deadline of a request passed. */
export class DeadlineExceededError extends EtcdError {}

/** The authenticated user may not do this. Retrying does not help. */
export class PermissionDeniedError extends EtcdError {}

/** etcd refused the request as malformed (or wrong user name/password). Retrying does not help. */
export class InvalidArgumentError extends EtcdError {}

/** The request was larger than etcd accepts (`--max-request-bytes`). Retrying does not help. */
export class RequestTooLargeError extends InvalidArgumentError {}

/** The auth token is invalid or expired (gRPC Unauthenticated); a fresh token may help. */
export class AuthTokenInvalidError extends EtcdError {}

/**
 * The requested revision has been compacted. `compactRevision` is the oldest revision still available
 * when etcd says (a watch cancel does); a Range does not say, and then it is `0n`.
 */
export class CompactedError extends EtcdError {
  constructor(
    message: string,
    readonly compactRevision: bigint,
    options: { cause?: unknown } = {},
    code?: GrpcStatus,
  ) {
    super(message, options, code);
  }
}

/** The requested revision is newer than the store's current revision. */
export class FutureRevisionError extends EtcdError {}

/**
 * etcd's history went back behind a watch: it answered with a revision lower than one the watch had
 * already seen or been told about (a restore from an older snapshot, a wiped member behind the same
 * address), or with another cluster ID (another cluster answers: its revisions mean nothing here).
 * Terminal for the watch it ends: the stream does not heal it, the consumer decides (take a fresh
 * snapshot, or stop). `seenRevision` is the highest revision the watch had seen; `etcdRevision` is
 * etcd's revision now. `previousClusterId`/`clusterId` are set only when the cluster ID changed.
 */
export class RevisionWentBackError extends EtcdError {
  readonly seenRevision: bigint;
  readonly etcdRevision: bigint;
  readonly previousClusterId?: string;
  readonly clusterId?: string;

  constructor(
    seenRevision: bigint,
    etcdRevision: bigint,
    clusters: { previousClusterId?: string; clusterId?: string } = {},
    options: { cause?: unknown } = {},
  ) {
    const isOtherCluster =
      clusters.previousClusterId !== undefined &&
      clusters.clusterId !== undefined &&
      clusters.previousClusterId !== clusters.clusterId;
    super(
      isOtherCluster
        ? `etcd went back from revision ${seenRevision} to ${etcdRevision}: cluster ID changed from ` +
            `${clusters.previousClusterId} to ${clusters.clusterId} (another cluster, or wiped?)`
        : `etcd went back from revision ${seenRevision} to ${etcdRevision} (restored from a backup or wiped?)`,
      options,
    );
    this.seenRevision = seenRevision;
    this.etcdRevision = etcdRevision;
    if (isOtherCluster) {
      this.previousClusterId = clusters.previousClusterId;
      this.clusterId = clusters.clusterId;
    }
  }
}

/** etcd ended a watch for a reason this client cannot classify; `reason` is etcd's cancel_reason. */
export class WatchCanceledError extends EtcdError {
  constructor(
    readonly reason: string,
    options: { cause?: unknown } = {},
  ) {
    super(`watch canceled by etcd: ${reason}`, options);
  }
}

/** The client was closed before or while the operation ran. */
export class ClientClosedError extends EtcdError {
  constructor() {
    super('etcd client is closed');
  }
}

/** Any other gRPC failure, with its status code. */
export class UnknownEtcdError extends EtcdError {}

function isServiceError(err: unknown): err is ServiceError {
  return err instanceof Error && typeof (err as Partial<ServiceError>).code === 'number';
}

/** Translates anything a gRPC call can fail with into a typed {@link EtcdError} (idempotent). */
export function toEtcdError(err: unknown): EtcdError {
  if (err instanceof EtcdError) return err;
  if (!isServiceError(err)) {
    return new UnknownEtcdError(err instanceof Error ? err.message : String(err), { cause: err });
  }
  const details = err.details || err.message;
  const opts = { cause: err };
  switch (err.code) {
    case GrpcStatus.UNAVAILABLE:
      // Text match: etcd signals a leaderless member only in the message (see file comment).
      if (details.includes('no leader')) return new NoLeaderError(details, opts, err.code);
      return new UnavailableError(details, opts, err.code);
    case GrpcStatus.DEADLINE_EXCEEDED:
      return new DeadlineExceededError(details, opts, err.code);
    case GrpcStatus.PERMISSION_DENIED:
      return new PermissionDeniedError(details, opts, err.code);
    case GrpcStatus.INVALID_ARGUMENT:
      if (details.includes('request is too large')) return new RequestTooLargeError(details, opts, err.code);
      return new InvalidArgumentError(details, opts, err.code);
    case GrpcStatus.RESOURCE_EXHAUSTED:
      // This client lifts grpc-js's own size limits, so "larger than max" is etcd's receive limit.
      if (details.includes('larger than max')) return new RequestTooLargeError(details, opts, err.code);
      return new UnknownEtcdError(details, opts, err.code);
    case GrpcStatus.UNAUTHENTICATED:
      return new AuthTokenInvalidError(details, opts, err.code);
    case GrpcStatus.OUT_OF_RANGE:
      // Text match: both cases share OutOfRange (see file comment).
      if (details.includes('compacted')) return new CompactedError(details, 0n, opts, err.code);
      return new FutureRevisionError(details, opts, err.code);
    default:
      return new UnknownEtcdError(details, opts, err.code);
  }
}

/**
 * "Halt or retry?" for the watch stream, decided here and nowhere else: a lost connection, an
 * unavailable or leaderless member, a deadline, or a stream reset by the transport can heal on
 * reconnect; permission, argument and other refusals cannot. Errors that end one watch and never the
 * stream (CompactedError, RevisionWentBackError) are not healed either: their consumer decides.
 */
export function canHeal(err: EtcdError): boolean {
  if (err instanceof UnavailableError || err instanceof DeadlineExceededError) return true;
  if (err instanceof UnknownEtcdError) {
    // grpc-js reports a transport reset (RST_STREAM, GOAWAY) as Internal, a call cut by the peer as
    // Cancelled or Unknown; an OK status here means the server ended the stream, which also heals.
    return (
      err.code === GrpcStatus.INTERNAL ||
      err.code === GrpcStatus.CANCELLED ||
      err.code === GrpcStatus.UNKNOWN ||
      err.code === GrpcStatus.ABORTED ||
      err.code === GrpcStatus.OK ||
      err.code === undefined
    );
  }
  return false;
}
