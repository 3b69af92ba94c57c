import { EventEmitter } from 'node:events';
import { Backoff, realClock, sleep } from '../base/index.js';
import { silentLogger, type Logger } from '../observability/index.js';
import type { EtcdClient } from './client.js';
import { CompactedError, RevisionWentBackError, toEtcdError, type EtcdError } from './errors.js';
import { toBytes } from './keys.js';
import { MirrorBudgetExceededError, UNLIMITED_MIRROR_BUDGET, type MirrorBudget } from './mirror-budget.js';
import {
  PrefixContent,
  loadPrefixContent,
  type KeySize,
  type LoadedPrefixContent,
} from './prefix-content.js';
import type { KeyLike, KeyValue, WatchEvent } from './types.js';

/** First delay before a mirror retries after a non-compaction failure. */
const RETRY_INITIAL_DELAY_MS = 500;
/** Cap of that delay. */
const RETRY_MAX_DELAY_MS = 30_000;

/** A consistent view of the prefix: every key (sorted by key bytes) at `revision`. */
export interface MirrorSnapshot {
  revision: bigint;
  entries: KeyValue[];
}

/**
 * The prefix is over the mirror's bound (`maxValueBytes`): its values were released, and the mirror
 * follows the keys and their sizes only, until the values are back under the bound.
 */
export interface MirrorOverBound {
  revision: bigint;
  keyCount: number;
  /** The values' total size (what a ConfigMap of the whole prefix would count). */
  valueBytes: number;
  maxValueBytes: number;
  /** The biggest values' keys and sizes, biggest first (at most LARGEST_KEYS_REPORTED). */
  largest: KeySize[];
}

/** What a mirror holds: every key with its value, or — over its bound — a summary of keys and sizes. */
export type MirrorContent = ({ kind: 'values' } & MirrorSnapshot) | ({ kind: 'overBound' } & MirrorOverBound);

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

/** Events of a {@link PrefixMirror}. Listeners run synchronously inside the mirror's loop. */
export interface PrefixMirrorEvents {
  /**
   * Changes applied; `content()` now reflects them (over the bound: their sizes only; the `changes`
   * still carry the values, for the listener's call only).
   */
  update: [MirrorUpdate];
  /**
   * The history was compacted past the mirror, it recovered from a failure, etcd went back (after
   * `wentBack`), or the prefix came back under the bound: a fresh state read from etcd (over the bound:
   * its summary). Its revision can be lower than the mirror's was.
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
   * The prefix was over the bound and is back under it: the mirror reads it again whole, and a `resync`
   * with its values follows (after a backoff if that read fails).
   */
  backUnderBound: [{ revision: bigint; valueBytes: number }];
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
   * The most value bytes the mirror holds: past it the values are released and only keys and sizes
   * followed (content() is `overBound`) until the prefix is back under it, then read again whole.
   * Default Infinity (no bound).
   */
  maxValueBytes?: number;
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

/**
 * An informer for an etcd prefix: a snapshot (paged Range at one revision, KV.pages) kept current by a
 * watch from snapshot revision + 1. On compaction it takes a fresh snapshot and emits `resync` with the
 * full new state; when etcd went back in time (RevisionWentBackError, or a fresh snapshot below the
 * mirror's revision) it emits `wentBack` first; other failures are emitted as `error` and healed the
 * same way after a backoff.
 *
 * Bounded (see PrefixContent): past `maxValueBytes` of values it releases them and follows keys and
 * sizes only — watch events still carry values, which are dropped as they are applied — until the
 * prefix is back under the bound; then it reads the prefix again whole at one revision, emits `resync`
 * and watches on from there. Owns its watch and the bytes it took from its budget; close() ends the
 * one and gives back the other.
 */
export class PrefixMirror extends EventEmitter<PrefixMirrorEvents> {
  private readonly prefix: Buffer;
  private readonly options: Required<Omit<PrefixMirrorOptions, 'logger' | 'pageTimeoutMs'>> & {
    logger: Logger;
    pageTimeoutMs: number | undefined;
  };
  /** What the mirror holds, current at `revision`. */
  private held: PrefixContent;
  /** Bytes of `content` taken from the budget: content.heldBytes after every change, 0 once closed. */
  private charged = 0;
  /** Revision the content is known to be current at. */
  private revision = 0n;
  private state: MirrorState = 'new';
  /** Cancels the current watch and read on close(). */
  private readonly abort = new AbortController();
  /** The first snapshot's read while start() runs; joined by close(). */
  private starting: Promise<unknown> | undefined;
  /** The watch loop; joined by close(). */
  private loop: Promise<void> | undefined;

  constructor(
    private readonly client: EtcdClient,
    prefix: KeyLike,
    options: PrefixMirrorOptions = {},
  ) {
    super();
    this.prefix = toBytes(prefix);
    this.options = {
      pageSize: options.pageSize ?? 1000,
      pageTimeoutMs: options.pageTimeoutMs,
      progressNotify: options.progressNotify ?? true,
      maxValueBytes: options.maxValueBytes ?? Number.POSITIVE_INFINITY,
      budget: options.budget ?? UNLIMITED_MIRROR_BUDGET,
      logger: options.logger ?? silentLogger,
    };
    this.held = new PrefixContent(this.options.maxValueBytes);
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
    }
    if (this.isClosed) {
      // Only close() can have run meanwhile: the content is not wanted.
      this.options.budget.give(loaded.chargedBytes);
      return;
    }
    this.adopt(loaded);
    this.transition('running');
    this.loop = this.follow();
  }

  /** True once close() ran. */
  private get isClosed(): boolean {
    return this.state === 'closed';
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
    const c = this.held;
    if (!c.isReleased) return { kind: 'values', revision: this.revision, entries: c.entries() };
    return {
      kind: 'overBound',
      revision: this.revision,
      keyCount: c.keyCount,
      valueBytes: c.valueBytes,
      maxValueBytes: c.maxValueBytes,
      largest: c.largest(),
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
      signal: this.abort.signal,
    });
  }

  /** Makes `loaded` the mirror's content, giving back what the content before it had taken. */
  private adopt(loaded: LoadedPrefixContent): void {
    this.options.budget.give(this.charged);
    this.held = loaded.content;
    this.charged = loaded.chargedBytes;
    this.revision = loaded.revision;
    if (loaded.content.isReleased) this.logOverBound();
  }

  /** Takes from (or gives back to) the budget what the content grew (or shrank) by. */
  private recharge(): void {
    const delta = this.held.heldBytes - this.charged;
    if (delta > 0) this.options.budget.take(delta);
    else if (delta < 0) this.options.budget.give(-delta);
    this.charged += delta;
  }

  private logOverBound(): void {
    this.options.logger.info('prefix over the mirror bound, values released', {
      revision: this.revision.toString(),
      valueBytes: this.held.valueBytes,
      maxValueBytes: this.held.maxValueBytes,
      keyCount: this.held.keyCount,
    });
  }

  private async follow(): Promise<void> {
    const backoff = new Backoff({ initialDelayMs: RETRY_INITIAL_DELAY_MS, maxDelayMs: RETRY_MAX_DELAY_MS });
    while (this.state === 'running') {
      const watch = this.client.watch({
        key: this.prefix,
        prefix: true,
        fromRevision: this.revision + 1n,
        progressNotify: this.options.progressNotify,
        signal: this.abort.signal,
      });
      let isBackUnderBound = false;
      try {
        for await (const message of watch) {
          if (message.type === 'events') {
            isBackUnderBound = this.apply(message.events, message.revision);
            backoff.reset();
            if (isBackUnderBound) break; // ends the watch
          } else if (message.type === 'progress' && message.inStep && message.revision > this.revision) {
            // Only a progress sent in step with the events says the content is current at its revision.
            this.revision = message.revision;
            this.emit('progress', { revision: message.revision });
          }
        }
        if (!isBackUnderBound) return; // ended normally: closed
        // The values it released are needed again: a read at one revision (not the events since,
        // whose values were dropped), then a watch from there.
        this.options.logger.info('prefix back under the mirror bound, reading it again', {
          revision: this.revision.toString(),
          valueBytes: this.held.valueBytes,
        });
        this.emit('backUnderBound', { revision: this.revision, valueBytes: this.held.valueBytes });
        await this.resync();
      } catch (err) {
        if (this.state !== 'running') return;
        const typed = toEtcdError(err);
        if (typed instanceof RevisionWentBackError) {
          // Like a compaction, healed by a fresh snapshot at once; announced first.
          this.options.logger.warn('prefix mirror: etcd went back', {
            revision: typed.seenRevision.toString(),
            etcdRevision: typed.etcdRevision.toString(),
          });
          this.emit('wentBack', typed);
        } else if (!(typed instanceof CompactedError)) {
          this.options.logger.warn('prefix mirror watch failed', { error: typed.message });
          if (this.listenerCount('error') > 0) this.emit('error', typed);
          await sleep(realClock, backoff.next(), this.abort.signal);
        }
        await this.resync(typed instanceof RevisionWentBackError);
      }
    }
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
        await sleep(realClock, backoff.next(), this.abort.signal);
      }
    }
  }

  /**
   * Applies one response's events (over the bound: their sizes only, the values dropped here) and emits
   * `update`. Returns true when the prefix was over the bound and is back under it: its values must be
   * read again.
   */
  private apply(events: readonly WatchEvent[], revision: bigint): boolean {
    const wasReleased = this.held.isReleased;
    for (const e of events) {
      if (e.type === 'put') {
        this.held.put({
          key: e.key,
          value: e.value,
          createRevision: e.createRevision,
          modRevision: e.modRevision,
          version: e.version,
          lease: e.lease,
        });
      } else {
        this.held.delete(e.key);
      }
    }
    this.recharge();
    if (revision > this.revision) this.revision = revision;
    if (!wasReleased && this.held.isReleased) this.logOverBound();
    this.emit('update', { revision: this.revision, changes: [...events] });
    return this.held.isReleased && !this.held.isOverBound;
  }

  /**
   * Stops following; resolves when the watch loop (or a first snapshot still being read) has ended and
   * every byte taken from the budget is given back. Idempotent.
   */
  async close(): Promise<void> {
    if (this.state !== 'closed') this.transition('closed');
    this.abort.abort();
    await this.starting;
    await this.loop;
    this.options.budget.give(this.charged);
    this.charged = 0;
    this.held = new PrefixContent(this.options.maxValueBytes);
  }
}
