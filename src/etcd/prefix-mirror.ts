import { EventEmitter } from 'node:events';
import { Backoff, realClock, sleep } from '../base/index.js';
import { silentLogger, type Logger } from '../observability/index.js';
import type { EtcdClient } from './client.js';
import { CompactedError, RevisionWentBackError, toEtcdError, type EtcdError } from './errors.js';
import { toBytes } from './keys.js';
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

/** Payload of `update`: the changes of one etcd response, applied; the mirror is now at `revision`. */
export interface MirrorUpdate {
  revision: bigint;
  changes: WatchEvent[];
}

/** Events of a {@link PrefixMirror}. Listeners run synchronously inside the mirror's loop. */
export interface PrefixMirrorEvents {
  /** Changes applied; `snapshot()` now reflects them. */
  update: [MirrorUpdate];
  /**
   * The history was compacted past the mirror, it recovered from a failure, or etcd went back (after
   * `wentBack`): a fresh full state. Its revision can be lower than the mirror's was.
   */
  resync: [MirrorSnapshot];
  /**
   * etcd's history went back behind the mirror: restored from an older snapshot, wiped, or another
   * cluster answers (the error says which revisions, and cluster IDs when they differ). Emitted once
   * per went-back, just before the `resync` that carries etcd's state now; the mirror's revision then
   * takes etcd's (lower) revision. Also emitted when a fresh snapshot after a failure comes back below
   * the mirror's revision.
   */
  wentBack: [RevisionWentBackError];
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
  /** Keys per page of the snapshot range. Default 1000. */
  pageSize?: number;
  /** Ask etcd for progress messages on an idle prefix. Default true. */
  progressNotify?: boolean;
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

/** `latin1` maps bytes 1:1 to chars, so these strings sort exactly as the key bytes. */
function mapKey(key: Buffer): string {
  return key.toString('latin1');
}

/**
 * An informer for an etcd prefix: a snapshot (paginated Range at one revision) kept current by a watch
 * from snapshot revision + 1. On compaction it takes a fresh snapshot and emits `resync` with the full
 * new state; when etcd went back in time (RevisionWentBackError, or a fresh snapshot below the mirror's
 * revision) it emits `wentBack` first; other failures are emitted as `error` and healed the same way
 * after a backoff. Owns its watch; close() ends it.
 */
export class PrefixMirror extends EventEmitter<PrefixMirrorEvents> {
  private readonly prefix: Buffer;
  private readonly options: Required<Omit<PrefixMirrorOptions, 'logger'>> & { logger: Logger };
  /** Current content by mapKey(key). */
  private entries = new Map<string, KeyValue>();
  /** Revision the content is known to be current at. */
  private revision = 0n;
  private state: MirrorState = 'new';
  /** Cancels the current watch on close(). */
  private readonly abort = new AbortController();
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
      progressNotify: options.progressNotify ?? true,
      logger: options.logger ?? silentLogger,
    };
  }

  /**
   * Loads the first snapshot and starts following the prefix. Resolves once `snapshot()` is valid;
   * throws the typed error if the first snapshot fails (the mirror can be started again).
   */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error(`PrefixMirror.start() in state ${this.state}`);
    this.transition('starting');
    try {
      await this.loadSnapshot();
    } catch (err) {
      if (!this.isClosed) this.transition('new'); // closed meanwhile stays closed
      throw toEtcdError(err);
    }
    if (this.isClosed) return; // only close() can have run meanwhile
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

  /** The content at the mirror's revision, sorted by key. */
  snapshot(): MirrorSnapshot {
    const entries = [...this.entries.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, kv]) => kv);
    return { revision: this.revision, entries };
  }

  private async loadSnapshot(): Promise<void> {
    this.adopt(await this.fetchSnapshot());
  }

  /** A consistent snapshot of the prefix at etcd's current revision; changes nothing. */
  private async fetchSnapshot(): Promise<{ revision: bigint; entries: Map<string, KeyValue> }> {
    const res = await this.client.kv.range({ prefix: this.prefix, pageSize: this.options.pageSize });
    const entries = new Map<string, KeyValue>();
    for (const kv of res.kvs) entries.set(mapKey(kv.key), kv);
    return { revision: res.revision, entries };
  }

  private adopt(snapshot: { revision: bigint; entries: Map<string, KeyValue> }): void {
    this.entries = snapshot.entries;
    this.revision = snapshot.revision;
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
      try {
        for await (const message of watch) {
          if (message.type === 'events') {
            this.apply(message.events, message.revision);
            backoff.reset();
          } else if (message.type === 'progress' && message.inStep && message.revision > this.revision) {
            // Only a progress sent in step with the events says the content is current at its revision.
            this.revision = message.revision;
            this.emit('progress', { revision: message.revision });
          }
        }
        return; // ended normally: closed
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
        const snapshot = await this.fetchSnapshot();
        if (this.state !== 'running') return;
        if (snapshot.revision < this.revision && !isWentBackReported) {
          this.emit('wentBack', new RevisionWentBackError(this.revision, snapshot.revision));
        }
        this.adopt(snapshot);
        this.options.logger.info('prefix mirror resynced', { revision: this.revision.toString() });
        this.emit('resync', this.snapshot());
        return;
      } catch (err) {
        const typed = toEtcdError(err);
        if (this.listenerCount('error') > 0) this.emit('error', typed);
        await sleep(realClock, backoff.next(), this.abort.signal);
      }
    }
  }

  private apply(events: readonly WatchEvent[], revision: bigint): void {
    for (const e of events) {
      const k = mapKey(e.key);
      if (e.type === 'put') {
        this.entries.set(k, {
          key: e.key,
          value: e.value,
          createRevision: e.createRevision,
          modRevision: e.modRevision,
          version: e.version,
          lease: e.lease,
        });
      } else {
        this.entries.delete(k);
      }
    }
    if (revision > this.revision) this.revision = revision;
    this.emit('update', { revision: this.revision, changes: [...events] });
  }

  /** Stops following; resolves when the watch loop has ended. Idempotent. */
  async close(): Promise<void> {
    if (this.state !== 'closed') this.transition('closed');
    this.abort.abort();
    await this.loop;
  }
}
