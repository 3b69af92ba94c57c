import type { EtcdClient, TxnOp } from '../../../src/etcd/index.js';

/** Keys each prefix holds before the burst; only these are ever deleted on their own. */
export const INITIAL_KEYS = 60;
/** Keys that puts overwrite again and again. */
const HOT_KEYS = 5;
/** Pause between two operations: a load generator's pace (not synchronisation), so the 2 cores stay usable. */
const PACE_MS = 15;

/** One prefix the burst writes to, and whether its values may be binary (only a `files` target can hold them). */
export interface BurstPrefix {
  prefix: string;
  binaryValues: boolean;
}

/** What the burst did, per prefix and in total. */
export interface BurstReport {
  /** Operations sent (puts, deletes, txns). */
  ops: number;
  txns: number;
  deletes: number;
  /** The etcd revision of the last operation that changed each prefix. */
  lastRevision: Map<string, bigint>;
}

/**
 * Writes the initial content of each prefix: `init/iNN` keys (deleted one by one during the burst,
 * never re-created) and `hot/hN` keys. Returns the revision of the last write.
 */
export async function seedPrefixes(client: EtcdClient, prefixes: readonly BurstPrefix[]): Promise<bigint> {
  let revision = 0n;
  for (const p of prefixes) {
    const success: TxnOp[] = [];
    for (let i = 0; i < INITIAL_KEYS; i++) {
      success.push({
        type: 'put',
        key: `${p.prefix}init/i${String(i).padStart(2, '0')}`,
        value: `seed-${i}`,
      });
    }
    for (let i = 0; i < HOT_KEYS; i++)
      success.push({ type: 'put', key: `${p.prefix}hot/h${i}`, value: 'seed' });
    revision = (await client.kv.txn({ success })).revision;
  }
  return revision;
}

/**
 * A burst of puts, deletes and cross-prefix txns that never returns a prefix to content it held
 * before — so that a content hash seen twice in a workload's rollout history can only mean a double
 * rollout, not a legitimately repeated state. Why it holds: every put writes a value never written
 * before (so the new content contains a value no earlier content had), and a lone delete removes an
 * `init/` key, which every earlier content contained and nothing re-creates. A txn does one of those
 * per prefix it touches (its deletes of `hot/` keys ride along with a fresh put in the same prefix).
 *
 * `start()` begins sending; `stop()` ends after the operation in flight and resolves with the report
 * so far; `start()` again carries on with the same state (values stay unique across pauses).
 */
export class ChangeBurst {
  private running: Promise<void> | undefined;
  private stopped = true;
  private wake: (() => void) | undefined;
  private readonly report: BurstReport = { ops: 0, txns: 0, deletes: 0, lastRevision: new Map() };
  /** `init/` keys not yet deleted, per prefix. */
  private readonly remainingInit = new Map<string, string[]>();
  private counter = 0;
  /** Deterministic pseudo-random choices (the same sequence of operation kinds every run). */
  private seed = 0x2f6b_1a3d;

  constructor(
    private readonly client: EtcdClient,
    private readonly prefixes: readonly BurstPrefix[],
  ) {
    for (const p of prefixes) {
      this.remainingInit.set(
        p.prefix,
        Array.from({ length: INITIAL_KEYS }, (_, i) => `${p.prefix}init/i${String(i).padStart(2, '0')}`),
      );
    }
  }

  /** Operations sent so far. */
  get ops(): number {
    return this.report.ops;
  }

  /** Starts (or resumes) sending operations in the background. A failed write is reported by stop(). */
  start(): void {
    if (this.running) return;
    this.stopped = false;
    this.running = this.run();
    // Surfaced by stop(); a rejection nobody awaited yet must not crash mocha first.
    this.running.catch(() => undefined);
  }

  /** Ends the burst after the operation in flight; resolves with the report so far. Idempotent. */
  async stop(): Promise<BurstReport> {
    this.stopped = true;
    this.wake?.();
    const running = this.running;
    this.running = undefined;
    await running;
    return { ...this.report, lastRevision: new Map(this.report.lastRevision) };
  }

  private random(n: number): number {
    // xorshift32: reproducible, good enough to pick operation kinds.
    this.seed ^= this.seed << 13;
    this.seed ^= this.seed >>> 17;
    this.seed ^= this.seed << 5;
    return (this.seed >>> 0) % n;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      await this.step();
      if (this.stopped) break;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, PACE_MS);
      });
    }
  }

  private freshValue(p: BurstPrefix): Buffer {
    const n = ++this.counter;
    // Binary values are not valid UTF-8 (0xff never is), so they land in binaryData.
    if (p.binaryValues && n % 4 === 0)
      return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`b${n}`)]);
    return Buffer.from(`v${n}`);
  }

  /** A put of a fresh value: to a hot key, or to a brand-new key. */
  private putOp(p: BurstPrefix): TxnOp {
    const key =
      this.random(3) === 0
        ? `${p.prefix}new/n${this.counter + 1}`
        : `${p.prefix}hot/h${this.random(HOT_KEYS)}`;
    return { type: 'put', key, value: this.freshValue(p) };
  }

  /** Deletes one remaining `init/` key, or undefined when none is left. */
  private deleteInitOp(p: BurstPrefix): TxnOp | undefined {
    const left = this.remainingInit.get(p.prefix) ?? [];
    const key = left.splice(this.random(Math.max(left.length, 1)), 1)[0];
    return key === undefined ? undefined : { type: 'delete', key };
  }

  private async step(): Promise<void> {
    const kind = this.random(10);
    const p = this.prefixes[this.random(this.prefixes.length)]!;
    let revision: bigint;
    let touched: readonly BurstPrefix[] = [p];
    if (kind < 5) {
      const op = this.putOp(p) as { key: string; value: Buffer };
      revision = (await this.client.kv.put(op.key, op.value)).revision;
    } else if (kind < 7) {
      const op = this.deleteInitOp(p) as { key: string } | undefined;
      if (op) {
        revision = (await this.client.kv.delete({ key: op.key })).revision;
        this.report.deletes++;
      } else {
        const put = this.putOp(p) as { key: string; value: Buffer };
        revision = (await this.client.kv.put(put.key, put.value)).revision;
      }
    } else {
      // One atomic revision across two or more prefixes: per prefix a fresh put, and sometimes the
      // delete of a hot key or of an init key beside it.
      touched = this.prefixes.filter((q) => q === p || this.random(2) === 0);
      if (touched.length < 2) touched = this.prefixes.slice(0, 2);
      const success: TxnOp[] = [];
      for (const q of touched) {
        const put = this.putOp(q);
        success.push(put);
        const extra = this.random(3);
        const hot = `${q.prefix}hot/h${this.random(HOT_KEYS)}`;
        if (extra === 0 && hot !== (put as { key: string }).key) success.push({ type: 'delete', key: hot });
        if (extra === 1) {
          const del = this.deleteInitOp(q);
          if (del) success.push(del);
        }
      }
      revision = (await this.client.kv.txn({ success })).revision;
      this.report.txns++;
    }
    this.report.ops++;
    for (const q of touched) this.report.lastRevision.set(q.prefix, revision);
  }
}
