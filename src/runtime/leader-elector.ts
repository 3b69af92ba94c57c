import { V1MicroTime, type V1Lease, type V1LeaseSpec } from '@kubernetes/client-node';
import { realClock, sleep, type Clock } from '../base/index.js';
import { ConflictError, NotFoundError, toKubeError, type CallOptions } from '../kube/index.js';
import { silentLogger, type Logger } from '../observability/index.js';
import type { LeaderCallbacks, LeaderElection } from './leader-election.js';
import type { LeaseWatch } from './lease-watch.js';

/** The Lease operations the elector needs; `LeaseClient` from the kube layer implements it. */
export interface LeaseStore {
  /** Throws `NotFoundError` if absent. */
  get(namespace: string, name: string, options?: CallOptions): Promise<V1Lease>;
  /** Throws `AlreadyExistsError` (a `ConflictError`) if it exists. */
  create(lease: V1Lease, options?: CallOptions): Promise<V1Lease>;
  /** Throws `ConflictError` if `metadata.resourceVersion` is stale. */
  replace(lease: V1Lease, options?: CallOptions): Promise<V1Lease>;
}

export const DEFAULT_LEASE_DURATION_MS = 15_000;
export const DEFAULT_RENEW_DEADLINE_MS = 10_000;
export const DEFAULT_RETRY_PERIOD_MS = 2_000;
/** Candidates wait `retryPeriod · (1 + random · RETRY_JITTER)` between attempts, so they do not align. */
export const RETRY_JITTER = 0.2;

/** Options of {@link LeaderElector}. */
export interface LeaderElectorOptions {
  /** Where the Lease lives. Required. */
  leases: LeaseStore;
  /** Namespace of the Lease. Required. */
  namespace: string;
  /** Name of the Lease. Required. */
  name: string;
  /** Unique per process (e.g. the pod name). Required. */
  identity: string;
  /** Required. */
  callbacks: LeaderCallbacks;
  /**
   * How long others wait, from when they last saw the Lease change, before taking it over. A whole
   * number of seconds (the Lease stores seconds). Default 15 000 ms.
   */
  leaseDurationMs?: number;
  /**
   * How long the leader keeps acting without a successful renewal; it stops at once when this passes.
   * Must be less than `leaseDurationMs` (the margin absorbs latency and timer skew). Default 10 000 ms.
   */
  renewDeadlineMs?: number;
  /** Pause between attempts to acquire or renew. `renewDeadlineMs` must exceed it by the jitter. Default 2 000 ms. */
  retryPeriodMs?: number;
  /**
   * A feed of the Lease's changes (e.g. {@link InformerLeaseWatch}). With one that is watching, a
   * standby sees each renewal as it is written and attempts the takeover exactly `leaseDurationMs` after
   * it saw the last one; without one, or while it is not watching, the standby polls every retry period.
   * The elector starts and closes it. Default none.
   */
  watch?: LeaseWatch;
  logger?: Logger;
  clock?: Clock;
  /** Source of jitter, in [0, 1). Default `Math.random`. */
  random?: () => number;
}

/** How one acquire/renew attempt ended. */
type AttemptOutcome = 'held' | 'held-by-other' | 'failed';

/** The elector's lifecycle; changed only through `transition()`. */
export type ElectorState = 'idle' | 'candidate' | 'leading' | 'closed';

/** The Lease record as last read or written, and when this process first saw it. */
interface Observation {
  readonly resourceVersion: string;
  readonly holder: string;
  readonly leaseDurationMs: number;
  /** Local clock time this record was first seen (never the record's own renewTime: clocks skew). */
  readonly observedAt: number;
}

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
  /** Counts changes of `observed`; a candidate attempts at once when the Lease changed since its last attempt. */
  private observationGen = 0;
  /** Cuts a candidate's wait short; set only while it waits. */
  private wake: (() => void) | undefined;
  private state: ElectorState = 'idle';
  /** The last Lease record seen or written; undefined until the first read. */
  private observed: Observation | undefined;
  /** The holder last reported through onNewLeader. */
  private reportedLeader: string | undefined;
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
    this.leaseDurationMs = options.leaseDurationMs ?? DEFAULT_LEASE_DURATION_MS;
    this.renewDeadlineMs = options.renewDeadlineMs ?? DEFAULT_RENEW_DEADLINE_MS;
    this.retryPeriodMs = options.retryPeriodMs ?? DEFAULT_RETRY_PERIOD_MS;
    if (!(this.leaseDurationMs >= 1000) || this.leaseDurationMs % 1000 !== 0) {
      throw new RangeError(`LeaderElector: leaseDurationMs must be a whole number of seconds >= 1000`);
    }
    if (!(this.renewDeadlineMs < this.leaseDurationMs)) {
      throw new RangeError('LeaderElector: renewDeadlineMs must be less than leaseDurationMs');
    }
    if (!(this.retryPeriodMs > 0) || !(this.renewDeadlineMs > this.retryPeriodMs * (1 + RETRY_JITTER))) {
      throw new RangeError(
        `LeaderElector: renewDeadlineMs must exceed retryPeriodMs × ${1 + RETRY_JITTER} (and retryPeriodMs > 0)`,
      );
    }
    this.logger = (options.logger ?? silentLogger).child({
      lease: `${options.namespace}/${options.name}`,
      identity: options.identity,
    });
    this.clock = options.clock ?? realClock;
    this.random = options.random ?? Math.random;
    this.watch = options.watch;
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
        if (!this.closed) this.observe(lease);
      },
      onDeleted: () => {
        if (this.closed) return;
        this.observed = undefined;
        this.observationChanged();
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
    const genAtAttempt = this.observationGen;
    while (!signal.aborted) {
      const now = this.clock.now();
      const at = this.nextAttemptAt(now, retryAt, this.observationGen !== genAtAttempt);
      if (at <= now) return;
      // Look again at least every retry period: if the watch went down meanwhile, poll instead.
      await this.sleepOrWake(Math.min(at, now + this.retryPeriodMs) - now, signal);
    }
  }

  /** When a candidate should next attempt, given what it saw and whether the Lease changed since its last attempt. */
  private nextAttemptAt(now: number, retryAt: number, changed: boolean): number {
    const seen = this.observed;
    const watching = this.watch?.isWatching() ?? false;
    if (seen && seen.holder !== '' && seen.holder !== this.identity) {
      const expiry = seen.observedAt + seen.leaseDurationMs;
      if (expiry > now) return watching ? expiry : Math.min(expiry, retryAt);
    }
    // Free, deleted, ours, or expired: the last attempt dealt with this record unless it changed since.
    return changed ? now : retryAt;
  }

  /** Sleeps `delayMs`, cut short by `signal` or by a change of the observed Lease. */
  private async sleepOrWake(delayMs: number, signal: AbortSignal): Promise<void> {
    const cut = new AbortController();
    const onAbort = (): void => cut.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    this.wake = onAbort;
    try {
      await sleep(this.clock, delayMs, cut.signal);
    } finally {
      this.wake = undefined;
      signal.removeEventListener('abort', onAbort);
    }
  }

  private observationChanged(): void {
    this.observationGen++;
    this.wake?.();
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

  /** Reads the Lease and records it as observed (observedAt changes only when the record does). */
  private observe(lease: V1Lease): Observation {
    const rv = lease.metadata?.resourceVersion ?? '';
    const spec: V1LeaseSpec = lease.spec ?? {};
    if (this.observed?.resourceVersion !== rv) {
      this.observed = {
        resourceVersion: rv,
        holder: spec.holderIdentity ?? '',
        leaseDurationMs: (spec.leaseDurationSeconds ?? this.leaseDurationMs / 1000) * 1000,
        observedAt: this.clock.now(),
      };
      this.observationChanged();
      if (this.observed.holder && this.observed.holder !== this.reportedLeader) {
        this.reportedLeader = this.observed.holder;
        this.logger.info('new leader observed', { leader: this.observed.holder });
        this.callbacks.onNewLeader?.(this.observed.holder);
      }
    }
    return this.observed;
  }

  private leaseSpec(now: number, previous: V1LeaseSpec | undefined): V1LeaseSpec {
    const wasMine = previous?.holderIdentity === this.identity;
    const transitions = previous?.leaseTransitions ?? 0;
    return {
      holderIdentity: this.identity,
      leaseDurationSeconds: this.leaseDurationMs / 1000,
      // MicroTime on the wire has exactly six fractional digits; a plain Date would send three.
      acquireTime: wasMine && previous?.acquireTime ? previous.acquireTime : new V1MicroTime(now),
      renewTime: new V1MicroTime(now),
      leaseTransitions: previous === undefined ? 0 : wasMine ? transitions : transitions + 1,
    };
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
        const created = await this.leases.create(
          {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: { namespace: this.namespace, name: this.name },
            spec: this.leaseSpec(now, undefined),
          },
          { signal },
        );
        this.observe(created);
        return 'held';
      }
      const seen = this.observe(lease);
      const heldByOther =
        seen.holder !== '' &&
        seen.holder !== this.identity &&
        seen.observedAt + seen.leaseDurationMs > this.clock.now();
      if (heldByOther) return 'held-by-other';
      const updated = await this.leases.replace(
        { ...lease, spec: this.leaseSpec(now, lease.spec) },
        { signal },
      );
      if (seen.holder !== this.identity) {
        this.logger.info('took over lease', { previousHolder: seen.holder || undefined });
      }
      this.observe(updated);
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
      const now = new V1MicroTime(this.clock.now());
      await this.leases.replace(
        {
          ...lease,
          spec: {
            ...lease.spec,
            holderIdentity: '',
            leaseDurationSeconds: 1,
            renewTime: now,
          },
        },
        { signal },
      );
      this.logger.info('released lease');
    } catch (err) {
      this.logger.warn('failed to release lease', { error: toKubeError(err).message });
    }
  }
}
