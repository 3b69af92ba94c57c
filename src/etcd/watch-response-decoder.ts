// A hand-written decoder for etcdserverpb.WatchResponse, the one message that arrives by the hundred
// thousand. proto-loader's generic path (decode to Long objects, then toObject to decimal strings and
// copied Buffers, then BigInt) spent most of a catch-up's CPU in decoding and garbage collection; this
// reads the protobuf wire format straight into WatchEvents with bigint fields. Field numbers are those
// of proto/etcd/rpc.proto and kv.proto; unknown fields are skipped, as protobuf requires.
import type { KeyValue, WatchEvent } from './types.js';

/** A uint64 id field (cluster, member, watch) that etcd left out, as decoded here: protobuf's zero. */
export const ABSENT_ID = '0';

/** A decoded WatchResponse: only what the watch stream reads. */
export interface WatchResponseMessage {
  /** header.revision: the store revision when etcd sent the response. */
  headerRevision: bigint;
  /** header.cluster_id (uint64) as a decimal string; `0` when absent. */
  clusterId: string;
  /** header.member_id (uint64) as a decimal string: the member serving the stream; `0` when absent. */
  memberId: string;
  /** watch_id as a decimal string (`-1` for a RequestProgress reply). */
  watchId: string;
  created: boolean;
  canceled: boolean;
  /** 0n unless the watch was canceled for compaction. */
  compactRevision: bigint;
  cancelReason: string;
  fragment: boolean;
  events: WatchEvent[];
}

const EMPTY = Buffer.alloc(0);

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
function bigintOf(v: number): bigint {
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
class Reader {
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

/** Reads the KeyValue message the reader has entered into `kv` (a KeyValue or an event). */
function decodeKeyValue(r: Reader, kv: KeyValue): void {
  for (let tag = r.tag(); tag !== -1; tag = r.tag()) {
    switch (tag) {
      case (1 << 3) | 2:
        kv.key = r.bytes();
        break;
      case (2 << 3) | 0:
        kv.createRevision = r.int64();
        break;
      case (3 << 3) | 0:
        kv.modRevision = r.int64();
        break;
      case (4 << 3) | 0:
        kv.version = r.int64();
        break;
      case (5 << 3) | 2:
        kv.value = r.bytes();
        break;
      case (6 << 3) | 0:
        kv.lease = r.int64();
        break;
      default:
        r.skip(tag & 7);
    }
  }
}

const emptyKeyValue = (): KeyValue => ({
  key: EMPTY,
  value: EMPTY,
  createRevision: 0n,
  modRevision: 0n,
  version: 0n,
  lease: 0n,
});

/** Reads the Event message the reader has entered; its kv goes straight into the event's fields. */
function decodeEvent(r: Reader): WatchEvent {
  // Fields in the order of the object literal it replaced, so that every event has one shape.
  const event: WatchEvent = {
    type: 'put',
    key: EMPTY,
    value: EMPTY,
    modRevision: 0n,
    createRevision: 0n,
    version: 0n,
    lease: 0n,
  };
  let isKvSeen = false;
  let prevKv: KeyValue | undefined;
  for (let tag = r.tag(); tag !== -1; tag = r.tag()) {
    switch (tag) {
      case (1 << 3) | 0:
        event.type = r.varint() === 1 ? 'delete' : 'put';
        break;
      case (2 << 3) | 2: {
        // A repeated embedded message merges into the earlier one in protobuf; etcd sends kv once,
        // and, as before, a second one replaces the first.
        if (isKvSeen) Object.assign(event, { key: EMPTY, value: EMPTY }, zeroRevisions());
        isKvSeen = true;
        const outer = r.enter();
        decodeKeyValue(r, event);
        r.leave(outer);
        break;
      }
      case (3 << 3) | 2: {
        prevKv = emptyKeyValue();
        const outer = r.enter();
        decodeKeyValue(r, prevKv);
        r.leave(outer);
        break;
      }
      default:
        r.skip(tag & 7);
    }
  }
  if (prevKv) event.prevKv = prevKv;
  return event;
}

const zeroRevisions = (): Pick<KeyValue, 'createRevision' | 'modRevision' | 'version' | 'lease'> => ({
  createRevision: 0n,
  modRevision: 0n,
  version: 0n,
  lease: 0n,
});

/** ResponseHeader: cluster_id = 1, member_id = 2, revision = 3 (raft_term = 4 is skipped). */
function decodeHeader(r: Reader, res: WatchResponseMessage): void {
  for (let tag = r.tag(); tag !== -1; tag = r.tag()) {
    switch (tag) {
      case (1 << 3) | 0:
        res.clusterId = r.uint64();
        break;
      case (2 << 3) | 0:
        res.memberId = r.uint64();
        break;
      case (3 << 3) | 0:
        res.headerRevision = r.int64();
        break;
      default:
        r.skip(tag & 7);
    }
  }
}

/** Decodes one WatchResponse. Throws RangeError on malformed input (grpc-js then fails the call). */
export function decodeWatchResponse(buf: Buffer): WatchResponseMessage {
  const r = new Reader(buf, 0, buf.length);
  const res: WatchResponseMessage = {
    headerRevision: 0n,
    clusterId: ABSENT_ID,
    memberId: ABSENT_ID,
    watchId: ABSENT_ID,
    created: false,
    canceled: false,
    compactRevision: 0n,
    cancelReason: '',
    fragment: false,
    events: [],
  };
  for (let tag = r.tag(); tag !== -1; tag = r.tag()) {
    switch (tag) {
      case (1 << 3) | 2: {
        const outer = r.enter();
        decodeHeader(r, res);
        r.leave(outer);
        break;
      }
      case (2 << 3) | 0:
        res.watchId = r.int64().toString();
        break;
      case (3 << 3) | 0:
        res.created = r.bool();
        break;
      case (4 << 3) | 0:
        res.canceled = r.bool();
        break;
      case (5 << 3) | 0:
        res.compactRevision = r.int64();
        break;
      case (6 << 3) | 2:
        res.cancelReason = r.string();
        break;
      case (7 << 3) | 0:
        res.fragment = r.bool();
        break;
      case (11 << 3) | 2: {
        const outer = r.enter();
        res.events.push(decodeEvent(r));
        r.leave(outer);
        break;
      }
      default:
        r.skip(tag & 7);
    }
  }
  return res;
}
