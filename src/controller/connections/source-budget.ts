// One ClusterEtcdSource's memory budget (spec.limits.maxMirrorBytes): what the mirrors of its prefixes
// hold together. A new mirror is admitted only when its first read fits what is left; admitted mirrors
// may grow (each one is bounded by the ConfigMap limit on its own), and while the total is past the
// budget no new mirror is admitted. The PrefixSyncs that were refused are remembered with what they
// needed, and are asked to reconcile again once that much is free.
import type { MirrorBudget } from '../../etcd/index.js';

/** The mirror bytes of a source refused a new mirror: what the budget is, holds and was asked for. */
export class SourceBudgetExceededError extends Error {
  constructor(
    readonly source: string,
    readonly prefix: string,
    readonly limitBytes: number,
    /** What the source's mirrors held when the new one was refused. */
    readonly usedBytes: number,
    /** What the new mirror had read when refused: it needs at least that much. */
    readonly neededBytes: number,
    /** How many mirrors the source has open. */
    readonly mirrorCount: number,
    options?: ErrorOptions,
  ) {
    super(
      `the mirrors of ClusterEtcdSource ${source} hold ${usedBytes} of their ${limitBytes} bytes; ${prefix} needs at least ${neededBytes} more`,
      options,
    );
    this.name = 'SourceBudgetExceededError';
  }
}

/**
 * The byte count and limit of one source's mirrors, and the holders waiting for room. Synchronous;
 * `onRoom` is called from inside give()/setLimit() (so from a mirror's loop) and must not throw.
 */
export class SourceMirrorBudget implements MirrorBudget {
  /** Bytes the mirrors hold now (never negative). */
  private used = 0;
  /** Holder (PrefixSync `namespace/name`) → the bytes its refused mirror needed at least. */
  private readonly waiting = new Map<string, number>();

  constructor(
    private limit: number,
    /** Called with the waiting holders for whom there is room now; they are forgotten then. */
    private readonly onRoom: (holders: readonly string[]) => void,
  ) {}

  get limitBytes(): number {
    return this.limit;
  }

  get usedBytes(): number {
    return this.used;
  }

  /** A new limit (the spec changed); a higher one may make room for waiting holders. */
  setLimit(bytes: number): void {
    this.limit = bytes;
    this.wakeWaiting();
  }

  tryTake(bytes: number): boolean {
    if (this.used + bytes > this.limit) return false;
    this.used += bytes;
    return true;
  }

  take(bytes: number): void {
    this.used += bytes;
  }

  give(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
    this.wakeWaiting();
  }

  /** `holder`'s mirror was refused needing at least `neededBytes`: tell it when that much is free. */
  noteRefused(holder: string, neededBytes: number): void {
    this.waiting.set(holder, neededBytes);
  }

  /** `holder` no longer waits (it left, or got its mirror). */
  forget(holder: string): void {
    this.waiting.delete(holder);
  }

  private wakeWaiting(): void {
    if (this.waiting.size === 0) return;
    const free = this.limit - this.used;
    const woken = [...this.waiting].filter(([, needed]) => needed <= free).map(([holder]) => holder);
    if (woken.length === 0) return;
    for (const holder of woken) this.waiting.delete(holder);
    this.onRoom(woken);
  }
}
