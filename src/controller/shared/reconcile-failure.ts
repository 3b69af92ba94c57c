// The controller layer's one failure vocabulary (STYLE.md §18): every expected way a reconcile can
// fail is a ReconcileFailure with a condition reason and what happens next. Unexpected errors stay
// plain Errors (the engine retries them with backoff).
import { RetryError, TerminalError } from '../../runtime/index.js';

/**
 * What happens after a failure:
 * - `terminal`: nothing heals it but a change of the object (an invalid spec): no retry
 *   (runtime's TerminalError); the condition says what to change;
 * - `retry`: it may heal by itself (etcd or the API server briefly unavailable, a write conflict): retried
 *   with per-item backoff;
 * - `wait`: it waits for something else to change (a source to be created or to connect, an access rule,
 *   a key in etcd); the triggers of that change queue the object again, and the periodic resync is the
 *   safety net. No backoff retry.
 */
export type FailureHandling = 'terminal' | 'retry' | 'wait';

/** An expected failure of a reconcile step: a condition `reason`, a message for users, a handling. */
export class ReconcileFailure<Reason extends string = string> extends Error {
  constructor(
    readonly reason: Reason,
    message: string,
    readonly handling: FailureHandling,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'ReconcileFailure';
  }

  /**
   * What the reconcile throws to the engine once the failure is reported (status, Event, a log line
   * when it began — so the engine logs it at debug only): TerminalError for `terminal`, RetryError
   * (retried with backoff) for `retry`; undefined for `wait` (the reconcile returns normally and waits
   * for its triggers).
   */
  toEngineError(): Error | undefined {
    switch (this.handling) {
      case 'terminal':
        return new TerminalError(this.message, { cause: this, reported: true });
      case 'retry':
        return new RetryError(`${this.reason}: ${this.message}`, { cause: this, reported: true });
      case 'wait':
        return undefined;
    }
  }
}

/**
 * Thrown by a reconcile whose signal aborted (shutdown or a lost lease): not a failure of the object,
 * so nothing is reported; the engine drops it (see runtime's Controller).
 */
export class ReconcileAborted extends Error {
  constructor() {
    super('reconcile aborted: the controller is stopping');
    this.name = 'ReconcileAborted';
  }
}
