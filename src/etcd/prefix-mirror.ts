import { EventEmitter } from 'node:events';
import { Backoff, realClock, sleep } from '../base/index.js';
import type { Logger } from '../observability/index.js';
import { silentLogger } from './silent-logger.js';
import type { EtcdClient } from './client.js';
import { CompactedError, RevisionWentBackError, toEtcdError, type EtcdError } from './errors.js';
import { retained, toBytes } from './keys.js';
import { MirrorBudgetExceededError, UNLIMITED_MIRROR_BUDGET, type MirrorBudget } from './mirror-budget.js';
import {
  PrefixContent,
  loadPrefixContent,
  summaryBytes,
  type KeySize,
  type LoadedPrefixContent,
  type OverBoundSummary,
} from './prefix-content.js';
import type { KeyLike, KeyValue, WatchEvent, WatchHandle, WatchMessage } from './types.js';

/** First delay before a mirror retries after a non-compaction failure. */
const RETRY_INITIAL_DELAY_MS = 500;
/** Cap of that delay. */
const RETRY_MAX_DELAY_MS = 30_000;
/** Default time between two reads of a prefix over the bound (see PrefixMirrorOptions). */
export const DEFAULT_OVER_BOUND_RECHECK_MS = 60_000;
/** The least time between two reads of a prefix over the bound that deletes ask for. */
export const OVER_BOUND_MIN_RECHECK_MS = 1_000;

/** A consistent view of the prefix: every key (sorted by key bytes) at `revision`. */
export interface MirrorSnapshot {
  revision: bigint;
  entries: KeyValue[];
}

/**
 * The prefix is over the mirror's bound (`maxValueBytes`): its values were released, and the mirror
 * keeps this summary of its last read (key count kept current by deletes) until a read finds it back
 * under the bound.
 */
export interface MirrorOverBound {
  revision: bigint;
  keyCount: number;
  /**
   * The measured values' total size: what a ConfigMap of the whole prefix would count when
   * `unmeasuredKeyCount` is 0, a lower bound (already over the bound) otherwise.
   */
  valueBytes: number;
  /** Keys whose sizes were not read: a read stops taking values once they are past the bound. */
  unmeasuredKeyCount: number;
  maxValueBytes: number;
  /** The biggest measured values' keys and sizes, biggest first (at most LARGEST_KEYS_REPORTED). */
  largest: KeySize[];
}

/**
 * What a mirror holds: every key with its value, or — over its bound — a summary. With values,
 * `since` is the revision of the last change the mirror applied (or of its last read): the entries are
 * the prefix's content at every revision from `since` to `revision`, which lets the mirrors of one
 * client be combined at one revision (a revision both have reached, neither changed in between).
 */
export type MirrorContent =
  ({ kind: 'values'; since: bigint } & MirrorSnapshot) | ({ kind: 'overBound' } & MirrorOverBound);

/** Thrown by {@link PrefixMirror.snapshot} while the prefix is over the mirror's bound. */
export class MirrorOverBoundError extends Error {
  constructor(readonly overBound: MirrorOverBound) {
    super(
      `the prefix holds ${overBound.valueBytes} bytes of values, over the mirror's bound of ${overBound.maxValueBytes}`,
    );
    this.name = 'MirrorOverBoundError';
  }
}

/** Payload of `update`: the changes of one etcd response, applied; the mirror is now at `revision`. */
export interface MirrorUpdate {
  revision: bigint;
  changes: WatchEvent[];
}

/** Events of a {@link PrefixMirror}. Listeners run synchronously, as each watch message is applied. */
export interface PrefixMirrorEvents {
  /**
   * Changes applied; `content()` now reflects them. Over the bound only deletes arrive (the watch then
   * leaves out puts), and count out keys of the summary.
   */
  update: [MirrorUpdate];
  /**
   * The history was compacted past the mirror, it recovered from a failure, etcd went back (after
   * `wentBack`), or it read its over-bound prefix again (after `recheck`): a fresh state read from etcd
   * (over the bound: its summary). Its revision can be lower than the mirror's was.
   */
  resync: [MirrorContent];
  /**
   * etcd's history went back behind the mirror: restored from an older snapshot, wiped, or another
   * cluster answers (the error says which revisions, and cluster IDs when they differ). Emitted once
   * per went-back, just before the `resync` that carries etcd's state now; the mirror's revision then
   * takes etcd's (lower) revision. Also emitted when a fresh snapshot after a failure comes back below
   * the mirror's revision.
   */
  wentBack: [RevisionWentBackError];
  /**
   * The mirror reads its over-bound prefix again (keys were deleted, or its periodic check is due), to
   * see whether it is back under the bound: a `resync` follows, with its values or a new summary.
   */
  recheck: [{ revision: bigint }];
  /** etcd reports the prefix unchanged up to `revision` (progress); the mirror's revision advanced. */
  progress: [{ revision: bigint }];
  /**
   * A failure that is not a compaction or a went-back (e.g. PermissionDeniedError); the mirror retries
   * with backoff.
   */
  error: [EtcdError];
}

/** Options of {@link PrefixMirror}. */
export interface PrefixMirrorOptions {
  /** Most keys per page of a snapshot read (pages are also sized by bytes, see KV.pages). Default 1000. */
  pageSize?: number;
  /** Deadline of each page of a snapshot read. Default: the client's request timeout. */
  pageTimeoutMs?: number;
  /** Ask etcd for progress messages on an idle prefix. Default true. */
  progressNotify?: boolean;
  /**
   * The most value bytes the mirror holds: past it the values are released and a summary kept
   * (content() is `overBound`); the watch then leaves out puts (a tenant's writes to a prefix that
   * cannot be published cost nothing), and the prefix is read again — stopping at the bound — after
   * deletes and every `overBoundRecheckMs`, until it is back under the bound. Default Infinity.
   */
  maxValueBytes?: number;
  /**
   * Time between two reads of a prefix over the bound when no delete asks for one (a put that shrinks a
   * value is not seen by then). Default {@link DEFAULT_OVER_BOUND_RECHECK_MS}.
   */
  overBoundRecheckMs?: number;
  /**
   * Where the mirror takes the bytes it holds from: its first snapshot must fit what is left (start()
   * throws MirrorBudgetExceededError otherwise); later it takes what it grows by. Default unlimited.
   */
  budget?: MirrorBudget;
  /** Default: silentLogger. */
  logger?: Logger;
}

/**
 * - `new`: not started, or the first snapshot failed (start() may be called again);
 * - `starting`: loading the first snapshot;
 * - `running`: following the prefix;
 * - `closed`: close() ran. Terminal.
 */
export type MirrorState = 'new' | 'starting' | 'running' | 'closed';

/** Every transition the mirror may make, by from-state; transition() refuses any other. */
export const MIRROR_TRANSITIONS: Readonly<Record<MirrorState, readonly MirrorState[]>> = {
  new: ['starting', 'closed'],
  starting: ['running', 'new', 'closed'],
  running: ['closed'],
  closed: [],
};

/** What a mirror holds: the content, or the summary of a prefix over the bound. */
type Held = { kind: 'values'; content: PrefixContent } | { kind: 'overBound'; summary: OverBoundSummary };

/**
 * An informer for an etcd prefix: a snapshot (paged Range at one revision, KV.pages) kept current by a
 * watch from snapshot revision + 1. On compaction it takes a fresh snapshot and emits `resync` with the
 * full new state; when etcd went back in time (RevisionWentBackError, or a fresh snapshot below the
 * mirror's revision) it emits `wentBack` first; other failures are emitted as `error` and healed the
 * same way after a backoff.
 *
 * Bounded (see PrefixContent): past `maxValueBytes` of values it keeps a summary only, and watches the
 * prefix for deletes only (etcd leaves out the puts, values and all); it reads the prefix again —
 * stopping at the bound — after deletes and periodically, until it is back under the bound, then
 * follows it whole again. Owns its watch, its timer and the bytes it took from its budget; close()
 * ends the ones and gives back the other.
 */
export class PrefixMirror extends EventEmitter<PrefixMirrorEvents> {
  private readonly prefix: Buffer;
  private readonly options: Required<Omit<PrefixMirrorOptions, 'logger' | 'pageTimeoutMs'>> & {
    logger: Logger;
    pageTimeoutMs: number | undefined;
  };
  /** What the mirror holds, current at `revision`. */
  private held: Held;
  /** Bytes of `held` taken from the budget: its size after every change, 0 once closed. */
  private charged = 0;
  /** Revision the content is known to be current at. */
  private revision = 0n;
  /** Revision of the last change applied or read (≤ `revision`): the content is the same since. */
  private since = 0n;
  /** When the prefix was last read (ms, wall clock): over the bound, rechecks are spaced from it. */
  private readAt = 0;
  private state: MirrorState = 'new';
  /**
   * Cancels the read or wait in progress on close(). Made for each start and recovery and dropped
   * after it: an AbortSignal that ever had a listener keeps two tables (~0.4 KiB), per idle mirror.
   */
  private inFlight: AbortController | undefined;
  /** The first snapshot's read while start() runs; joined by close(). */
  private starting: Promise<unknown> | undefined;
  /**
   * The watch that follows the prefix from `revision` + 1, while running and not recovering. Its
   * messages are applied as they arrive (a sink, not an iteration: no async loop per mirror).
   */
  private watch: WatchHandle | undefined;
  /** Over the bound: the timer that ends the watch for a recheck read. */
  private recheckTimer: NodeJS.Timeout | undefined;
  /** A fresh snapshot being read after a failure, a compaction or a recheck; joined by close(). */
  private recovering: Promise<void> | undefined;
  /** Delays between failed watches (reset by applied events); made on the first failure. */
  private backoff: Backoff | undefined;

  constructor(
    private readonly client: EtcdClient,
    prefix: KeyLike,
    options: PrefixMirrorOptions = {},
  ) {
    super();
    this.prefix = retained(toBytes(prefix));
    this.options = {
      pageSize: options.pageSize ?? 1000,
      pageTimeoutMs: options.pageTimeoutMs,
      progressNotify: options.progressNotify ?? true,
      maxValueBytes: options.maxValueBytes ?? Number.POSITIVE_INFINITY,
      overBoundRecheckMs: options.overBoundRecheckMs ?? DEFAULT_OVER_BOUND_RECHECK_MS,
      budget: options.budget ?? UNLIMITED_MIRROR_BUDGET,
      logger: options.logger ?? silentLogger,
    };
    this.held = { kind: 'values', content: new PrefixContent(this.options.maxValueBytes) };
  }

  /**
   * Loads the first snapshot and starts following the prefix. Resolves once `content()` is valid;
   * throws MirrorBudgetExceededError if the snapshot does not fit what is left of the budget, or the
   * typed EtcdError if it failed (either way the mirror holds nothing and can be started again).
   */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error(`PrefixMirror.start() in state ${this.state}`);
    this.transition('starting');
    let loaded: LoadedPrefixContent;
    try {
      const loading = this.load('admit');
      this.starting = loading.catch(() => undefined);
      loaded = await loading;
    } catch (err) {
      if (!this.isClosed) this.transition('new'); // closed meanwhile stays closed
      throw err instanceof MirrorBudgetExceededError ? err : toEtcdError(err);
    } finally {
      this.starting = undefined;
      this.inFlight = undefined;
    }
    if (this.isClosed) {
      // Only close() can have run meanwhile: the content is not wanted.
      this.options.budget.give(loaded.chargedBytes);
      return;
    }
    this.adopt(loaded);
    this.transition('running');
    this.follow();
  }

  /** True once close() ran. */
  private get isClosed(): boolean {
    return this.state === 'closed';
  }

  /** The signal of the read or wait in progress: aborted by close() (already, once closed). */
  private operationSignal(): AbortSignal {
    if (this.isClosed) return AbortSignal.abort();
    this.inFlight ??= new AbortController();
    return this.inFlight.signal;
  }

  /**
   * The one place the mirror changes state, guarded by MIRROR_TRANSITIONS: a transition not in the
   * table is a bug; it is logged at error and ignored, and false is returned.
   */
  private transition(next: MirrorState): boolean {
    if (!MIRROR_TRANSITIONS[this.state].includes(next)) {
      this.options.logger.error('prefix mirror transition refused', { from: this.state, to: next });
      return false;
    }
    this.state = next;
    return true;
  }

  /**
   * The content at the mirror's revision, sorted by key. Throws MirrorOverBoundError while the prefix
   * is over the bound (see content()).
   */
  snapshot(): MirrorSnapshot {
    const content = this.content();
    if (content.kind === 'overBound') throw new MirrorOverBoundError(content);
    return { revision: content.revision, entries: content.entries };
  }

  /** What the mirror holds at its revision: every key with its value, or the over-bound summary. */
  content(): MirrorContent {
    if (this.held.kind === 'values') {
      return {
        kind: 'values',
        revision: this.revision,
        since: this.since,
        entries: this.held.content.entries(),
      };
    }
    const { summary } = this.held;
    return {
      kind: 'overBound',
      revision: this.revision,
      keyCount: summary.keyCount,
      valueBytes: summary.valueBytes,
      unmeasuredKeyCount: summary.keyCount - Math.min(summary.keyCount, summary.measuredKeyCount),
      maxValueBytes: this.options.maxValueBytes,
      largest: summary.largest,
    };
  }

  /** The bytes the mirror holds (as taken from its budget). */
  get heldBytes(): number {
    return this.charged;
  }

  /** A consistent read of the prefix at etcd's current revision, charged to the budget; changes nothing. */
  private load(mode: 'admit' | 'force'): Promise<LoadedPrefixContent> {
    return loadPrefixContent(this.client.kv, this.prefix, {
      maxValueBytes: this.options.maxValueBytes,
      pageSize: this.options.pageSize,
      ...(this.options.pageTimeoutMs !== undefined ? { pageTimeoutMs: this.options.pageTimeoutMs } : {}),
      budget: { budget: this.options.budget, mode },
      signal: this.operationSignal(),
    });
  }

  /** Makes `loaded` what the mirror holds, giving back what it held before had taken. */
  private adopt(loaded: LoadedPrefixContent): void {
    this.options.budget.give(this.charged);
    this.held =
      loaded.kind === 'values'
        ? { kind: 'values', content: loaded.content }
        : { kind: 'overBound', summary: loaded.summary };
    this.charged = loaded.chargedBytes;
    this.revision = loaded.revision;
    this.since = loaded.revision;
    this.readAt = Date.now();
    if (loaded.kind === 'overBound') this.logOverBound(loaded.summary);
  }

  /** Takes from (or gives back to) the budget what the mirror's holding grew (or shrank) by. */
  private recharge(): void {
    const bytes = this.held.kind === 'values' ? this.held.content.heldBytes : summaryBytes(this.held.summary);
    const delta = bytes - this.charged;
    if (delta > 0) this.options.budget.take(delta);
    else if (delta < 0) this.options.budget.give(-delta);
    this.charged = bytes;
  }

  private logOverBound(summary: OverBoundSummary): void {
    this.options.logger.info('prefix over the mirror bound, values released', {
      revision: this.revision.toString(),
      valueBytes: summary.valueBytes,
      maxValueBytes: this.options.maxValueBytes,
      keyCount: summary.keyCount,
      measuredKeyCount: summary.measuredKeyCount,
    });
  }

  /**
   * Watches the prefix from `revision` + 1: with values, every change; over the bound, deletes only
   * (etcd leaves out the puts) and a timer for the next recheck read.
   */
  private follow(): void {
    if (this.state !== 'running' || this.watch !== undefined || this.recovering !== undefined) return;
    const noput = this.held.kind === 'overBound';
    let handle: WatchHandle | undefined;
    try {
      handle = this.client.watchInto(
        {
          key: this.prefix,
          prefix: true,
          fromRevision: this.revision + 1n,
          progressNotify: this.options.progressNotify,
          ...(noput ? { filters: ['noput'] as const } : {}),
        },
        {
          // Only the current watch speaks: one this mirror ended itself is ignored.
          message: (m) => {
            if (this.watch !== handle) return;
            try {
              this.onMessage(m);
            } catch (err) {
              // A listener threw: as a failed watch, healed by a fresh snapshot (the stream goes on).
              this.endWatch();
              this.onWatchEnd(toEtcdError(err));
            }
          },
          end: (error) => {
            if (this.watch === handle) this.onWatchEnd(error);
          },
        },
      );
    } catch (err) {
      // The client refused to start it (closed): handled as a failed watch.
      this.onWatchEnd(toEtcdError(err));
      return;
    }
    this.watch = handle;
    if (noput) this.recheckAt(this.readAt + this.options.overBoundRecheckMs);
  }

  /** Ends the current watch (and its recheck timer); its last messages are ignored. */
  private endWatch(): void {
    const handle = this.watch;
    this.watch = undefined;
    clearTimeout(this.recheckTimer);
    this.recheckTimer = undefined;
    void handle?.cancel();
  }

  private onMessage(message: WatchMessage): void {
    if (message.type === 'events') {
      const hadValues = this.held.kind === 'values';
      this.apply(message.events, message.revision);
      this.backoff = undefined;
      if (hadValues && this.held.kind === 'overBound') {
        // The values are gone: the next watch leaves out puts.
        this.endWatch();
        queueMicrotask(() => this.follow());
      } else if (this.held.kind === 'overBound') {
        // Deleted keys may have taken it back under the bound.
        this.recheckAt(this.readAt + OVER_BOUND_MIN_RECHECK_MS);
      }
    } else if (message.type === 'progress') {
      this.onProgress(message.revision, message.inStep);
    }
  }

  /** Over the bound: ends the watch at `at` (ms), or now if that has passed, for a recheck read. */
  private recheckAt(at: number): void {
    clearTimeout(this.recheckTimer);
    this.recheckTimer = setTimeout(
      () => {
        if (this.state !== 'running') return;
        this.endWatch();
        // Over the bound: a read (stopping at the bound) says whether it is back under it.
        this.emit('recheck', { revision: this.revision });
        this.recover(() => this.resync());
      },
      Math.max(0, at - Date.now()),
    );
  }

  /**
   * The watch ended without this mirror ending it: etcd refused it (a compaction, etcd went back, a
   * denied permission…) — healed by a fresh snapshot, at once or after a backoff — or the client closed
   * its watches (nothing more to follow).
   */
  private onWatchEnd(error: EtcdError | undefined): void {
    this.watch = undefined;
    clearTimeout(this.recheckTimer);
    this.recheckTimer = undefined;
    if (this.state !== 'running' || error === undefined) return;
    const typed = toEtcdError(error);
    if (typed instanceof RevisionWentBackError) {
      // Like a compaction, healed by a fresh snapshot at once; announced first.
      this.options.logger.warn('prefix mirror: etcd went back', {
        revision: typed.seenRevision.toString(),
        etcdRevision: typed.etcdRevision.toString(),
      });
      this.emit('wentBack', typed);
      this.recover(() => this.resync(true));
    } else if (typed instanceof CompactedError) {
      this.recover(() => this.resync());
    } else {
      this.options.logger.warn('prefix mirror watch failed', { error: typed.message });
      if (this.listenerCount('error') > 0) this.emit('error', typed);
      this.backoff ??= new Backoff({
        initialDelayMs: RETRY_INITIAL_DELAY_MS,
        maxDelayMs: RETRY_MAX_DELAY_MS,
      });
      const delay = this.backoff.next();
      this.recover(async () => {
        await sleep(realClock, delay, this.operationSignal());
        await this.resync();
      });
    }
  }

  /** Runs `read` (a fresh snapshot; never throws once closed), then follows the prefix again. */
  private recover(read: () => Promise<void>): void {
    if (this.recovering !== undefined) return;
    this.recovering = read()
      .catch(() => undefined) // only an abort on close() gets here
      .finally(() => {
        this.recovering = undefined;
        this.inFlight = undefined;
        this.follow();
      });
  }

  /** Only a progress sent in step with the events says the content is current at its revision. */
  private onProgress(revision: bigint, inStep: boolean): void {
    if (!inStep || revision <= this.revision) return;
    this.revision = revision;
    this.emit('progress', { revision });
  }

  /**
   * Takes a fresh snapshot (retrying with backoff until it works or the mirror closes) and emits it. A
   * snapshot below the mirror's revision means etcd went back: `wentBack` first, unless
   * `isWentBackReported` (the watch already said so).
   */
  private async resync(isWentBackReported = false): Promise<void> {
    const backoff = new Backoff({ initialDelayMs: RETRY_INITIAL_DELAY_MS, maxDelayMs: RETRY_MAX_DELAY_MS });
    while (this.state === 'running') {
      try {
        // An admitted mirror reading its prefix again: what it holds grows the budget's total.
        const loaded = await this.load('force');
        if (this.state !== 'running') {
          this.options.budget.give(loaded.chargedBytes);
          return;
        }
        if (loaded.revision < this.revision && !isWentBackReported) {
          this.emit('wentBack', new RevisionWentBackError(this.revision, loaded.revision));
        }
        this.adopt(loaded);
        this.options.logger.info('prefix mirror resynced', { revision: this.revision.toString() });
        this.emit('resync', this.content());
        return;
      } catch (err) {
        if (this.state !== 'running') return;
        const typed = toEtcdError(err);
        if (this.listenerCount('error') > 0) this.emit('error', typed);
        await sleep(realClock, backoff.next(), this.operationSignal());
      }
    }
  }

  /**
   * Applies one response's events and emits `update`. With values held, a batch that takes them past
   * the bound leaves the summary of the content it made (every key measured). Over the bound, only
   * deletes arrive (the watch leaves out puts): each counts a key out.
   */
  private apply(events: readonly WatchEvent[], revision: bigint): void {
    if (this.held.kind === 'values') {
      const { content } = this.held;
      for (const e of events) {
        if (e.type === 'put') {
          content.put({
            key: e.key,
            value: e.value,
            createRevision: e.createRevision,
            modRevision: e.modRevision,
            version: e.version,
            lease: e.lease,
          });
        } else {
          content.delete(e.key);
        }
      }
      if (content.isOverBound) this.held = { kind: 'overBound', summary: content.summary() };
    } else {
      const { summary } = this.held;
      for (const e of events) {
        if (e.type !== 'delete') continue;
        summary.keyCount = Math.max(0, summary.keyCount - 1);
        const i = summary.largest.findIndex((k) => k.key.equals(e.key));
        if (i >= 0) {
          summary.valueBytes -= summary.largest[i]!.valueBytes;
          summary.measuredKeyCount -= 1;
          summary.largest.splice(i, 1);
        }
      }
    }
    this.recharge();
    if (revision > this.revision) this.revision = revision;
    this.since = this.revision;
    if (this.held.kind === 'overBound' && events.some((e) => e.type === 'put'))
      this.logOverBound(this.held.summary);
    this.emit('update', { revision: this.revision, changes: [...events] });
  }

  /**
   * Stops following; resolves when the watch is ended (and a snapshot still being read has settled) and
   * every byte taken from the budget is given back. Idempotent.
   */
  async close(): Promise<void> {
    if (this.state !== 'closed') this.transition('closed');
    this.inFlight?.abort();
    this.endWatch();
    await this.starting;
    await this.recovering;
    this.options.budget.give(this.charged);
    this.charged = 0;
    this.held = { kind: 'values', content: new PrefixContent(this.options.maxValueBytes) };
  }
}
