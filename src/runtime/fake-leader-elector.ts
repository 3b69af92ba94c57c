import type { LeaderCallbacks, LeaderElection } from './leader-election.js';

/** Options of {@link FakeLeaderElector}. */
export interface FakeLeaderElectorOptions {
  /** Required. */
  callbacks: LeaderCallbacks;
  /** Default `fake-leader`. */
  identity?: string;
  /** Become leader as soon as start() is called. Default true; false leaves it to {@link FakeLeaderElector.elect}. */
  leadOnStart?: boolean;
}

/**
 * A {@link LeaderElection} for tests of code gated on leadership: no Lease, no timers. The test decides
 * when this process gains and loses leadership with {@link elect} and {@link depose}; callbacks run as
 * the real elector runs them (onStartedLeading asynchronously, with a signal aborted on loss).
 */
export class FakeLeaderElector implements LeaderElection {
  readonly identity: string;
  private readonly callbacks: LeaderCallbacks;
  private readonly leadOnStart: boolean;
  private state: 'idle' | 'candidate' | 'leading' | 'closed' = 'idle';
  /** While leading: aborted on depose()/close(). */
  private term: AbortController | undefined;
  /** What the current or last onStartedLeading returned, settled. */
  private work: Promise<void> = Promise.resolve();
  /** How many terms have started; lets tests assert on re-election. */
  private termCount = 0;

  constructor(options: FakeLeaderElectorOptions) {
    if (!options.callbacks) throw new TypeError('FakeLeaderElector: set options.callbacks');
    this.callbacks = options.callbacks;
    this.identity = options.identity ?? 'fake-leader';
    this.leadOnStart = options.leadOnStart ?? true;
  }

  /** Leadership terms started so far. */
  get terms(): number {
    return this.termCount;
  }

  isLeader(): boolean {
    return this.state === 'leading';
  }

  start(): void {
    if (this.state !== 'idle') throw new Error(`FakeLeaderElector cannot start from state ${this.state}`);
    this.state = 'candidate';
    if (this.leadOnStart) void this.elect();
  }

  /**
   * Makes this process the leader (no-op if it already is, or is not started). Returns once
   * onStartedLeading has been called (its promise, if any, keeps running).
   */
  elect(): Promise<void> {
    if (this.state !== 'candidate') return Promise.resolve();
    this.state = 'leading';
    this.termCount++;
    const term = new AbortController();
    this.term = term;
    this.callbacks.onNewLeader?.(this.identity);
    const started = Promise.resolve().then(() => this.callbacks.onStartedLeading(term.signal));
    this.work = started.then(
      () => undefined,
      () => undefined,
    );
    return started.then(
      () => undefined,
      () => undefined,
    );
  }

  /** Takes leadership away at once, as a failed renewal would (no-op if not leading). */
  depose(): void {
    if (this.state !== 'leading') return;
    this.state = 'candidate';
    this.term?.abort(new Error('leadership lost: deposed by test'));
    this.term = undefined;
    this.callbacks.onStoppedLeading?.();
  }

  /** Settles when the last term's onStartedLeading promise has. */
  whenWorkDone(): Promise<void> {
    return this.work;
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return this.work;
    this.depose();
    this.state = 'closed';
    await this.work;
  }
}
