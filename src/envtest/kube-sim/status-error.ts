import type { JsonObject } from './json.js';

/** One entry of a Status's `details.causes`, as a real API server reports a field error. */
export interface StatusCause {
  reason: string;
  message: string;
  field?: string;
}

/** What a Status names: the object (`name`), its API group and its resource or kind. */
export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

/**
 * An API failure the simulator answers with a `Status` body and the matching HTTP code, shaped like
 * kube-apiserver's (`reason` is the machine-readable StatusReason clients branch on).
 */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
    options?: { cause?: unknown },
  ) {
    // An answer to a client, not a fault in the simulator: capturing a stack for every 404 and 409
    // was a visible share of the cost of a request, and nobody reads it (a wrapped fault keeps `cause`).
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      super(message, options);
    } finally {
      Error.stackTraceLimit = limit;
    }
    this.name = 'ApiError';
  }

  /** The `Status` object a real API server sends for this failure. */
  toStatus(): JsonObject {
    const status: JsonObject = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      code: this.code,
    };
    if (this.details) status['details'] = { ...this.details };
    return status;
  }
}

/** The resource a message names, e.g. `configmaps` or `prefixsyncs.etcdconfig.dev`. */
export interface Qualified {
  group: string;
  plural: string;
}

function qualifiedName(r: Qualified): string {
  return r.group === '' ? r.plural : `${r.plural}.${r.group}`;
}

/** 404 NotFound: `configmaps "x" not found`. */
export function notFound(r: Qualified, name: string): ApiError {
  return new ApiError(404, 'NotFound', `${qualifiedName(r)} "${name}" not found`, {
    name,
    group: r.group || undefined,
    kind: r.plural,
  });
}

/** 409 AlreadyExists: `configmaps "x" already exists`. */
export function alreadyExists(r: Qualified, name: string): ApiError {
  return new ApiError(409, 'AlreadyExists', `${qualifiedName(r)} "${name}" already exists`, {
    name,
    group: r.group || undefined,
    kind: r.plural,
  });
}

/** 409 Conflict: `Operation cannot be fulfilled on configmaps "x": <why>`. */
export function conflict(r: Qualified, name: string, why: string): ApiError {
  return new ApiError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedName(r)} "${name}": ${why}`,
    {
      name,
      group: r.group || undefined,
      kind: r.plural,
    },
  );
}

/** The `why` of a 409 for a stale resourceVersion. */
export const STALE_OBJECT =
  'the object has been modified; please apply your changes to the latest version and try again';

/** 400 BadRequest with the given message. */
export function badRequest(message: string): ApiError {
  return new ApiError(400, 'BadRequest', message);
}

/** 405 MethodNotAllowed. */
export function methodNotAllowed(
  message = 'the server does not allow this method on the requested resource',
): ApiError {
  return new ApiError(405, 'MethodNotAllowed', message);
}

/** 415 UnsupportedMediaType, listing the accepted media types as upstream does. */
export function unsupportedMediaType(accepted: string[]): ApiError {
  return new ApiError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
  );
}

/** 410 Expired (a resourceVersion that has left the history). */
export function gone(message: string): ApiError {
  return new ApiError(410, 'Expired', message);
}

/** 500 InternalError: `Internal error occurred: <message>`. */
export function internalError(message: string, cause?: unknown): ApiError {
  return new ApiError(
    500,
    'InternalError',
    `Internal error occurred: ${message}`,
    { causes: [{ reason: '', message }] },
    { cause },
  );
}

/** 404 for a path nothing is served at: `the server could not find the requested resource`. */
export function pathNotFound(): ApiError {
  return new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
}

/** One field error of a 422 Invalid, e.g. `{field:'spec.prefix', type:'FieldValueInvalid', detail:'Invalid value: ...'}`. */
export interface FieldError {
  field: string;
  /** StatusCause reason: FieldValueInvalid, FieldValueRequired, FieldValueNotSupported, FieldValueTooMany, FieldValueForbidden... */
  reason: string;
  /** The message after `<field>: `, e.g. `Invalid value: "x": must end with /`. */
  message: string;
}

/** `Kind.group "name" is invalid: field: message` (422), as the apiserver words a validation failure. */
export function invalid(kind: string, group: string, name: string, errors: FieldError[]): ApiError {
  const kindGroup = group === '' ? kind : `${kind}.${group}`;
  const parts = errors.map((e) => `${e.field}: ${e.message}`);
  const joined = parts.length === 1 ? parts[0] : `[${parts.join(', ')}]`;
  return new ApiError(422, 'Invalid', `${kindGroup} "${name}" is invalid: ${joined}`, {
    name,
    group: group || undefined,
    kind,
    causes: errors.map((e) => ({ reason: e.reason, message: e.message, field: e.field })),
  });
}

/** The reason a real server gives for an HTTP code, for injected faults. */
export function reasonForCode(code: number): string {
  const reasons: Record<number, string> = {
    400: 'BadRequest',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'NotFound',
    405: 'MethodNotAllowed',
    409: 'Conflict',
    410: 'Expired',
    422: 'Invalid',
    429: 'TooManyRequests',
    500: 'InternalError',
    503: 'ServiceUnavailable',
    504: 'Timeout',
  };
  return reasons[code] ?? 'Unknown';
}
