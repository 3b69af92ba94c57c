// What one elector knows of its Lease, fed by its own reads and writes and by the Lease watch: the last
// record and when it was first seen, a generation that moves whenever that changes, and the wake-up of a
// candidate waiting for such a change. A new holder is reported to the owner once, as it is first seen.
import type { V1Lease } from '@kubernetes/client-node';
import { sleep, type Clock } from '../base/index.js';
import type { Logger } from '../observability/index.js';
import type { LeaderCallbacks } from './leader-election.js';
import { observeLease, type Observation } from './lease-record.js';

/** Options of {@link LeaseObserver}; all required (the elector passes its own). */
export interface LeaseObserverOptions {
  /** The duration a Lease without one counts as. */
  leaseDurationMs: number;
  clock: Clock;
  logger: Logger;
  /** Its `onNewLeader` is called synchronously from {@link LeaseObserver.observe}. */
  callbacks: LeaderCallbacks;
}

/** The elector's view of its Lease. Not shared: one per elector, used only from its loop and its watch. */
export class LeaseObserver {
  /** The last Lease record seen or written; undefined until the first read and after a deletion. */
  private seen: Observation | undefined;
  /** Counts changes of `seen`; a candidate attempts at once when the Lease changed since its last attempt. */
  private gen = 0;
  /** Cuts a candidate's wait short; set only while it waits in {@link sleepOrWake}. */
  private wake: (() => void) | undefined;
  /** The holder last reported through onNewLeader. */
  private reportedLeader: string | undefined;

  constructor(private readonly options: LeaseObserverOptions) {}

  /** The last record seen or written, or undefined (never read, or deleted since). */
  get current(): Observation | undefined {
    return this.seen;
  }

  /** Moves every time {@link current} changes. */
  get generation(): number {
    return this.gen;
  }

  /**
   * Records the Lease as observed (observedAt changes only when the record does) and, when its holder is
   * one not reported before, logs it and calls onNewLeader. Returns the observation.
   */
  observe(lease: V1Lease): Observation {
    const { leaseDurationMs, clock, logger, callbacks } = this.options;
    const seen = observeLease(this.seen, lease, leaseDurationMs, clock.now());
    if (seen === this.seen) return seen;
    this.seen = seen;
    this.changed();
    if (seen.holder && seen.holder !== this.reportedLeader) {
      this.reportedLeader = seen.holder;
      logger.info('new leader observed', { leader: seen.holder });
      callbacks.onNewLeader?.(seen.holder);
    }
    return seen;
  }

  /** The Lease was deleted: nothing is known of it any more. */
  deleted(): void {
    this.seen = undefined;
    this.changed();
  }

  /** Sleeps `delayMs`, cut short by `signal` or by a change of the observed Lease. */
  async sleepOrWake(delayMs: number, signal: AbortSignal): Promise<void> {
    const cut = new AbortController();
    const onAbort = (): void => cut.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    this.wake = onAbort;
    try {
      await sleep(this.options.clock, delayMs, cut.signal);
    } finally {
      this.wake = undefined;
      signal.removeEventListener('abort', onAbort);
    }
  }

  private changed(): void {
    this.gen++;
    this.wake?.();
  }
}
