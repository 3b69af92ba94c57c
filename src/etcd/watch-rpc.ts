// The two RPCs every watch stream makes — Watch (its requests) and Maintenance.Status (the release of
// the member serving it) — encoded and decoded by hand, as the Watch responses are
// (watch-response-decoder.ts). With these, a process that only watches never loads proto-loader and
// protobufjs nor parses rpc.proto (proto.ts loads them on the first other call): that was a third of
// the `watch` command's start-up. Field numbers are those of proto/etcd/rpc.proto.
import type { EtcdMethod } from './proto.js';
import type { RawStatusResponse, RawWatchRequest } from './raw-messages.js';
import { ABSENT_ID, decodeWatchResponse, type WatchResponseMessage } from './watch-response-decoder.js';
import { Reader } from './wire-reader.js';

/** WatchCreateRequest.FilterType by name. */
const FILTER_NUMBERS = { NOPUT: 0, NODELETE: 1 } as const;

/** Appends protobuf fields to a list of byte arrays; a handful per request, so simplicity wins. */
class Writer {
  private readonly parts: Uint8Array[] = [];

  /** A varint of a non-negative integer or an int64 (negatives in two's complement, ten bytes). */
  varint(value: number | bigint): void {
    let v = BigInt.asUintN(64, BigInt(value));
    const out: number[] = [];
    while (v >= 0x80n) {
      out.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    out.push(Number(v));
    this.parts.push(Uint8Array.from(out));
  }

  tag(field: number, wireType: number): void {
    this.varint((field << 3) | wireType);
  }

  /** A varint field, left out at protobuf's default (0, false) as proto3 does. */
  varintField(field: number, value: number | bigint | boolean | undefined): void {
    if (value === undefined || value === false || value === 0 || value === 0n) return;
    this.tag(field, 0);
    this.varint(value === true ? 1 : value);
  }

  /** A bytes or embedded-message field; `isEmptyKept` writes it even when empty (a oneof member). */
  bytesField(field: number, value: Uint8Array | undefined, isEmptyKept = false): void {
    if (value === undefined || (value.length === 0 && !isEmptyKept)) return;
    this.tag(field, 2);
    this.varint(value.length);
    this.parts.push(value);
  }

  finish(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** An int64 given as a decimal string (proto-loader's `longs: String` form), or 0 when absent. */
const int64 = (value: string | undefined): bigint => (value === undefined ? 0n : BigInt(value));

/** Encodes one WatchRequest (create, cancel or progress). */
export function encodeWatchRequest(req: RawWatchRequest): Buffer {
  const w = new Writer();
  const create = req.create_request;
  if (create) {
    const c = new Writer();
    c.bytesField(1, create.key);
    c.bytesField(2, create.range_end);
    c.varintField(3, int64(create.start_revision));
    c.varintField(4, create.progress_notify);
    const filters = create.filters ?? [];
    if (filters.length > 0) {
      // Packed, as proto3 writes a repeated enum.
      const packed = new Writer();
      for (const f of filters) packed.varint(FILTER_NUMBERS[f]);
      c.bytesField(5, packed.finish());
    }
    c.varintField(6, create.prev_kv);
    c.varintField(8, create.fragment);
    w.bytesField(1, c.finish(), true);
  } else if (req.cancel_request) {
    const c = new Writer();
    c.varintField(1, int64(req.cancel_request.watch_id));
    w.bytesField(2, c.finish(), true);
  } else if (req.progress_request) {
    w.bytesField(3, new Uint8Array(0), true);
  }
  return w.finish();
}

/** ResponseHeader into `header`: cluster_id = 1, member_id = 2, revision = 3, raft_term = 4. */
function decodeHeader(r: Reader): NonNullable<RawStatusResponse['header']> {
  const header = { cluster_id: ABSENT_ID, member_id: ABSENT_ID, revision: '0', raft_term: '0' };
  for (let tag = r.tag(); tag !== -1; tag = r.tag()) {
    switch (tag) {
      case (1 << 3) | 0:
        header.cluster_id = r.uint64();
        break;
      case (2 << 3) | 0:
        header.member_id = r.uint64();
        break;
      case (3 << 3) | 0:
        header.revision = r.int64().toString();
        break;
      case (4 << 3) | 0:
        header.raft_term = r.uint64();
        break;
      default:
        r.skip(tag & 7);
    }
  }
  return header;
}

/**
 * Decodes a StatusResponse into proto-loader's shape (header null when absent, int64s as decimal
 * strings). Throws RangeError on malformed input.
 */
export function decodeStatusResponse(buf: Buffer): RawStatusResponse {
  const r = new Reader(buf, 0, buf.length);
  const res: RawStatusResponse = {
    header: null,
    version: '',
    dbSize: '0',
    leader: '0',
    raftIndex: '0',
    raftTerm: '0',
  };
  for (let tag = r.tag(); tag !== -1; tag = r.tag()) {
    switch (tag) {
      case (1 << 3) | 2: {
        const outer = r.enter();
        res.header = decodeHeader(r);
        r.leave(outer);
        break;
      }
      case (2 << 3) | 2:
        res.version = r.string();
        break;
      case (3 << 3) | 0:
        res.dbSize = r.int64().toString();
        break;
      case (4 << 3) | 0:
        res.leader = r.uint64();
        break;
      case (5 << 3) | 0:
        res.raftIndex = r.uint64();
        break;
      case (6 << 3) | 0:
        res.raftTerm = r.uint64();
        break;
      default:
        r.skip(tag & 7);
    }
  }
  return res;
}

/** etcdserverpb.Watch.Watch, its responses framed by decodeWatchResponse. */
export const WATCH: EtcdMethod<RawWatchRequest, WatchResponseMessage> = {
  path: '/etcdserverpb.Watch/Watch',
  requestSerialize: encodeWatchRequest,
  responseDeserialize: decodeWatchResponse,
};

/** etcdserverpb.Maintenance.Status (its request has no fields). */
export const STATUS: EtcdMethod<Record<string, never>, RawStatusResponse> = {
  path: '/etcdserverpb.Maintenance/Status',
  requestSerialize: () => Buffer.alloc(0),
  responseDeserialize: decodeStatusResponse,
};
