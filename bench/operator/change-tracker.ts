// The steady phase's bookkeeping: which changes were made to which prefix and when, and which a
// ConfigMap watch has shown since. Pure (times are passed in), so it is unit-tested.
import { quantile } from '../watch/stats.js';

/** What became of the changes made so far. */
export interface ChangeSummary {
  made: number;
  /** Changes whose value, or a later change to the same prefix, a ConfigMap showed. */
  seen: number;
  /** Of `seen`: changes overtaken by a later one to the same prefix before the ConfigMap showed them. */
  superseded: number;
  /** made − seen. */
  missing: number;
  /** Change made → ConfigMap seen, ms: p50, p99, max over `seen`. */
  p50: number;
  p99: number;
  max: number;
  /** When the last change was seen (ms, the clock of `seen`'s `at`); NaN when none was. */
  lastSeenAt: number;
}

/**
 * Tracks changes numbered by a sequence that only grows. A ConfigMap showing change `seq` of a prefix
 * also accounts for every earlier change to that prefix: their values were overwritten (the key is
 * the same), and the ConfigMap holds the newer state; those count as seen and `superseded`.
 */
export class ChangeTracker {
  /** Prefix → its changes not seen yet, oldest first, with the time each was made. */
  private readonly pending = new Map<string, { seq: number; madeAt: number }[]>();
  private readonly latencies: number[] = [];
  private made = 0;
  private superseded = 0;
  private lastSeenAt = Number.NaN;
  /** Where the window of sinceLastWindow() starts in `latencies`. */
  private windowStart = 0;

  /** Records change `seq` to `prefix`, made at `at` (ms). */
  make(prefix: string, seq: number, at: number): void {
    this.made++;
    const list = this.pending.get(prefix);
    if (list) list.push({ seq, madeAt: at });
    else this.pending.set(prefix, [{ seq, madeAt: at }]);
  }

  /** A ConfigMap of `prefix` was seen at `at` holding change `seq`; a repeat or an older one is ignored. */
  seen(prefix: string, seq: number, at: number): void {
    const list = this.pending.get(prefix);
    if (!list) return;
    let n = 0;
    while (n < list.length && list[n]!.seq <= seq) {
      const change = list[n]!;
      this.latencies.push(at - change.madeAt);
      if (change.seq < seq) this.superseded++;
      n++;
    }
    if (n > 0) this.lastSeenAt = at;
    if (n === list.length) this.pending.delete(prefix);
    else list.splice(0, n);
  }

  /**
   * The changes seen since the previous call (from the first call: all): how many, their p99 and max
   * latency. A soak samples it every 10 s, so a slow spell shows when it happened.
   */
  sinceLastWindow(): { seen: number; p99: number; max: number } {
    const window = this.latencies.slice(this.windowStart).sort((a, b) => a - b);
    this.windowStart = this.latencies.length;
    return { seen: window.length, p99: quantile(window, 0.99), max: window[window.length - 1] ?? Number.NaN };
  }

  /** Changes made and not seen yet. */
  get outstanding(): number {
    return this.made - this.latencies.length;
  }

  summary(): ChangeSummary {
    const sorted = [...this.latencies].sort((a, b) => a - b);
    return {
      made: this.made,
      seen: sorted.length,
      superseded: this.superseded,
      missing: this.made - sorted.length,
      p50: quantile(sorted, 0.5),
      p99: quantile(sorted, 0.99),
      max: sorted[sorted.length - 1] ?? Number.NaN,
      lastSeenAt: this.lastSeenAt,
    };
  }
}
