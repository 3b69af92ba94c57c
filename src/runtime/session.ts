// One session of the manager (a leadership term, or the process's life without leader election) and
// the live state its controllers share, ended together.
import type { SessionResource, SessionScope } from './controller-setup.js';

/** A {@link SessionScope} whose shared objects the manager closes once its controllers have stopped. */
export class Session implements SessionScope {
  private readonly resources = new Map<string, SessionResource>();
  private ended = false;

  constructor(readonly signal: AbortSignal) {}

  shared<T extends SessionResource>(key: string, create: () => T): T {
    if (this.ended) throw new Error(`session ended: cannot make ${key}`);
    const existing = this.resources.get(key);
    if (existing) return existing as T;
    const made = create();
    this.resources.set(key, made);
    return made;
  }

  /** Closes every shared object, the last made first (a later one may use an earlier one). */
  async close(): Promise<void> {
    this.ended = true;
    for (const resource of [...this.resources.values()].reverse()) await resource.close();
    this.resources.clear();
  }
}
