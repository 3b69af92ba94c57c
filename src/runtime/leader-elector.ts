// Leader election on a Lease: the campaign loop (candidate ↔ leader until closed), a leadership term
// with its renew deadline, and the Lease reads and writes of one attempt. The record arithmetic (expiry,
// next attempt, the spec to write) is pure and lives in lease-record.ts, what the elector has seen of the
// Lease in lease-observer.ts, the options and their checks in leader-elector-options.ts.
import type { V1Lease } from '@kubernetes/client-node';
import { realClock, sleep, type Clock } from '../base/index.js';
import { ConflictError, NotFoundError, toKubeError } from '../kube/index.js';
import { silentLogger, type Logger } from '../observability/index.js';
import type { LeaderCallbacks, LeaderElection } from './leader-election.js';
import {
  electorTimings,
  RETRY_JITTER,
  type LeaderElectorOptions,
  type LeaseStore,
} from './leader-elector-options.js';
import { isHeldByOther, newLease, nextAttemptAt, nextLeaseSpec, releasedLeaseSpec } from './lease-record.js';
import { LeaseObserver } from './lease-observer.js';
import type { LeaseWatch } from './lease-watch.js';

export {
  DEFAULT_LEASE_DURATION_MS,
  DEFAULT_RENEW_DEADLINE_MS,
  DEFAULT_RETRY_PERIOD_MS,
  RETRY_JITTER,
} from './leader-elector-options.js';
export type { LeaderElectorOptions, LeaseStore } from './leader-elector-options.js';

/** How one acquire/renew attempt ended. */
type AttemptOutcome = 'held' | 'held-by-other' | 'failed';

/** The elector's lifecycle; changed only through `transition()`. */
export type ElectorState = 'idle' | 'candidate' | 'leading' | 'closed';

/**
 * Leader election on a `coordination.k8s.io/v1` Lease, like client-go's: the holder renews every retry
 * period; a Lease whose record has not changed for its duration (as measured on the observer's own
 * clock, from the moment it saw the record change — never the holder's renewTime) may be taken over.
 * A standby attempts the takeover exactly when the record it last saw expires; with a {@link LeaseWatch}
 * that is watching it sees every renewal as it happens, so after the leader dies it takes over within the
 * lease duration plus the watch's latency and one read and write. Without a watch (or while the watch is
 * down) it also polls every retry period (+ jitter). Writes carry `resourceVersion`, so of two racing
 * candidates one gets `ConflictError` and re-reads.
 *
 * Safety: the leader stops acting (signal aborted, onStoppedLeading) as soon as `renewDeadlineMs` has
 * passed since the *start* of its last successful renewal — even while a renewal request is still in
 * flight — which is before any other candidate may take over (`leaseDurationMs` after it saw that
 * renewal). On close() it releases the Lease (empty holder, 1 s duration), so a standby takes over at
 * its next attempt instead of waiting out the lease.
 */
export class LeaderElector implements LeaderElection {
  readonly identity: string;
  private readonly leases: LeaseStore;
  private readonly namespace: string;
  private readonly name: string;
  private readonly callbacks: LeaderCallbacks;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly watch: LeaseWatch | undefined;
  /** What this process knows of the Lease; fed by every read and write and by the watch. */
  private readonly observer: LeaseObserver;
  private state: ElectorState = 'idle';
  /** Aborted by close(); cuts sleeps and requests. */
  private readonly closeController = new AbortController();
  /** While leading: aborted the moment leadership ends. */
  private leading: AbortController | undefined;
  /** When the latest acquire/renew attempt started (clock ms); a success is dated from here. */
  private lastAttemptStart = 0;
  /** While leading: cancels the renew-deadline timer. */
  private cancelDeadline: (() => void) | undefined;
  /** What onStartedLeading returned, settled (never rejects); awaited before leading again or releasing. */
  private leaderWork: Promise<void> = Promise.resolve();
  /** The campaign loop; close() awaits it. */
  private loop: Promise<void> | undefined;
  private closing: Promise<void> | undefined;

  constructor(options: LeaderElectorOptions) {
    for (const field of ['leases', 'namespace', 'name', 'identity', 'callbacks'] as const) {
      if (!options[field]) throw new TypeError(`LeaderElector: set options.${field}`);
    }
    this.leases = options.leases;
    this.namespace = options.namespace;
    this.name = options.name;
    this.identity = options.identity;
    this.callbacks = options.callbacks;
    const timings = electorTimings(options);
    this.leaseDurationMs = timings.leaseDurationMs;
    this.renewDeadlineMs = timings.renewDeadlineMs;
    this.retryPeriodMs = timings.retryPeriodMs;
    this.logger = (options.logger ?? silentLogger).child({
      lease: `${options.namespace}/${options.name}`,
      identity: options.identity,
    });
    this.clock = options.clock ?? realClock;
    this.random = options.random ?? Math.random;
    this.watch = options.watch;
    this.observer = new LeaseObserver({
      leaseDurationMs: this.leaseDurationMs,
      clock: this.clock,
      logger: this.logger,
      callbacks: this.callbacks,
    });
  }

  /** Current lifecycle state. */
  get currentState(): ElectorState {
    return this.state;
  }

  isLeader(): boolean {
    return this.state === 'leading';
  }

  start(): void {
    if (this.state !== 'idle') throw new Error(`LeaderElector cannot start from state ${this.state}`);
    this.transition('candidate');
    this.watch?.start({
      onLease: (lease) => {
        if (!this.closed) this.observer.observe(lease);
      },
      onDeleted: () => {
        if (!this.closed) this.observer.deleted();
      },
    });
    this.loop = this.campaign();
  }

  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    const wasLeading = this.state === 'leading';
    if (wasLeading) this.stopLeading('closing');
    this.transition('closed');
    this.closeController.abort();
    await this.loop;
    if (wasLeading) {
      await this.leaderWork;
      await this.release();
    }
    await this.watch?.close();
  }

  private transition(next: ElectorState): void {
    if (this.state === 'closed') return;
    this.state = next;
  }

  private get closed(): boolean {
    return this.state === 'closed';
  }

  /** Candidate ↔ leader until closed. */
  private async campaign(): Promise<void> {
    const closeSignal = this.closeController.signal;
    while (!this.closed) {
      await this.leaderWork; // never run two leadership terms' work at once
      if (this.closed) break;
      const outcome = await this.tryAcquireOrRenew(closeSignal);
      if (this.closed) break;
      if (outcome === 'held') {
        await this.lead();
        continue;
      }
      await this.waitForNextAttempt(closeSignal);
    }
  }

  /**
   * A candidate's pause after a failed attempt: until the Lease it saw held by another expires (on this
   * process's clock), or until the Lease changes so that it may be free, or — when not watching — for a
   * retry period (+ jitter), whichever comes first.
   */
  private async waitForNextAttempt(signal: AbortSignal): Promise<void> {
    const retryAt = this.clock.now() + this.retryPeriodMs * (1 + this.random() * RETRY_JITTER);
    const genAtAttempt = this.observer.generation;
    while (!signal.aborted) {
      const now = this.clock.now();
      const watching = this.watch?.isWatching() ?? false;
      const changed = this.observer.generation !== genAtAttempt;
      const at = nextAttemptAt(this.observer.current, this.identity, now, retryAt, changed, watching);
      if (at <= now) return;
      // Look again at least every retry period: if the watch went down meanwhile, poll instead.
      await this.observer.sleepOrWake(Math.min(at, now + this.retryPeriodMs) - now, signal);
    }
  }

  /** Leads from a successful acquisition until leadership is lost or closed. */
  private async lead(): Promise<void> {
    const term = new AbortController();
    this.leading = term;
    this.transition('leading');
    this.armDeadline(this.lastAttemptStart);
    this.logger.info('became leader');
    this.leaderWork = Promise.resolve()
      .then(() => this.callbacks.onStartedLeading(term.signal))
      .then(
        () => undefined,
        (err: unknown) => {
          this.logger.error('leader work failed', {
            error: err instanceof Error ? err.message : String(err),
          });
        },
      );
    while (this.state === 'leading' && !term.signal.aborted) {
      await sleep(this.clock, this.retryPeriodMs, term.signal);
      if (term.signal.aborted) break;
      const attemptStart = this.clock.now();
      const outcome = await this.tryAcquireOrRenew(term.signal);
      if (term.signal.aborted) break;
      if (outcome === 'held') this.armDeadline(attemptStart);
      else if (outcome === 'held-by-other') this.stopLeading('lease held by another candidate');
      else this.logger.warn('failed to renew lease');
    }
  }

  /** (Re)sets the timer that ends leadership `renewDeadlineMs` after `renewStartedAt`. */
  private armDeadline(renewStartedAt: number): void {
    this.cancelDeadline?.();
    const delay = renewStartedAt + this.renewDeadlineMs - this.clock.now();
    this.cancelDeadline = this.clock.setTimer(() => this.stopLeading('renew deadline passed'), delay);
  }

  /** Ends the current term at once: abort its signal, tell the owner. */
  private stopLeading(why: string): void {
    const term = this.leading;
    if (!term || term.signal.aborted) return;
    this.cancelDeadline?.();
    this.cancelDeadline = undefined;
    this.leading = undefined;
    term.abort(new Error(`leadership lost: ${why}`));
    this.transition('candidate');
    this.logger.info('stopped leading', { reason: why });
    try {
      this.callbacks.onStoppedLeading?.();
    } catch (err) {
      this.logger.error('onStoppedLeading threw', {
        error: err instanceof Error ? err.message : String(err),
      });
    }
  }

  /**
   * One attempt to create, take over or renew the Lease: `held` if this process holds it now,
   * `held-by-other` if another candidate validly holds it, `failed` if the attempt failed (logged).
   * Never throws.
   */
  private async tryAcquireOrRenew(signal: AbortSignal): Promise<AttemptOutcome> {
    const now = this.clock.now();
    this.lastAttemptStart = now;
    try {
      let lease: V1Lease;
      try {
        lease = await this.leases.get(this.namespace, this.name, { signal });
      } catch (err) {
        if (!(toKubeError(err) instanceof NotFoundError)) throw err;
        const spec = nextLeaseSpec(this.identity, this.leaseDurationMs, now, undefined);
        const created = await this.leases.create(newLease(this.namespace, this.name, spec), {
          signal,
        });
        this.observer.observe(created);
        return 'held';
      }
      const seen = this.observer.observe(lease);
      if (isHeldByOther(seen, this.identity, this.clock.now())) return 'held-by-other';
      const spec = nextLeaseSpec(this.identity, this.leaseDurationMs, now, lease.spec);
      const updated = await this.leases.replace({ ...lease, spec }, { signal });
      if (seen.holder !== this.identity) {
        this.logger.info('took over lease', { previousHolder: seen.holder || undefined });
      }
      this.observer.observe(updated);
      return 'held';
    } catch (err) {
      if (signal.aborted) return 'failed';
      const error = toKubeError(err, 'lease');
      if (error instanceof ConflictError) {
        this.logger.debug('lease changed under us, will re-read', { error: error.message });
      } else {
        this.logger.warn('lease request failed', { error: error.message, status: error.status });
      }
      return 'failed';
    }
  }

  /** Gives the Lease up (empty holder, 1 s duration) if this process still holds it. Best effort. */
  private async release(): Promise<void> {
    const signal = AbortSignal.timeout(this.renewDeadlineMs);
    try {
      const lease = await this.leases.get(this.namespace, this.name, { signal });
      if (lease.spec?.holderIdentity !== this.identity) return;
      const spec = releasedLeaseSpec(lease.spec, this.clock.now());
      await this.leases.replace({ ...lease, spec }, { signal });
      this.logger.info('released lease');
    } catch (err) {
      this.logger.warn('failed to release lease', { error: toKubeError(err).message });
    }
  }
}
