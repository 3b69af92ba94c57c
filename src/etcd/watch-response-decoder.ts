// A hand-written decoder for etcdserverpb.WatchResponse, the one message that arrives by the hundred
// thousand. proto-loader's generic path (decode to Long objects, then toObject to decimal strings and
// copied Buffers, then BigInt) spent most of a catch-up's CPU in decoding and garbage collection; this
// reads the header and flags, and only frames the events (RawWatchEvents): each watch then decodes
// them into WatchEvents or, asked for `raw`, reads them in place. Field numbers are those of
// proto/etcd/rpc.proto and kv.proto; unknown fields are skipped, as protobuf requires.
import { RawWatchEvents } from './raw-events.js';
import { Reader } from './wire-reader.js';

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
  /** The events, framed but not decoded (RawWatchEvents.decode gives WatchEvents). */
  events: RawWatchEvents;
}

/**
 * Where the scan of a response puts its events' spans, grown as needed and reused: each response
 * then keeps an exact-size copy.
 */
let scratchSpans = new Int32Array(1024);

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

const NO_EVENTS = RawWatchEvents.none();

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
    events: NO_EVENTS,
  };
  let spans = scratchSpans;
  let n = 0;
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
        if (n + 2 > spans.length) {
          const grown = new Int32Array(spans.length * 2);
          grown.set(spans);
          scratchSpans = spans = grown;
        }
        spans[n++] = r.span();
        spans[n++] = r.pos;
        break;
      }
      default:
        r.skip(tag & 7);
    }
  }
  if (n > 0) res.events = new RawWatchEvents(buf, spans.slice(0, n));
  return res;
}
