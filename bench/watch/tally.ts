import { nowMs, timestampOf, type ConsumerResult } from './protocol.js';

/**
 * Counts what a consumer delivers, cheaply enough not to dominate the client under test: events must
 * arrive in revision order (all clients promise it), so a duplicate is an event at an older revision
 * than the last one, or one more event at a revision than the writer put there.
 *
 * Revisions are plain numbers here on purpose: this is a hot per-event path in a fresh test etcd whose
 * revisions stay far below 2^53, and every client hands them over differently (bigint, string, number).
 */
export class Tally {
  private received = 0;
  private duplicates = 0;
  private lastRevision = 0;
  private countAtLastRevision = 0;
  private expected = Number.POSITIVE_INFINITY;
  private readonly startedAt = nowMs();
  private firstAt = 0;
  private lastAt = 0;
  private readonly latencies: number[] = [];
  private readonly receipts = { revisions: [] as number[], receivedAt: [] as number[] };
  /** CPU at the moment the expected count was reached, µs; undefined until then. */
  private cpuAtReached: number | undefined;
  private hasReached = false;
  reconnects = 0;
  /** Whether the client reports etcd's revision when it re-creates its watch (etcdctl never does). */
  private isRecreationReported = false;
  /** Of those, how many found etcd ahead of the last event this consumer had (see {@link recreated}). */
  private recreatedBehind = 0;
  error: string | undefined;

  constructor(
    private readonly eventsPerRevision: number,
    private readonly isLatencyTracked: boolean,
    /** Reads the CPU used so far by whatever does the watching, µs. */
    private readonly cpuMicros: () => number,
    private readonly startCpu: number,
    private readonly onFirst: () => void,
    private readonly onReached: () => void,
  ) {}

  /** Records one event; `value` is only read when latency is tracked. */
  event(revision: number, value: () => Buffer): void {
    const now = nowMs();
    if (this.received++ === 0) {
      this.firstAt = now;
      this.onFirst();
    }
    if (revision < this.lastRevision) {
      this.duplicates++;
    } else if (revision === this.lastRevision) {
      if (++this.countAtLastRevision > this.eventsPerRevision) this.duplicates++;
    } else {
      this.lastRevision = revision;
      this.countAtLastRevision = 1;
    }
    this.lastAt = now;
    if (this.isLatencyTracked) {
      const written = timestampOf(value());
      if (written !== undefined) this.latencies.push(now - written);
      this.receipts.revisions.push(revision);
      this.receipts.receivedAt.push(now);
    }
    this.checkReached();
  }

  /**
   * The client re-created its watch after a lost stream, and etcd's revision was then `etcdRevision`.
   * Above the last event delivered, writes had landed before the watch was back: etcd registered it
   * "unsynced" and replays what it missed from its sync loop, which runs every 100 ms (mvcc's
   * watchable store), so those events wait up to that long whichever client asked.
   */
  recreated(etcdRevision: number): void {
    this.reconnects++;
    this.isRecreationReported = true;
    if (etcdRevision > this.lastRevision) this.recreatedBehind++;
  }

  /** Sets the number of distinct events that completes the watch. */
  expect(events: number): void {
    this.expected = events;
    this.checkReached();
  }

  private checkReached(): void {
    if (this.hasReached || this.received - this.duplicates < this.expected) return;
    this.hasReached = true;
    this.cpuAtReached = this.cpuMicros();
    this.onReached();
  }

  result(): ConsumerResult {
    return {
      received: this.received,
      duplicates: this.duplicates,
      startedAt: this.startedAt,
      firstAt: this.firstAt,
      lastAt: this.lastAt,
      cpuMicros: (this.cpuAtReached ?? this.cpuMicros()) - this.startCpu,
      latenciesMs: this.latencies.sort((a, b) => a - b),
      receipts: this.receipts,
      reconnects: this.reconnects,
      ...(this.isRecreationReported ? { recreatedBehind: this.recreatedBehind } : {}),
      ...(this.error === undefined ? {} : { error: this.error }),
    };
  }
}
