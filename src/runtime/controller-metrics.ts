/** How one reconcile ended. */
export type ReconcileOutcome = 'success' | 'requeue_after' | 'error' | 'terminal_error' | 'aborted';

/**
 * Hooks a controller calls per reconcile (implemented by observability's metrics module). Must be cheap
 * and must not throw.
 */
export interface ControllerMetrics {
  /** One reconcile of `controller` ended with `outcome` after `durationMs`. */
  observeReconcile(controller: string, outcome: ReconcileOutcome, durationMs: number): void;
  /** Workers of `controller` currently running a reconcile. */
  setActiveWorkers(controller: string, active: number): void;
}

/** Metrics that go nowhere: the default. */
export const noopControllerMetrics: ControllerMetrics = {
  observeReconcile: () => undefined,
  setActiveWorkers: () => undefined,
};
