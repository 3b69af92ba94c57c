// The work queue's delayed adds: keys due at a time, the earliest per key, behind one timer. A timer per
// key cost ~0.5 KiB each (a Timeout, two closures, and a timer list per distinct delay — with the
// resync's jitter every delay is distinct) and every PrefixSync has one pending: its next resync.
import type { Clock } from '../base/index.js';

/**
 * Keys due at a time (ms on `clock`); `onDue(key)` is called once a key's time has come, in time order.
 * A key keeps only its earliest pending time. One timer is armed, for the earliest key.
 */
export class DelayedKeys {
  /** key → the time it is due: the one pending time per key. */
  private readonly dueAt = new Map<string, number>();
  /** Min-heap of [time, key], by time; entries whose time no longer matches `dueAt` are stale. */
  private readonly heap: [number, string][] = [];
  /** The armed timer: when it fires, and how to cancel it. */
  private timer: { at: number; cancel: () => void } | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly onDue: (key: string) => void,
  ) {}

  /** Keys waiting for their time. */
  get size(): number {
    return this.dueAt.size;
  }

  /** The time `key` is due, if it is waiting. */
  dueTime(key: string): number | undefined {
    return this.dueAt.get(key);
  }

  /** Makes `key` due at `at`, unless it is already due earlier. */
  add(key: string, at: number): void {
    const existing = this.dueAt.get(key);
    if (existing !== undefined && existing <= at) return;
    this.dueAt.set(key, at);
    this.push([at, key]);
    this.arm();
  }

  /** Forgets every key and disarms the timer. */
  clear(): void {
    this.dueAt.clear();
    this.heap.length = 0;
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** Hands out every key whose time has come, then arms the timer for the next one. */
  private fire(): void {
    this.timer = undefined;
    const now = this.clock.now();
    while (this.heap.length > 0 && this.heap[0]![0] <= now) {
      const [at, key] = this.pop()!;
      if (this.dueAt.get(key) !== at) continue; // stale: re-added earlier, or cleared
      this.dueAt.delete(key);
      this.onDue(key);
    }
    this.arm();
  }

  /** Arms (or re-arms, earlier) the timer for the earliest live entry. */
  private arm(): void {
    while (this.heap.length > 0 && this.dueAt.get(this.heap[0]![1]) !== this.heap[0]![0]) this.pop();
    const next = this.heap[0]?.[0];
    if (next === undefined || (this.timer && this.timer.at <= next)) return;
    this.timer?.cancel();
    const cancel = this.clock.setTimer(() => this.fire(), next - this.clock.now());
    this.timer = { at: next, cancel };
  }

  private push(entry: [number, string]): void {
    const heap = this.heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]![0] <= entry[0]) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = entry;
  }

  private pop(): [number, string] | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && heap[right]![0] < heap[left]![0] ? right : left;
      if (heap[child]![0] >= last[0]) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = last;
    return top;
  }
}
