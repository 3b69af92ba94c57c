// One PrefixMirror per prefix on one etcd client, shared by every PrefixSync that reads that prefix:
// two PrefixSyncs on one prefix share one watch (and every watch of a client shares its one stream).
import type { EtcdError, PrefixMirror, RevisionWentBackError } from '../../etcd/index.js';
import type { Logger } from '../../observability/index.js';

/** What a mirror tells the PrefixSyncs holding it. Called synchronously from the mirror's loop. */
export interface MirrorListener {
  /** The content or the known revision of `prefix` changed; `holders` should reconcile. */
  onChange(
    holders: readonly string[],
    kind: 'update' | 'resync' | 'progress',
    eventCount: number,
    revision: bigint,
  ): void;
  /** The mirror's watch failed (it heals itself with backoff and a fresh snapshot). */
  onError(holders: readonly string[], error: EtcdError): void;
  /** The mirror's history was compacted past it: it took a fresh snapshot (also sent as `resync`). */
  onCompaction?(holders: readonly string[]): void;
  /**
   * etcd answered below a revision the mirror had seen (restored from a backup, wiped, another cluster
   * behind the address). Called before the `resync` that carries the fresh snapshot.
   */
  onWentBack?(holders: readonly string[], error: RevisionWentBackError): void;
}

/** A mirror and who holds it. */
interface PooledMirror {
  readonly mirror: PrefixMirror;
  /** Settles when the first snapshot is loaded; rejects with the typed error if it failed. */
  readonly started: Promise<void>;
  /** Holder keys (PrefixSync `namespace/name`). Empty only while being removed. */
  readonly holders: Set<string>;
}

/**
 * The ref-counted mirrors of one etcd client. `acquire` opens (or joins) a mirror; `release` closes it
 * when its last holder leaves. Owns every mirror it opened; close() ends them all.
 */
export class MirrorPool {
  /** prefix → pooled mirror. */
  private readonly mirrors = new Map<string, PooledMirror>();
  /** holder → the prefixes it holds (a PrefixSync with several spec.sources holds several). */
  private readonly held = new Map<string, Set<string>>();
  /** Closes in flight, joined by close(). */
  private readonly closing = new Set<Promise<void>>();
  private closed = false;

  constructor(
    private readonly newMirror: (prefix: string) => PrefixMirror,
    private readonly listener: MirrorListener,
    private readonly logger: Logger,
  ) {}

  /** Number of open mirrors (= etcd watches). */
  get size(): number {
    return this.mirrors.size;
  }

  /** The prefixes of the open mirrors (each one the source lets the operator read). */
  prefixes(): string[] {
    return [...this.mirrors.keys()];
  }

  /** The holders of every mirror, e.g. to re-reconcile them all. */
  holders(): string[] {
    return [...this.held.keys()];
  }

  /**
   * Makes `holder` a holder of the mirror of `prefix` (leaving any other prefix it held) and resolves
   * once that mirror has its first snapshot. Throws the typed EtcdError if the snapshot failed; the
   * holder is then not recorded and a later call tries again.
   */
  async acquire(holder: string, prefix: string): Promise<PrefixMirror> {
    const [mirror] = await this.acquireAll(holder, [prefix]);
    return mirror!;
  }

  /**
   * Makes `holder` a holder of exactly the mirrors of `prefixes` — leaving the ones it held that are not
   * listed (their watches end when it was their last holder) — and resolves once each has its first
   * snapshot, in the order given. Throws the first failure (typed EtcdError, or the budget's): the
   * holder then keeps none of the mirrors whose start failed, and a later call tries again.
   */
  async acquireAll(holder: string, prefixes: readonly string[]): Promise<PrefixMirror[]> {
    if (this.closed) throw new Error('mirror pool is closed');
    const wanted = new Set(prefixes);
    for (const prefix of [...(this.held.get(holder) ?? [])]) {
      if (!wanted.has(prefix)) this.leave(holder, prefix);
    }
    const pooled = [...wanted].map((prefix) => {
      const entry = this.mirrors.get(prefix) ?? this.open(prefix);
      entry.holders.add(holder);
      let held = this.held.get(holder);
      if (!held) this.held.set(holder, (held = new Set()));
      held.add(prefix);
      return [prefix, entry] as const;
    });
    const started = await Promise.allSettled(pooled.map(([, entry]) => entry.started));
    let failure: Error | undefined;
    started.forEach((result, i) => {
      if (result.status === 'fulfilled') return;
      const [prefix, entry] = pooled[i]!;
      if (this.mirrors.get(prefix) === entry) this.drop(prefix, entry);
      // Typed EtcdErrors (or the budget's) in practice; anything else is wrapped to stay an Error.
      failure ??= result.reason instanceof Error ? result.reason : new Error(String(result.reason));
    });
    if (failure !== undefined) throw failure;
    const byPrefix = new Map(pooled.map(([prefix, entry]) => [prefix, entry.mirror]));
    return prefixes.map((prefix) => byPrefix.get(prefix)!);
  }

  /** Removes `holder` from every mirror; each closes in the background when it was the last one. */
  release(holder: string): void {
    for (const prefix of [...(this.held.get(holder) ?? [])]) this.leave(holder, prefix);
  }

  /** Removes `holder` from the mirror of `prefix`, closing it when it was its last holder. */
  private leave(holder: string, prefix: string): void {
    const held = this.held.get(holder);
    held?.delete(prefix);
    if (held?.size === 0) this.held.delete(holder);
    const pooled = this.mirrors.get(prefix);
    if (!pooled) return;
    pooled.holders.delete(holder);
    if (pooled.holders.size === 0) this.drop(prefix, pooled);
  }

  /** Closes every mirror; resolves when all have ended. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    for (const [prefix, pooled] of this.mirrors) this.drop(prefix, pooled);
    this.held.clear();
    await Promise.all(this.closing);
  }

  private open(prefix: string): PooledMirror {
    const mirror = this.newMirror(prefix);
    // Besides the pool's own listeners, every reconcile waiting for a consistent cut listens for a
    // while (snapshots.ts): no fixed bound fits, and each one removes its listeners when it is done.
    mirror.setMaxListeners(0);
    const holders = new Set<string>();
    const snapshotHolders = (): string[] => [...holders];
    mirror.on('update', (u) =>
      this.listener.onChange(snapshotHolders(), 'update', u.changes.length, u.revision),
    );
    // A resync without a failure, a went-back or a recheck before it answers a compaction; after one
    // of those, it is the recovery (or the over-bound prefix read again).
    let isResyncExplained = false;
    mirror.on('wentBack', (error) => {
      isResyncExplained = true;
      this.listener.onWentBack?.(snapshotHolders(), error);
    });
    mirror.on('recheck', () => {
      isResyncExplained = true;
    });
    mirror.on('resync', (s) => {
      if (!isResyncExplained) this.listener.onCompaction?.(snapshotHolders());
      isResyncExplained = false;
      this.listener.onChange(snapshotHolders(), 'resync', 0, s.revision);
    });
    mirror.on('progress', (p) => this.listener.onChange(snapshotHolders(), 'progress', 0, p.revision));
    mirror.on('error', (error) => {
      isResyncExplained = true;
      this.listener.onError(snapshotHolders(), error);
    });
    const started = mirror.start();
    // Observed here so that a failed start with no one awaiting yet is not an unhandled rejection.
    started.catch(() => undefined);
    const pooled: PooledMirror = { mirror, started, holders };
    this.mirrors.set(prefix, pooled);
    this.logger.debug('prefix mirror opened', { prefix });
    return pooled;
  }

  private drop(prefix: string, pooled: PooledMirror): void {
    this.mirrors.delete(prefix);
    for (const holder of pooled.holders) {
      const held = this.held.get(holder);
      held?.delete(prefix);
      if (held?.size === 0) this.held.delete(holder);
    }
    pooled.holders.clear();
    const done = pooled.mirror.close().catch(() => undefined);
    this.closing.add(done);
    void done.finally(() => this.closing.delete(done));
    this.logger.debug('prefix mirror closed', { prefix });
  }
}
