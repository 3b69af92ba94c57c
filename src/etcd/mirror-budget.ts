// Memory accounting shared by prefix mirrors (e.g. every mirror of one etcd source): a mirror takes the
// bytes it holds from its budget and gives them back when it holds less. A new mirror is admitted only
// when its first snapshot fits what is left; once admitted it may grow (each mirror is bounded on its
// own, see PrefixContent), and the owner of the budget sees the total.

/** Where a mirror takes the bytes it holds from. Implementations are synchronous and never throw. */
export interface MirrorBudget {
  /** Takes `bytes` if they fit in what is left, and says whether it did (nothing is taken if not). */
  tryTake(bytes: number): boolean;
  /** Takes `bytes` whether or not they fit: an admitted mirror that grows. */
  take(bytes: number): void;
  /** Gives `bytes` back. */
  give(bytes: number): void;
}

/** A budget that admits everything: the default of a mirror that was given none. */
export const UNLIMITED_MIRROR_BUDGET: MirrorBudget = {
  tryTake: () => true,
  take: () => undefined,
  give: () => undefined,
};

/**
 * A mirror's first snapshot did not fit what was left of its budget: nothing of it is held (what it had
 * taken was given back). `neededBytes` is what it had read when refused: it needs at least that much.
 */
export class MirrorBudgetExceededError extends Error {
  constructor(
    readonly prefix: string,
    readonly neededBytes: number,
  ) {
    super(`the mirror of ${prefix} needs at least ${neededBytes} bytes, more than its budget has left`);
    this.name = 'MirrorBudgetExceededError';
  }
}
