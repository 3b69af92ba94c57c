import { ApiException } from '@kubernetes/client-node';

/** One field-level reason the API server gave for rejecting an object (a Status `details.causes` entry). */
export interface StatusCause {
  /** Machine-readable reason, e.g. `FieldValueInvalid`. */
  readonly reason?: string;
  /** Human-readable description. */
  readonly message?: string;
  /** The field at fault, e.g. `spec.prefix`. */
  readonly field?: string;
}

/** The parts of a Kubernetes `Status` body that we act on. */
export interface StatusBody {
  readonly reason?: string;
  readonly message?: string;
  readonly code?: number;
  readonly details?: {
    readonly name?: string;
    readonly kind?: string;
    readonly causes?: readonly StatusCause[];
  };
}

/**
 * Base of every error returned by the Kubernetes API layer. `status` is the HTTP status code (0 when the
 * request never got an answer); `reason` is the Status `reason` (e.g. `AlreadyExists`), when the server
 * sent one. Branch on subclasses with `instanceof`, never on the message.
 */
export class KubeApiError extends Error {
  override readonly name: string = 'KubeApiError';
  constructor(
    message: string,
    /** HTTP status code, or 0 for a transport failure. */
    readonly status: number,
    /** Status `reason`, if the server gave one. */
    readonly reason: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** 404: the object (or its namespace or kind) does not exist. */
export class NotFoundError extends KubeApiError {
  override readonly name: string = 'NotFoundError';
}
/** 409: a write carried a stale `resourceVersion` — re-read and retry. */
export class ConflictError extends KubeApiError {
  override readonly name: string = 'ConflictError';
}
/** 409 with reason `AlreadyExists`: a create found the name taken. */
export class AlreadyExistsError extends ConflictError {
  override readonly name: string = 'AlreadyExistsError';
}
/** 410: the requested `resourceVersion` is older than the server's history — relist. */
export class GoneError extends KubeApiError {
  override readonly name: string = 'GoneError';
}
/** 401: the credentials were refused. */
export class UnauthorizedError extends KubeApiError {
  override readonly name: string = 'UnauthorizedError';
}
/** 403: RBAC forbids the request. */
export class ForbiddenError extends KubeApiError {
  override readonly name: string = 'ForbiddenError';
}
/** 400: a malformed request. */
export class BadRequestError extends KubeApiError {
  override readonly name: string = 'BadRequestError';
}
/** 422: the object failed validation; `causes` lists the fields at fault. */
export class InvalidError extends KubeApiError {
  override readonly name: string = 'InvalidError';
  constructor(
    message: string,
    status: number,
    reason: string | undefined,
    /** Field-level causes from the Status `details.causes`. */
    readonly causes: readonly StatusCause[],
    options?: { cause?: unknown },
  ) {
    super(message, status, reason, options);
  }
}
/** 429: throttled by the server. */
export class TooManyRequestsError extends KubeApiError {
  override readonly name: string = 'TooManyRequestsError';
}
/** 5xx: the server failed; worth retrying. */
export class ServerError extends KubeApiError {
  override readonly name: string = 'ServerError';
}
/** The request got no HTTP answer (connection refused, reset, aborted, TLS failure). */
export class TransportError extends KubeApiError {
  override readonly name: string = 'TransportError';
}

/** Whether `err` is worth retrying as is (server failure, throttling, transport, conflict). */
export function isRetryable(err: unknown): boolean {
  return (
    err instanceof ServerError ||
    err instanceof TooManyRequestsError ||
    err instanceof TransportError ||
    err instanceof ConflictError
  );
}

function parseStatus(body: unknown): StatusBody | undefined {
  let value: unknown = body;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  if (value === null || typeof value !== 'object') return undefined;
  return value;
}

function statusOf(err: unknown): { status: number; body: unknown } | undefined {
  if (err instanceof ApiException) return { status: err.code, body: err.body };
  if (err !== null && typeof err === 'object') {
    // client-node's Watch throws a plain Error carrying `statusCode` for a non-200 answer.
    const statusCode = (err as { statusCode?: unknown }).statusCode;
    if (typeof statusCode === 'number') return { status: statusCode, body: undefined };
  }
  return undefined;
}

/**
 * Translates anything thrown by client-node into a {@link KubeApiError} subclass, by HTTP status code
 * (and, for 409, the Status `reason` field) — never by message text. This is the one boundary where the
 * translation happens; already-translated errors pass through unchanged.
 */
export function toKubeError(err: unknown, what = 'kubernetes request'): KubeApiError {
  if (err instanceof KubeApiError) return err;
  const answered = statusOf(err);
  if (!answered) {
    const detail = err instanceof Error ? err.message : String(err);
    return new TransportError(`${what}: ${detail}`, 0, undefined, { cause: err });
  }
  return errorForStatus(answered.status, answered.body, what, err);
}

/**
 * The {@link KubeApiError} subclass for an HTTP answer `status` with `body` (a Status object, or its
 * JSON text), by status code (and, for 409, the Status `reason`) — never by message text. The message
 * reads `what: 404 NotFound: <the Status message>`.
 */
export function errorForStatus(status: number, body: unknown, what: string, cause?: unknown): KubeApiError {
  const parsed = parseStatus(body);
  const reason = parsed?.reason;
  const message = `${what}: ${status}${reason ? ` ${reason}` : ''}${parsed?.message ? `: ${parsed.message}` : ''}`;
  const opts = cause === undefined ? undefined : { cause };
  switch (status) {
    case 400:
      return new BadRequestError(message, status, reason, opts);
    case 401:
      return new UnauthorizedError(message, status, reason, opts);
    case 403:
      return new ForbiddenError(message, status, reason, opts);
    case 404:
      return new NotFoundError(message, status, reason, opts);
    case 409:
      return reason === 'AlreadyExists'
        ? new AlreadyExistsError(message, status, reason, opts)
        : new ConflictError(message, status, reason, opts);
    case 410:
      return new GoneError(message, status, reason, opts);
    case 422:
      return new InvalidError(message, status, reason, parsed?.details?.causes ?? [], opts);
    case 429:
      return new TooManyRequestsError(message, status, reason, opts);
    default:
      if (status >= 500) return new ServerError(message, status, reason, opts);
      return new KubeApiError(message, status, reason, opts);
  }
}

/** Runs `call` and rethrows any failure as a {@link KubeApiError}. */
export async function translate<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw toKubeError(err, what);
  }
}
