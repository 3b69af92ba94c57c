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

/** A cursor over one protobuf-encoded buffer. Throws RangeError on truncated input. */
class Reader {
  pos: number;
  constructor(
    readonly buf: Buffer,
    start: number,
    readonly end: number,
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
    return typeof v === 'number' ? BigInt(v) : BigInt.asIntN(64, v);
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
    this.buf.copy(out, 0, this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  string(): string {
    const n = this.length();
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  /** A sub-reader over an embedded message. */
  message(): Reader {
    const n = this.length();
    const sub = new Reader(this.buf, this.pos, this.pos + n);
    this.pos += n;
    return sub;
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

function decodeKeyValue(r: Reader): KeyValue {
  const kv: KeyValue = {
    key: EMPTY,
    value: EMPTY,
    createRevision: 0n,
    modRevision: 0n,
    version: 0n,
    lease: 0n,
  };
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
  return kv;
}

function decodeEvent(r: Reader): WatchEvent {
  let isDelete = false;
  let kv: KeyValue | undefined;
  let prevKv: KeyValue | undefined;
  for (let tag = r.tag(); tag !== -1; tag = r.tag()) {
    switch (tag) {
      case (1 << 3) | 0:
        isDelete = r.varint() === 1;
        break;
      case (2 << 3) | 2:
        kv = decodeKeyValue(r.message());
        break;
      case (3 << 3) | 2:
        prevKv = decodeKeyValue(r.message());
        break;
      default:
        r.skip(tag & 7);
    }
  }
  const event: WatchEvent = {
    type: isDelete ? 'delete' : 'put',
    key: kv?.key ?? EMPTY,
    value: kv?.value ?? EMPTY,
    modRevision: kv?.modRevision ?? 0n,
    createRevision: kv?.createRevision ?? 0n,
    version: kv?.version ?? 0n,
    lease: kv?.lease ?? 0n,
  };
  if (prevKv) event.prevKv = prevKv;
  return event;
}

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
      case (1 << 3) | 2:
        decodeHeader(r.message(), res);
        break;
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
      case (11 << 3) | 2:
        res.events.push(decodeEvent(r.message()));
        break;
      default:
        r.skip(tag & 7);
    }
  }
  return res;
}
