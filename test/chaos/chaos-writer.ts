import type { EtcdClient, TxnOp } from '../../src/etcd/index.js';
import type { SeededRandom } from './seeded-random.js';

/** Pause between two operations: at most 20 a second, so the 2 cores stay usable. */
const PACE_MS = 50;
/** Leaf keys each prefix cycles through (`k0`…); with {@link DIR_KEYS} the most a prefix ever holds. */
const LEAF_KEYS = 8;
/** Keys one level down (`dir/d0`…), so that tree formats (yaml, json) have a nested map. */
const DIR_KEYS = 4;

/** One prefix the writer writes to; binary values only where the target can hold them (`files`). */
export interface WriterPrefix {
  prefix: string;
  binaryValues: boolean;
}

/** What the writer did. */
export interface WriterReport {
  /** Operations etcd confirmed. */
  ops: number;
  /** Operations that failed (a member down, no leader, a timeout): they may or may not have applied. */
  failures: number;
}

/** The keys of a prefix, relative to it. */
export function writerKeys(): string[] {
  return [
    ...Array.from({ length: LEAF_KEYS }, (_, i) => `k${i}`),
    ...Array.from({ length: DIR_KEYS }, (_, i) => `dir/d${i}`),
  ];
}

/** Initial content of every prefix: each key once. */
export function seedOps(prefixes: readonly WriterPrefix[]): TxnOp[][] {
  return prefixes.map((p) =>
    writerKeys().map((k): TxnOp => ({ type: 'put', key: `${p.prefix}${k}`, value: `seed-${k}` })),
  );
}

/**
 * A background writer: puts of fresh values, deletes, and txns across two or three prefixes, at a
 * bounded pace over a bounded key set, choices drawn from the run's seeded random source. It goes
 * through `client()`, asked again for every operation (the run hands out a member that is not under
 * a fault). A failed write is counted, not thrown: etcd is under faults, and the checker compares
 * with what etcd holds, not with what was sent. `pause()` resolves after the operation in flight.
 */
export class ChaosWriter {
  private running: Promise<void> | undefined;
  private isStopping = false;
  private wake: (() => void) | undefined;
  private readonly report: WriterReport = { ops: 0, failures: 0 };
  /** Makes every value unique across the run. */
  private counter = 0;

  constructor(
    private readonly client: () => EtcdClient,
    private readonly prefixes: readonly WriterPrefix[],
    private readonly random: SeededRandom,
  ) {}

  /** Operations confirmed so far. */
  get ops(): number {
    return this.report.ops;
  }

  /** A copy of the counts so far. */
  get counts(): WriterReport {
    return { ...this.report };
  }

  /** Starts (or resumes) writing in the background. No-op while running. */
  start(): void {
    if (this.running) return;
    this.isStopping = false;
    this.running = this.run();
  }

  /** Stops after the operation in flight; resolves once nothing is in flight. Idempotent. */
  async pause(): Promise<void> {
    this.isStopping = true;
    this.wake?.();
    const running = this.running;
    this.running = undefined;
    await running;
  }

  private async run(): Promise<void> {
    while (!this.isStopping) {
      try {
        await this.step();
        this.report.ops++;
      } catch {
        this.report.failures++;
      }
      if (this.isStopping) break;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, PACE_MS);
      });
    }
  }

  private freshValue(p: WriterPrefix): Buffer {
    const n = ++this.counter;
    // 0xff is never valid UTF-8: such a value lands in binaryData.
    if (p.binaryValues && n % 5 === 0)
      return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`b${n}`)]);
    return Buffer.from(`v${n}`);
  }

  private putOp(p: WriterPrefix): TxnOp {
    return { type: 'put', key: `${p.prefix}${this.random.pick(writerKeys())}`, value: this.freshValue(p) };
  }

  private async step(): Promise<void> {
    const kind = this.random.int(20);
    const p = this.random.pick(this.prefixes);
    const client = this.client();
    if (kind < 12) {
      const op = this.putOp(p) as { key: string; value: Buffer };
      await client.kv.put(op.key, op.value);
    } else if (kind < 16) {
      await client.kv.delete({ key: `${p.prefix}${this.random.pick(writerKeys())}` });
    } else {
      // One atomic revision across prefixes: a put in each, sometimes a delete beside it.
      const touched = this.random.shuffle(this.prefixes).slice(0, 2 + this.random.int(2));
      const success: TxnOp[] = [];
      for (const q of touched) {
        const put = this.putOp(q) as { key: string };
        success.push(put as TxnOp);
        const other = `${q.prefix}${this.random.pick(writerKeys())}`;
        if (this.random.int(3) === 0 && other !== put.key) success.push({ type: 'delete', key: other });
      }
      await client.kv.txn({ success });
    }
  }
}
