// What a prefix mirror holds, bounded: every key with its value while the values total at most
// `maxValueBytes`; past that, a summary only — how many keys, how many bytes were measured, the biggest
// keys — enough to say how big the prefix is and which keys are the biggest, in constant memory. A
// consumer that could never use more than the bound (a ConfigMap holds at most 1 MiB) never holds more
// than that (plus the page or watch response in hand).
//
// Nor does it read much more: a read stops taking values once they are past the bound and only counts
// the remaining keys. Reading all of a 50 MB prefix just to measure it costs far more than it would
// hold: the dead response buffers pile up until V8 collects them, tens of MiB for each such read.
import { CompactedError } from './errors.js';
import { prefixRangeEnd, retained } from './keys.js';
import type { KV } from './kv.js';
import { MirrorBudgetExceededError, type MirrorBudget } from './mirror-budget.js';
import { MAX_RANGE_RESTARTS } from './range-pages.js';
import type { KeyValue } from './types.js';

/**
 * Memory one key costs beyond its key and value bytes while its value is held: the Map entry and its
 * string key, the KeyValue object with its bigints, the Buffer objects. Measured on Node 20 (about 450
 * bytes for 100,000 keys of 30 bytes); an estimate, so that many small keys count for what they take.
 */
export const VALUE_ENTRY_OVERHEAD_BYTES = 448;
/** Memory an over-bound summary costs beyond the bytes of the keys it names: an estimate. */
export const SUMMARY_OVERHEAD_BYTES = 1024;
/** How many of the biggest keys an over-bound summary names. */
export const LARGEST_KEYS_REPORTED = 10;

/** A key and the size of its value. */
export interface KeySize {
  key: Buffer;
  valueBytes: number;
}

/** What is known of a prefix whose values are over the bound, as of one read (or a watch batch). */
export interface OverBoundSummary {
  keyCount: number;
  /** How many keys' values were read before the read stopped (all of them: `keyCount`). */
  measuredKeyCount: number;
  /** The measured values' total size: the prefix's when every key was measured, else a lower bound. */
  valueBytes: number;
  /** The biggest measured values' keys (own copies) and sizes, biggest first. */
  largest: KeySize[];
}

/** Memory a summary takes, as charged to a budget. */
export function summaryBytes(summary: OverBoundSummary): number {
  let n = SUMMARY_OVERHEAD_BYTES;
  for (const k of summary.largest) n += k.key.length;
  return n;
}

/** `latin1` maps bytes 1:1 to chars, so these strings sort exactly as the key bytes. */
export function mapKey(key: Buffer): string {
  return key.toString('latin1');
}

function byKey([a]: [string, KeyValue], [b]: [string, KeyValue]): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The keys and values of one prefix, with their totals. Changes only through put/delete; owns no I/O.
 * It does not refuse to grow past `maxValueBytes`: its owner asks `isOverBound` after a page or a watch
 * batch and replaces it by its summary().
 */
export class PrefixContent {
  /** Every key by mapKey(key). */
  private readonly held = new Map<string, KeyValue>();
  /** Sum of the value sizes. */
  private valueTotal = 0;
  /** Sum of the key sizes. */
  private keyTotal = 0;

  /** `maxValueBytes`: the most value bytes to hold; Infinity for no bound. */
  constructor(readonly maxValueBytes: number) {
    if (!(maxValueBytes >= 0)) throw new RangeError('maxValueBytes must be 0 or more');
  }

  /** True while the values total more than the bound (a total equal to it is within it). */
  get isOverBound(): boolean {
    return this.valueTotal > this.maxValueBytes;
  }

  get valueBytes(): number {
    return this.valueTotal;
  }

  get keyCount(): number {
    return this.held.size;
  }

  /** An estimate of the memory held: keys, values and a per-key overhead. */
  get heldBytes(): number {
    return this.keyTotal + this.valueTotal + this.held.size * VALUE_ENTRY_OVERHEAD_BYTES;
  }

  /** Sets `kv` (its key and value copied out of the message they came in, see `retained`). */
  put(kv: KeyValue): void {
    const k = mapKey(kv.key);
    const before = this.held.get(k);
    if (before) this.valueTotal -= before.value.length;
    else this.keyTotal += kv.key.length;
    this.valueTotal += kv.value.length;
    this.held.set(k, { ...kv, key: retained(kv.key), value: retained(kv.value) });
  }

  /** Removes `key` if present. */
  delete(key: Buffer): void {
    const k = mapKey(key);
    const before = this.held.get(k);
    if (!before) return;
    this.held.delete(k);
    this.valueTotal -= before.value.length;
    this.keyTotal -= before.key.length;
  }

  /** Every key with its value, sorted by key. */
  entries(): KeyValue[] {
    return [...this.held.entries()].sort(byKey).map(([, kv]) => kv);
  }

  /** What a summary keeps of this content: every key measured; the biggest keys copied. */
  summary(): OverBoundSummary {
    return {
      keyCount: this.held.size,
      measuredKeyCount: this.held.size,
      valueBytes: this.valueTotal,
      largest: this.largest(),
    };
  }

  /** The `count` biggest values' keys (own copies) and sizes, biggest first (equal sizes by key). */
  largest(count = LARGEST_KEYS_REPORTED): KeySize[] {
    return [...this.held.entries()]
      .sort((a, b) => b[1].value.length - a[1].value.length || byKey(a, b))
      .slice(0, count)
      .map(([, kv]) => ({ key: Buffer.from(kv.key), valueBytes: kv.value.length }));
  }
}

/** Options of {@link loadPrefixContent}. */
export interface LoadPrefixContentOptions {
  /** Read at this revision (a pinned read); default the current one. */
  revision?: bigint;
  /** The most value bytes to hold; past it the read stops taking values. */
  maxValueBytes: number;
  /** Most keys per page (KV.pages). */
  pageSize?: number;
  /** Deadline of each page's request (KV.pages). */
  pageTimeoutMs?: number;
  /**
   * Where the held bytes are taken from, page by page, and how: `admit` takes only what fits (a new
   * mirror: refused with MirrorBudgetExceededError), `force` takes whatever it holds (an admitted
   * mirror reading its prefix again). Default: no budget.
   */
  budget?: { budget: MirrorBudget; mode: 'admit' | 'force' };
  /** Stops the read between pages (throws the signal's reason). */
  signal?: AbortSignal;
}

/**
 * A prefix as read at `revision`: every key with its value, or — past the bound — its summary; of which
 * `chargedBytes` are taken from the budget (given back by whoever drops it).
 */
export type LoadedPrefixContent = { revision: bigint; chargedBytes: number } & (
  { kind: 'values'; content: PrefixContent } | { kind: 'overBound'; summary: OverBoundSummary }
);

/**
 * Reads `prefix` page by page at one revision (KV.pages: pages sized by bytes, each with its own
 * deadline), holding at most the bound of values plus the page in hand. Once the values are past the
 * bound it stops reading them: the rest of the prefix, at the same revision, is only counted. The
 * budget is charged page by page. A compaction of that revision before the read ends starts it over at
 * the current revision (at most MAX_RANGE_RESTARTS times; a requested revision is not read again). On
 * any failure everything taken is given back before the error is thrown.
 */
export async function loadPrefixContent(
  kv: KV,
  prefix: Buffer,
  options: LoadPrefixContentOptions,
): Promise<LoadedPrefixContent> {
  const charge = new Charge(options.budget);
  try {
    for (let restarts = 0; ; restarts++) {
      try {
        return await readOnce(kv, prefix, options, charge);
      } catch (err) {
        const isRestartable = err instanceof CompactedError && options.revision === undefined;
        if (!isRestartable || restarts >= MAX_RANGE_RESTARTS) throw err;
        charge.giveAll();
      }
    }
  } catch (err) {
    charge.giveAll();
    throw err;
  }
}

/** What one read has taken from a budget, and how it takes more. */
class Charge {
  /** Bytes taken and not given back. */
  taken = 0;

  constructor(private readonly budget: LoadPrefixContentOptions['budget']) {}

  /** Brings what is taken to `bytes`: refused (MirrorBudgetExceededError) only in `admit` mode. */
  settle(bytes: number, prefix: Buffer): void {
    const delta = bytes - this.taken;
    const budget = this.budget?.budget;
    if (budget && delta < 0) budget.give(-delta);
    else if (budget && delta > 0 && this.budget?.mode === 'force') budget.take(delta);
    else if (budget && delta > 0 && !budget.tryTake(delta)) {
      throw new MirrorBudgetExceededError(prefix.toString('utf8'), bytes);
    }
    this.taken = bytes;
  }

  giveAll(): void {
    this.budget?.budget.give(this.taken);
    this.taken = 0;
  }
}

/** One attempt of loadPrefixContent; a CompactedError means: start over. */
async function readOnce(
  kv: KV,
  prefix: Buffer,
  options: LoadPrefixContentOptions,
  charge: Charge,
): Promise<LoadedPrefixContent> {
  const content = new PrefixContent(options.maxValueBytes);
  let revision = options.revision ?? 0n;
  let rest: Buffer | undefined;
  for await (const message of kv.pages({
    prefix,
    ...(options.revision !== undefined ? { revision: options.revision } : {}),
    ...(options.pageSize !== undefined ? { pageSize: options.pageSize } : {}),
    ...(options.pageTimeoutMs !== undefined ? { pageTimeoutMs: options.pageTimeoutMs } : {}),
  })) {
    options.signal?.throwIfAborted();
    if (message.type === 'restart') {
      throw new CompactedError(`revision ${message.revision} was compacted while the prefix was read`, 0n);
    }
    revision = message.revision;
    for (const entry of message.kvs) content.put(entry);
    const last = message.kvs[message.kvs.length - 1];
    if (content.isOverBound) {
      if (!message.isLast && last) rest = Buffer.concat([last.key, Buffer.from([0])]);
      break;
    }
    charge.settle(content.heldBytes, prefix);
  }
  if (!content.isOverBound) return { kind: 'values', revision, content, chargedBytes: charge.taken };
  // Past the bound: the values go; the rest of the prefix, at the same revision, is only counted.
  const summary = content.summary();
  if (rest !== undefined) {
    const counted = await kv.count({ key: rest, rangeEnd: prefixRangeEnd(prefix) }, { revision });
    summary.keyCount += counted;
  }
  charge.settle(summaryBytes(summary), prefix);
  return { kind: 'overBound', revision, summary, chargedBytes: charge.taken };
}
