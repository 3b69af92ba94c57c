// What a prefix mirror holds, bounded: every key with its value while the values total at most
// `maxValueBytes`; past that the values are released and only the keys and their values' sizes are
// kept — enough to say how big the prefix is and which keys are the biggest, and to notice when it is
// back under the bound (then the prefix is read again whole, see loadPrefixContent). A consumer that
// could never use more than the bound (a ConfigMap holds at most 1 MiB) never holds more than that.
import type { KV } from './kv.js';
import { MirrorBudgetExceededError, type MirrorBudget } from './mirror-budget.js';
import type { KeyValue } from './types.js';

/**
 * Memory one key costs beyond its key and value bytes while its value is held: the Map entry and its
 * string key, the KeyValue object with its bigints, the Buffer objects. Measured on Node 20 (about 450
 * bytes for 100,000 keys of 30 bytes); an estimate, so that many small keys count for what they take.
 */
export const VALUE_ENTRY_OVERHEAD_BYTES = 448;
/** The same for a key whose value was released (its key and size only): about 250 bytes. */
export const SIZE_ENTRY_OVERHEAD_BYTES = 256;
/** How many of the biggest keys an over-bound summary names. */
export const LARGEST_KEYS_REPORTED = 10;

/** A key and the size of its value. */
export interface KeySize {
  key: Buffer;
  valueBytes: number;
}

/**
 * - `values`: every key with its value;
 * - `released`: the values went over the bound and were dropped; keys and sizes only. Terminal for this
 *   object: values come back only with a new read.
 */
export type ContentState = 'values' | 'released';

/** One key as held: its value (state `values`) or only the value's size (state `released`). */
interface HeldKey {
  /** The key's bytes; an own copy once released, so that it pins no response buffer. */
  key: Buffer;
  valueBytes: number;
  /** The whole KeyValue while values are held; undefined once released. */
  kv: KeyValue | undefined;
}

/** `latin1` maps bytes 1:1 to chars, so these strings sort exactly as the key bytes. */
export function mapKey(key: Buffer): string {
  return key.toString('latin1');
}

function byKey([a]: [string, HeldKey], [b]: [string, HeldKey]): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The keys (and, within the bound, the values) of one prefix. Changes only through put/delete; owns no
 * I/O. Its `heldBytes` is what it takes from a budget.
 */
export class PrefixContent {
  private state: ContentState = 'values';
  /** Every key by mapKey(key). */
  private readonly held = new Map<string, HeldKey>();
  /** Sum of the value sizes of every key (held or released). */
  private valueTotal = 0;
  /** Sum of the key sizes. */
  private keyTotal = 0;

  /** `maxValueBytes`: the most value bytes held; Infinity for no bound. */
  constructor(readonly maxValueBytes: number) {
    if (!(maxValueBytes >= 0)) throw new RangeError('maxValueBytes must be 0 or more');
  }

  /** True once the values went over the bound and were released. */
  get isReleased(): boolean {
    return this.state === 'released';
  }

  /** True while the values total more than the bound (whether or not they are still held). */
  get isOverBound(): boolean {
    return this.valueTotal > this.maxValueBytes;
  }

  /** The values' total size, held or not. */
  get valueBytes(): number {
    return this.valueTotal;
  }

  get keyCount(): number {
    return this.held.size;
  }

  /** An estimate of the memory held: keys, values while held, and a per-key overhead. */
  get heldBytes(): number {
    return this.state === 'values'
      ? this.keyTotal + this.valueTotal + this.held.size * VALUE_ENTRY_OVERHEAD_BYTES
      : this.keyTotal + this.held.size * SIZE_ENTRY_OVERHEAD_BYTES;
  }

  /** Sets `kv`; releases every value when that takes the values over the bound. */
  put(kv: KeyValue): void {
    const k = mapKey(kv.key);
    const before = this.held.get(k);
    if (before) this.valueTotal -= before.valueBytes;
    else this.keyTotal += kv.key.length;
    this.valueTotal += kv.value.length;
    if (this.state === 'values') {
      this.held.set(k, { key: kv.key, valueBytes: kv.value.length, kv });
      if (this.isOverBound) this.release();
    } else {
      this.held.set(k, {
        key: before?.key ?? Buffer.from(kv.key),
        valueBytes: kv.value.length,
        kv: undefined,
      });
    }
  }

  /** Removes `key` if present. */
  delete(key: Buffer): void {
    const k = mapKey(key);
    const before = this.held.get(k);
    if (!before) return;
    this.held.delete(k);
    this.valueTotal -= before.valueBytes;
    this.keyTotal -= before.key.length;
  }

  /** The one transition: the values go, the keys stay (copied, so no response buffer stays pinned). */
  private release(): void {
    this.state = 'released';
    for (const held of this.held.values()) {
      held.kv = undefined;
      held.key = Buffer.from(held.key);
    }
  }

  /** Every key with its value, sorted by key. Throws if the values were released (see isReleased). */
  entries(): KeyValue[] {
    if (this.state === 'released') throw new Error('the values of this prefix were released');
    return [...this.held.entries()].sort(byKey).map(([, held]) => held.kv as KeyValue);
  }

  /** The `count` biggest values' keys and sizes, biggest first (equal sizes by key). */
  largest(count = LARGEST_KEYS_REPORTED): KeySize[] {
    return [...this.held.entries()]
      .sort((a, b) => b[1].valueBytes - a[1].valueBytes || byKey(a, b))
      .slice(0, count)
      .map(([, held]) => ({ key: held.key, valueBytes: held.valueBytes }));
  }
}

/** Options of {@link loadPrefixContent}. */
export interface LoadPrefixContentOptions {
  /** Read at this revision (a pinned read); default the current one. */
  revision?: bigint;
  /** See {@link PrefixContent}. */
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

/** A prefix as read: its content at `revision`, of which `chargedBytes` are taken from the budget. */
export interface LoadedPrefixContent {
  revision: bigint;
  content: PrefixContent;
  /** Equal to content.heldBytes; given back by whoever drops the content. */
  chargedBytes: number;
}

/**
 * Reads `prefix` page by page at one revision (KV.pages: pages sized by bytes, each with its own
 * deadline, started over on a compaction) into a PrefixContent, holding at most the bound of values
 * plus the page in hand: past the bound, each page's values are dropped as it arrives. The budget is
 * charged page by page. On any failure everything taken is given back before the error is thrown.
 */
export async function loadPrefixContent(
  kv: KV,
  prefix: Buffer,
  options: LoadPrefixContentOptions,
): Promise<LoadedPrefixContent> {
  const budget = options.budget?.budget;
  let content = new PrefixContent(options.maxValueBytes);
  let charged = 0;
  let revision = options.revision ?? 0n;
  try {
    for await (const message of kv.pages({
      prefix,
      ...(options.revision !== undefined ? { revision: options.revision } : {}),
      ...(options.pageSize !== undefined ? { pageSize: options.pageSize } : {}),
      ...(options.pageTimeoutMs !== undefined ? { pageTimeoutMs: options.pageTimeoutMs } : {}),
    })) {
      options.signal?.throwIfAborted();
      if (message.type === 'restart') {
        content = new PrefixContent(options.maxValueBytes);
        budget?.give(charged);
        charged = 0;
        continue;
      }
      revision = message.revision;
      for (const kvs of message.kvs) content.put(kvs);
      const delta = content.heldBytes - charged;
      if (budget && delta > 0) {
        if (options.budget?.mode === 'admit') {
          if (!budget.tryTake(delta))
            throw new MirrorBudgetExceededError(prefix.toString('utf8'), charged + delta);
        } else {
          budget.take(delta);
        }
      } else if (budget && delta < 0) {
        budget.give(-delta);
      }
      charged += delta;
    }
  } catch (err) {
    budget?.give(charged);
    throw err;
  }
  return { revision, content, chargedBytes: charged };
}
