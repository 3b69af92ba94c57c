// The order in which the stream creates its watches, and the one create in flight. etcd's created
// reply names no request (DESIGN.md §3, bookkeeping), so creates go out one at a time and each reply
// answers the one in flight; waiting watchers go out in creation order (`seq`), so that after a lost
// stream the watches are re-created in the order they were first made. A plain data structure owned
// by the WatchStream: it never changes a watcher's state.
import type { Watcher } from './watcher.js';

/** The watchers waiting for their create, in `seq` order, and the one whose create is in flight. */
export class CreateQueue {
  /** Watchers waiting for their create, in `seq` order; entries no longer `queued` are skipped. */
  private waiting: Watcher[] = [];
  /** The watcher whose create is in flight; undefined when none is. */
  private inFlight: Watcher | undefined;

  /** The watcher whose create is in flight, if any. */
  get creating(): Watcher | undefined {
    return this.inFlight;
  }

  /** Adds a `queued` watcher, keeping `seq` order. */
  add(watcher: Watcher): void {
    const waiting = this.waiting;
    waiting.push(watcher);
    if (waiting.length > 1 && waiting[waiting.length - 2]!.seq > watcher.seq) {
      waiting.sort((a, b) => a.seq - b.seq);
    }
  }

  /** Takes `watcher` out of the waiting line (a create already in flight for it stays in flight). */
  remove(watcher: Watcher): void {
    this.waiting = this.waiting.filter((w) => w !== watcher);
  }

  /**
   * The next waiting watcher still `queued`, now the create in flight; undefined while a create is in
   * flight or when none waits.
   */
  startNext(): Watcher | undefined {
    if (this.inFlight) return undefined;
    let next = this.waiting.shift();
    while (next && next.state !== 'queued') next = this.waiting.shift();
    this.inFlight = next;
    return next;
  }

  /** A created reply arrived, or the call carrying the create was lost: returns the watcher it was for. */
  settle(): Watcher | undefined {
    const watcher = this.inFlight;
    this.inFlight = undefined;
    return watcher;
  }

  /** Forgets every waiting watcher and the create in flight (close()). */
  clear(): void {
    this.waiting = [];
    this.inFlight = undefined;
  }
}
