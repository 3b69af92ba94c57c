// The protobuf wire-format cursor of the watch decoders (watch-response-decoder.ts, raw-events.ts):
// varints read as numbers while they fit in 49 bits, embedded messages read by narrowing the cursor
// rather than by a reader object of their own, and a cache of the int64s that a catch-up repeats.
/** The one empty Buffer handed out for an absent or empty bytes field. */
export const EMPTY = Buffer.alloc(0);

/**
 * A catch-up decodes four int64s per event, and most repeat: every event of a txn shares its mod
 * revision, a key's create revision recurs, versions and leases are small. bigints are immutable, so
 * a decoded one is reused from this direct-mapped cache (slot = value mod size) instead of allocated:
 * at a hundred thousand events a response, fewer objects mean much less garbage collection.
 */
const INT64_CACHE_SIZE = 4096;
const cachedNumbers = new Float64Array(INT64_CACHE_SIZE).fill(-1);
const cachedBigints: bigint[] = new Array<bigint>(INT64_CACHE_SIZE).fill(0n);

/** `v` (a non-negative safe integer) as a bigint, from the cache when it is there. */
export function bigintOf(v: number): bigint {
  const slot = v % INT64_CACHE_SIZE;
  if (cachedNumbers[slot] === v) return cachedBigints[slot]!;
  const big = BigInt(v);
  cachedNumbers[slot] = v;
  cachedBigints[slot] = big;
  return big;
}
/** Below this many bytes a JS loop copies faster than a native Buffer.copy call. */
const COPY_LOOP_MAX = 32;

/**
 * A cursor over one protobuf-encoded buffer. Throws RangeError on truncated input. An embedded
 * message is read by narrowing `end` ({@link enter}/{@link leave}) rather than by a reader of its
 * own: a catch-up has three per event, and each object is garbage to collect.
 */
export class Reader {
  pos: number;
  constructor(
    readonly buf: Buffer,
    start: number,
    public end: number,
  ) {
    this.pos = start;
  }

  /** A varint as a number when it fits in 49 bits (every realistic revision), else as a bigint. */
  varint(): number | bigint {
    let result = 0;
    let multiplier = 1;
    for (let i = 0; i < 7; i++) {
      const b = this.byte();
      result += (b & 0x7f) * multiplier;
      if (b < 0x80) return result;
      multiplier *= 128;
    }
    // More than 49 bits (large or negative int64): finish in bigint.
    let big = BigInt(result);
    let shift = 49n;
    for (let i = 7; i < 10; i++) {
      const b = this.byte();
      big |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return big;
      shift += 7n;
    }
    throw new RangeError('varint longer than 10 bytes');
  }

  /** A uint64 field as a decimal string (as proto-loader gives it with `longs: String`). */
  uint64(): string {
    const v = this.varint();
    return typeof v === 'number' ? String(v) : BigInt.asUintN(64, v).toString();
  }

  /** An int64 field as bigint (two's complement for negatives). */
  int64(): bigint {
    const v = this.varint();
    return typeof v === 'number' ? bigintOf(v) : BigInt.asIntN(64, v);
  }

  bool(): boolean {
    return this.varint() !== 0;
  }

  /** Length of a length-delimited field, checked against the end. */
  length(): number {
    const n = this.varint();
    if (typeof n !== 'number' || this.pos + n > this.end)
      throw new RangeError('length-delimited field overruns');
    return n;
  }

  /**
   * Bytes, copied: a view would keep the whole response buffer alive for as long as anyone (a mirror,
   * say) holds one value from it.
   */
  bytes(): Buffer {
    const n = this.length();
    if (n === 0) return EMPTY;
    const out = Buffer.allocUnsafe(n);
    if (n <= COPY_LOOP_MAX) {
      const buf = this.buf;
      for (let i = 0, p = this.pos; i < n; i++) out[i] = buf[p++]!;
    } else {
      this.buf.copy(out, 0, this.pos, this.pos + n);
    }
    this.pos += n;
    return out;
  }

  /** Skips a length-delimited field without copying it; returns where its bytes start (they end at `pos`). */
  span(): number {
    const n = this.length();
    const start = this.pos;
    this.pos += n;
    return start;
  }

  string(): string {
    const n = this.length();
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  /** Narrows the reader to the embedded message that starts here; returns the end to {@link leave} with. */
  enter(): number {
    const n = this.length();
    const outer = this.end;
    this.end = this.pos + n;
    return outer;
  }

  /** Back from an embedded message (read to its end, as every decoder here does) to `outer`. */
  leave(outer: number): void {
    this.end = outer;
  }

  skip(wireType: number): void {
    switch (wireType) {
      case 0:
        this.varint();
        return;
      case 1:
        this.advance(8);
        return;
      case 2:
        this.advance(this.length());
        return;
      case 5:
        this.advance(4);
        return;
      default:
        throw new RangeError(`unsupported wire type ${wireType}`);
    }
  }

  private advance(n: number): void {
    if (this.pos + n > this.end) throw new RangeError('field overruns');
    this.pos += n;
  }

  private byte(): number {
    if (this.pos >= this.end) throw new RangeError('truncated varint');
    return this.buf[this.pos++]!;
  }

  /** The next field's tag, or -1 at the end. */
  tag(): number {
    if (this.pos >= this.end) return -1;
    const t = this.varint();
    if (typeof t !== 'number') throw new RangeError('tag too large');
    return t;
  }
}
