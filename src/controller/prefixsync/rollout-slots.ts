// The operator-wide limit on rollouts in progress (`--max-concurrent-rollouts`): a PrefixSync takes a
// slot when it starts a rollout and gives it back when the rollout ends, so that one bad push to a
// shared prefix cannot restart every workload of the cluster at once.

/** Slots for rollouts in progress, keyed by PrefixSync (`namespace/name`). Memory only. */
export class RolloutSlots {
  private readonly holders = new Set<string>();

  /** @param limit most rollouts in progress at once; 0 for no limit. */
  constructor(readonly limit = 0) {}

  /** Takes a slot for `key` if it has one or one is free; false when all are taken by others. */
  tryAcquire(key: string): boolean {
    if (this.holders.has(key)) return true;
    if (this.limit > 0 && this.holders.size >= this.limit) return false;
    this.holders.add(key);
    return true;
  }

  /**
   * Marks `key` as holding a slot whatever the limit: a rollout already in progress (started before a
   * restart of the operator, or a rollback) is never stopped half-way.
   */
  hold(key: string): void {
    this.holders.add(key);
  }

  /** `key`'s rollout ended (or it has none): its slot is free. */
  release(key: string): void {
    this.holders.delete(key);
  }

  /** Rollouts in progress now. */
  get inUse(): number {
    return this.holders.size;
  }
}
