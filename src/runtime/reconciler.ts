import type { Logger } from '../observability/index.js';

/** Names the object to reconcile: `namespace` is omitted for cluster-scoped kinds. */
export interface Request {
  readonly namespace?: string;
  readonly name: string;
}

/** What a successful reconcile asks of the engine. */
export interface Result {
  /**
   * Reconcile this request again after this many ms, even if nothing changes (e.g. to poll something
   * that sends no events). Omitted or 0: wait for the next trigger. The item's failure backoff is reset
   * either way.
   */
  readonly requeueAfterMs?: number;
}

/** What the engine gives each reconcile call. */
export interface ReconcileContext {
  /**
   * Aborted when the controller stops (shutdown or lost leadership). Pass it to every API call; a
   * reconcile that sees it aborted should return promptly — it will not be retried by this process.
   */
  readonly signal: AbortSignal;
  /** Carries `controller`, `namespace`, `name` and a fresh `reconcileID` on every line. */
  readonly logger: Logger;
  /** Unique per call; the same value as the logger's `reconcileID`. */
  readonly reconcileId: string;
}

/**
 * Brings the world in line with the desired state of one object — the contract of every controller:
 * - **Level-based**: it is told *which* object, never *what changed*. It reads the current state and
 *   acts on it, so missed, duplicated or coalesced triggers are harmless, and it must be idempotent.
 * - **Never concurrent for one request**: the engine never runs two reconciles of the same request at
 *   once; different requests run in parallel up to the controller's worker count.
 * - **Outcome**: resolving means success (the item's failure backoff is reset; see
 *   {@link Result.requeueAfterMs}). Throwing {@link TerminalError} means "retrying cannot help" (a bad
 *   spec): it is logged and not retried until the next trigger. Throwing anything else means "try
 *   again": the request is re-queued with per-item exponential backoff.
 * - **The object may be gone**: a request for a deleted object is normal; treat it as success.
 */
export interface Reconciler {
  reconcile(request: Request, ctx: ReconcileContext): Promise<Result>;
}

/** Options of the errors a reconcile throws to the engine. */
export interface EngineErrorOptions {
  cause?: unknown;
  /**
   * The reconciler has already told the user (status condition, an Event and a log line when the
   * failure began): the engine logs it at debug only, so that retries of one failure do not flood the
   * log at error. Default false.
   */
  reported?: boolean;
}

/**
 * An error that retrying cannot fix (invalid spec, forbidden prefix): the engine logs it and does not
 * re-queue the request. Wrap the underlying error as `cause`.
 */
export class TerminalError extends Error {
  override readonly name: string = 'TerminalError';
  readonly reported: boolean;
  constructor(message: string, options: EngineErrorOptions = {}) {
    super(message, options);
    this.reported = options.reported ?? false;
  }
}

/** A failure that may heal by itself: re-queued with per-item backoff, like any other error. */
export class RetryError extends Error {
  override readonly name: string = 'RetryError';
  readonly reported: boolean;
  constructor(message: string, options: EngineErrorOptions = {}) {
    super(message, options);
    this.reported = options.reported ?? false;
  }
}

/** The work-queue key of a request: `namespace/name`, or `name` when cluster-scoped. */
export function requestKey(request: Request): string {
  return request.namespace ? `${request.namespace}/${request.name}` : request.name;
}

/** The request of a work-queue key made by {@link requestKey}. */
export function requestFromKey(key: string): Request {
  const slash = key.indexOf('/');
  return slash < 0 ? { name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}
