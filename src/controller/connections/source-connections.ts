// The live side of ClusterEtcdSources: one EtcdClient per source (all of its PrefixSyncs' watches on
// one gRPC stream), its health as last probed, its pool of shared prefix mirrors and their memory
// budget: each mirror holds at most what one ConfigMap can (past it, a summary only), and the
// mirrors of a source together at most its spec.limits.maxMirrorBytes when a new one starts.
import {
  CONFIGMAP_MAX_BYTES,
  DEFAULT_MAX_MIRROR_BYTES,
  parseByteQuantity,
  type ClusterEtcdSourceReason,
} from '../../api/index.js';
import {
  EtcdClient,
  MirrorBudgetExceededError,
  PrefixMirror,
  type EtcdAuthOptions,
  type EtcdClientOptions,
  type EtcdError,
  type EtcdTlsOptions,
  type RevisionWentBackError,
} from '../../etcd/index.js';
import { silentLogger, type Logger } from '../../observability/index.js';
import { MirrorPool } from './mirror-pool.js';
import { clusterIdHex } from './cluster-id.js';
import { SourceBudgetExceededError, SourceMirrorBudget } from './source-budget.js';
import type { SourceWentBack } from './went-back.js';

function maxOf(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}

function minOf(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

/** What an etcd client for one source connects with. */
export interface ConnectionSettings {
  endpoints: string[];
  tls?: EtcdTlsOptions;
  auth?: EtcdAuthOptions;
  /**
   * A digest of everything above (Secret contents included): a different fingerprint means the
   * connection must be re-made; the same one means the existing client stays.
   */
  fingerprint: string;
}

/** How a source's etcd cluster answered the last probe. */
export type SourceHealth =
  | { readonly state: 'pending' }
  | {
      readonly state: 'ready';
      readonly clusterId: string;
      readonly memberCount: number;
      readonly revision: bigint;
    }
  | { readonly state: 'failed'; readonly reason: ClusterEtcdSourceReason; readonly message: string };

/**
 * How often the operator asks etcd for progress on every watch of a source. A progress reply moves an
 * idle watch's resume point (where the server sends it in step with events, see Watcher.startRevision),
 * so that a reconnect after a compaction resumes instead of taking fresh snapshots of every prefix.
 */
export const DEFAULT_PROGRESS_REQUEST_INTERVAL_MS = 60_000;

/** The budget of a source whose spec sets none (`spec.limits.maxMirrorBytes` defaults to 256Mi). */
const DEFAULT_MAX_MIRROR_BYTES_PARSED = ((): number => {
  const parsed = parseByteQuantity(DEFAULT_MAX_MIRROR_BYTES);
  return parsed.ok ? parsed.bytes : 256 * 1024 * 1024;
})();

/** The bytes the mirrors of one source hold, and its budget. */
export interface SourceMirrorBytes {
  source: string;
  usedBytes: number;
  limitBytes: number;
}

/** One source's connection. */
export interface SourceConnection {
  readonly name: string;
  readonly client: EtcdClient;
  readonly fingerprint: string;
  readonly health: SourceHealth;
  readonly mirrors: MirrorPool;
  /** What its mirrors hold, against spec.limits.maxMirrorBytes. */
  readonly budget: SourceMirrorBudget;
  /** The last time a mirror of this source saw etcd go back in time; undefined if never. */
  readonly lastWentBack: RevisionWentBackError | undefined;
}

/**
 * What the connections report, to every subscriber ({@link SourceConnections.subscribe}). Called
 * synchronously; must not throw.
 */
export interface SourceConnectionEvents {
  /** A mirror of `source` held by these PrefixSyncs (`namespace/name`) changed. */
  onMirrorChange?(
    source: string,
    holders: readonly string[],
    kind: 'update' | 'resync' | 'progress',
    eventCount: number,
    /** The mirror's revision after the change (0 when the connection itself changed). */
    revision: bigint,
  ): void;
  /** A mirror's watch of `source` failed and is being re-made. */
  onMirrorError?(source: string, holders: readonly string[], error: EtcdError): void;
  /** A mirror of `source` answered a compaction with a fresh snapshot. */
  onCompaction?(source: string): void;
  /**
   * A mirror of `source` saw etcd answer below a revision it had seen (a restore from a backup, a wiped
   * member, another cluster behind the address); its holders get a `resync` with the fresh snapshot
   * right after. Each mirror of the source reports it, so one restore calls this once per mirror.
   */
  onRevisionWentBack?(source: string, holders: readonly string[], error: RevisionWentBackError): void;
  /**
   * A went-back of `source` not yet reported was noted (by a mirror or a PrefixSync): the source's
   * reconciler should report it ({@link SourceConnections.takeWentBack}).
   */
  onWentBackNoted?(source: string): void;
  /** A new client was made for `source` (first connection or changed settings). */
  onConnect?(source: string): void;
  /** The health of `source` changed (state or failure), or its connection was removed. */
  onHealthChange?(source: string): void;
}

/** Options of {@link SourceConnections}. */
export interface SourceConnectionsOptions {
  /** Client options besides endpoints/TLS/auth (timeouts). Default: the client's defaults. */
  clientOptions?: Omit<EtcdClientOptions, 'endpoints' | 'tls' | 'auth' | 'logger'>;
  /** See {@link DEFAULT_PROGRESS_REQUEST_INTERVAL_MS}; 0 turns the requests off. */
  progressRequestIntervalMs?: number;
  /**
   * The most value bytes one prefix mirror holds: past it, a summary only (PrefixMirror's
   * maxValueBytes). Default CONFIGMAP_MAX_BYTES (1 MiB): a ConfigMap can hold no more.
   */
  maxMirrorValueBytes?: number;
  /** Default silent. */
  logger?: Logger;
}

interface Entry {
  name: string;
  client: EtcdClient;
  fingerprint: string;
  health: SourceHealth;
  mirrors: MirrorPool;
  /** Kept across reconnections: the old mirrors give back to it as they close. */
  budget: SourceMirrorBudget;
  lastWentBack: RevisionWentBackError | undefined;
  /** Went-backs noted since the last report, merged into one; undefined when none. */
  pendingWentBack: SourceWentBack | undefined;
  /** The last one reported: later notes of the same episode are not reported again. */
  reportedWentBack: SourceWentBack | undefined;
  /** Asks etcd for progress on every watch of the client; cleared by retire(). */
  progressTimer: NodeJS.Timeout | undefined;
}

/**
 * Every source's client and mirrors, keyed by ClusterEtcdSource name. Written only by the
 * ClusterEtcdSource reconciler (connect/setHealth/remove); read by PrefixSync reconcilers. Owns the
 * clients and mirrors; close() ends them all.
 */
export class SourceConnections {
  private readonly entries = new Map<string, Entry>();
  private readonly listeners = new Set<SourceConnectionEvents>();
  private readonly clientOptions: SourceConnectionsOptions['clientOptions'];
  private readonly logger: Logger;
  private readonly progressRequestIntervalMs: number;
  private readonly maxMirrorValueBytes: number;
  /** Clients being closed, joined by close(). */
  private readonly closing = new Set<Promise<void>>();
  private closed = false;

  constructor(options: SourceConnectionsOptions = {}) {
    this.clientOptions = options.clientOptions;
    this.logger = options.logger ?? silentLogger;
    this.progressRequestIntervalMs =
      options.progressRequestIntervalMs ?? DEFAULT_PROGRESS_REQUEST_INTERVAL_MS;
    this.maxMirrorValueBytes = options.maxMirrorValueBytes ?? CONFIGMAP_MAX_BYTES;
  }

  /** The connection of `source`, if one was made. */
  get(source: string): SourceConnection | undefined {
    return this.entries.get(source);
  }

  /** Names of the connected sources. */
  names(): string[] {
    return [...this.entries.keys()];
  }

  /** Open mirrors (etcd watches) across every source. */
  get mirrorCount(): number {
    let n = 0;
    for (const e of this.entries.values()) n += e.mirrors.size;
    return n;
  }

  /**
   * Makes sure `source` has a client for `settings`. The same fingerprint keeps the existing client;
   * a different one closes the old client and its mirrors (their holders are told to reconcile, and
   * re-acquire on the new client). Returns whether a new client was made. Throws on invalid options.
   */
  connect(source: string, settings: ConnectionSettings): boolean {
    if (this.closed) throw new Error('source connections are closed');
    const existing = this.entries.get(source);
    if (existing && existing.fingerprint === settings.fingerprint) return false;
    const logger = this.logger.child({ source });
    const client = new EtcdClient({
      ...this.clientOptions,
      endpoints: settings.endpoints,
      ...(settings.tls ? { tls: settings.tls } : {}),
      ...(settings.auth ? { auth: settings.auth } : {}),
      logger,
    });
    const budget =
      existing?.budget ??
      new SourceMirrorBudget(DEFAULT_MAX_MIRROR_BYTES_PARSED, (holders) =>
        this.emit((l) => l.onMirrorChange?.(source, holders, 'resync', 0, 0n)),
      );
    const mirrors = this.newMirrorPool(source, client, budget, logger);
    const orphans = existing ? existing.mirrors.holders() : [];
    if (existing) this.retire(existing);
    const progressTimer =
      this.progressRequestIntervalMs > 0
        ? setInterval(() => client.requestProgress(), this.progressRequestIntervalMs).unref()
        : undefined;
    this.entries.set(source, {
      name: source,
      client,
      fingerprint: settings.fingerprint,
      health: { state: 'pending' },
      mirrors,
      budget,
      lastWentBack: undefined,
      pendingWentBack: undefined,
      reportedWentBack: undefined,
      progressTimer,
    });
    logger.info(existing ? 'etcd connection settings changed, reconnecting' : 'etcd client created', {
      endpoints: settings.endpoints,
    });
    this.emit((l) => l.onConnect?.(source));
    if (orphans.length > 0) this.emit((l) => l.onMirrorChange?.(source, orphans, 'resync', 0, 0n));
    return true;
  }

  private newMirrorPool(
    source: string,
    client: EtcdClient,
    budget: SourceMirrorBudget,
    logger: Logger,
  ): MirrorPool {
    return new MirrorPool(
      (prefix) =>
        new PrefixMirror(client, prefix, {
          maxValueBytes: this.maxMirrorValueBytes,
          budget,
          logger: logger.child({ prefix }),
        }),
      {
        onChange: (holders, kind, count, revision) =>
          this.emit((l) => l.onMirrorChange?.(source, holders, kind, count, revision)),
        onError: (holders, error) => this.emit((l) => l.onMirrorError?.(source, holders, error)),
        onCompaction: () => this.emit((l) => l.onCompaction?.(source)),
        onWentBack: (holders, error) => this.onWentBack(source, holders, error),
      },
      logger,
    );
  }

  /**
   * Sets the mirror budget of `source` (its spec.limits.maxMirrorBytes, in bytes). A lower one admits no
   * new mirror until the total is under it (the mirrors already open stay); a higher one asks the
   * PrefixSyncs that were refused and now fit to reconcile. Nothing happens for an unknown source.
   */
  setMirrorBudget(source: string, bytes: number): void {
    this.entries.get(source)?.budget.setLimit(bytes);
  }

  /** What the mirrors of each source hold, and its budget (for the metrics). */
  mirrorBytes(): SourceMirrorBytes[] {
    return [...this.entries.values()].map((e) => ({
      source: e.name,
      usedBytes: e.budget.usedBytes,
      limitBytes: e.budget.limitBytes,
    }));
  }

  /**
   * Records the last probe of `source`; when the health state or failure changed, tells subscribers
   * (the PrefixSyncs reading it reconcile) and returns true.
   */
  setHealth(source: string, health: SourceHealth): boolean {
    const entry = this.entries.get(source);
    if (!entry) return false;
    const before = entry.health;
    entry.health = health;
    const changed =
      before.state !== health.state ||
      (before.state === 'failed' && health.state === 'failed' && before.message !== health.message);
    if (changed) this.emit((l) => l.onHealthChange?.(source));
    return changed;
  }

  /**
   * A mirror saw etcd go back: until the next probe, the source's health takes etcd's lower revision
   * (so that PrefixSyncs apply the restored content instead of waiting for the old revision), and the
   * controllers are told.
   */
  private onWentBack(source: string, holders: readonly string[], error: RevisionWentBackError): void {
    const entry = this.entries.get(source);
    if (!entry) return;
    entry.lastWentBack = error;
    const health = entry.health;
    if (health.state === 'ready' && health.revision > error.etcdRevision) {
      const clusterId = error.clusterId === undefined ? health.clusterId : clusterIdHex(error.clusterId);
      entry.health = { ...health, revision: error.etcdRevision, clusterId };
    }
    this.emit((l) => l.onRevisionWentBack?.(source, holders, error));
    this.noteWentBack(source, {
      fromRevision: error.seenRevision,
      toRevision: error.etcdRevision,
      ...(error.clusterId !== undefined && error.previousClusterId !== undefined
        ? {
            previousClusterId: clusterIdHex(error.previousClusterId),
            clusterId: clusterIdHex(error.clusterId),
          }
        : {}),
    });
  }

  /**
   * Notes that etcd behind `source` went back in time, to be reported once on the ClusterEtcdSource:
   * every mirror of the source, and every PrefixSync that finds its status ahead of etcd, sees the same
   * restore. A note within the last reported episode (seen no higher than its start, and etcd no lower
   * than where it went) is part of it and dropped; others are merged until the next report.
   */
  noteWentBack(source: string, wentBack: SourceWentBack): void {
    const entry = this.entries.get(source);
    if (!entry) return;
    const reported = entry.reportedWentBack;
    if (
      reported &&
      wentBack.fromRevision <= reported.fromRevision &&
      wentBack.toRevision >= reported.toRevision &&
      wentBack.clusterId === undefined
    ) {
      return;
    }
    const pending = entry.pendingWentBack;
    entry.pendingWentBack = pending
      ? {
          ...pending,
          ...wentBack,
          fromRevision: maxOf(pending.fromRevision, wentBack.fromRevision),
          toRevision: minOf(pending.toRevision, wentBack.toRevision),
        }
      : wentBack;
    if (!pending) this.emit((l) => l.onWentBackNoted?.(source));
  }

  /**
   * The went-back noted since the last call, merged with `alsoSeen` (what the caller found itself),
   * now counted as reported; undefined when there is nothing to report.
   */
  takeWentBack(source: string, alsoSeen?: SourceWentBack): SourceWentBack | undefined {
    const entry = this.entries.get(source);
    if (!entry) return alsoSeen;
    const pending = entry.pendingWentBack;
    entry.pendingWentBack = undefined;
    const merged =
      pending && alsoSeen
        ? {
            ...alsoSeen,
            ...pending,
            fromRevision: maxOf(pending.fromRevision, alsoSeen.fromRevision),
            toRevision: minOf(pending.toRevision, alsoSeen.toRevision),
          }
        : (pending ?? alsoSeen);
    if (merged) entry.reportedWentBack = merged;
    return merged;
  }

  /**
   * Closes the client and mirrors of a deleted or invalid source. Holders are told to reconcile, and
   * subscribers that its health changed.
   */
  remove(source: string): void {
    const entry = this.entries.get(source);
    if (!entry) return;
    const holders = entry.mirrors.holders();
    this.entries.delete(source);
    this.retire(entry);
    if (holders.length > 0) this.emit((l) => l.onMirrorChange?.(source, holders, 'resync', 0, 0n));
    this.emit((l) => l.onHealthChange?.(source));
  }

  /**
   * Makes `holder` hold the mirror of `prefix` on `source` — leaving whatever it held elsewhere — and
   * resolves once the mirror has its first snapshot. Throws SourceBudgetExceededError when that
   * snapshot does not fit what is left of the source's budget (the holder is asked to reconcile again
   * once there is room for it), the typed EtcdError if it failed, or an Error if `source` has no
   * connection.
   */
  async acquireMirror(holder: string, source: string, prefix: string): Promise<PrefixMirror> {
    const mirrors = await this.acquireMirrors(holder, new Map([[source, [prefix]]]));
    return mirrors.get(source)![0]!;
  }

  /**
   * Makes `holder` hold exactly the mirrors of `wanted` (source → prefixes; a PrefixSync with several
   * spec.sources) — leaving every other mirror it held, on any source — and resolves once each has its
   * first snapshot, as source → mirrors in the order of the prefixes. Throws as acquireMirror does, for
   * the first source that failed.
   */
  async acquireMirrors(
    holder: string,
    wanted: ReadonlyMap<string, readonly string[]>,
  ): Promise<Map<string, PrefixMirror[]>> {
    for (const source of wanted.keys()) {
      if (!this.entries.has(source)) throw new Error(`no connection for ClusterEtcdSource ${source}`);
    }
    for (const [name, other] of this.entries) {
      if (wanted.has(name)) continue;
      other.mirrors.release(holder);
      other.budget.forget(holder);
    }
    const acquired = await Promise.allSettled(
      [...wanted].map(([source, prefixes]) => this.acquireOn(holder, source, prefixes)),
    );
    const out = new Map<string, PrefixMirror[]>();
    const sources = [...wanted.keys()];
    for (const [i, result] of acquired.entries()) {
      if (result.status === 'rejected') throw result.reason;
      out.set(sources[i]!, result.value);
    }
    return out;
  }

  /** The mirrors of `prefixes` on `source` for `holder`; the budget's refusal typed for the source. */
  private async acquireOn(
    holder: string,
    source: string,
    prefixes: readonly string[],
  ): Promise<PrefixMirror[]> {
    const entry = this.entries.get(source);
    if (!entry) throw new Error(`no connection for ClusterEtcdSource ${source}`);
    entry.budget.forget(holder);
    try {
      return await entry.mirrors.acquireAll(holder, prefixes);
    } catch (err) {
      if (!(err instanceof MirrorBudgetExceededError)) throw err;
      const { budget } = entry;
      budget.noteRefused(holder, err.neededBytes);
      throw new SourceBudgetExceededError(
        source,
        err.prefix,
        budget.limitBytes,
        budget.usedBytes,
        err.neededBytes,
        entry.mirrors.size,
        { cause: err },
      );
    }
  }

  /** Releases whatever mirror `holder` holds on any source, and its wait for room in a budget. */
  release(holder: string): void {
    for (const entry of this.entries.values()) {
      entry.mirrors.release(holder);
      entry.budget.forget(holder);
    }
  }

  /**
   * Adds a subscriber: each controller listens for what concerns it (mirror changes, health, went-back).
   * Returns how to unsubscribe.
   */
  subscribe(listener: SourceConnectionEvents): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(call: (listener: SourceConnectionEvents) => void): void {
    for (const listener of this.listeners) call(listener);
  }

  /** Closes every client and mirror; resolves once all have ended. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
    for (const entry of this.entries.values()) this.retire(entry);
    this.entries.clear();
    await Promise.all(this.closing);
  }

  private retire(entry: Entry): void {
    clearInterval(entry.progressTimer);
    this.track(
      (async () => {
        await entry.mirrors.close();
        await entry.client.close();
      })().catch((err: unknown) =>
        this.logger.warn('closing etcd client failed', { source: entry.name, error: String(err) }),
      ),
    );
  }

  /** Keeps a close in flight for close() to join. */
  private track(closing: Promise<void>): void {
    const done = closing.catch(() => undefined);
    this.closing.add(done);
    void done.finally(() => this.closing.delete(done));
  }
}
