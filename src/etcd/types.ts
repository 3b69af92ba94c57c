// Public data types of the etcd client. Revisions, versions and lease IDs are bigint (STYLE.md §6).
import type { EtcdError } from './errors.js';
import type { RawWatchEvents } from './raw-events.js';

/** A key as given by callers: a string is UTF-8 encoded. */
export type KeyLike = string | Buffer;

/** One key's state at a revision (mvccpb.KeyValue). */
export interface KeyValue {
  key: Buffer;
  value: Buffer;
  /** Revision of the last creation of this key. */
  createRevision: bigint;
  /** Revision of the last modification of this key. */
  modRevision: bigint;
  /** Number of modifications since creation (1 after the first put). */
  version: bigint;
  /** Lease ID attached to the key, 0n for none. */
  lease: bigint;
}

/** One change seen by a watch. A delete's `value` is empty and its `modRevision` the deletion's. */
export interface WatchEvent {
  type: 'put' | 'delete';
  key: Buffer;
  value: Buffer;
  modRevision: bigint;
  createRevision: bigint;
  version: bigint;
  lease: bigint;
  /** The key's previous state, when the watch asked for `prevKv` and the key existed. */
  prevKv?: KeyValue;
}

/**
 * What a watch yields, in order:
 * - `created` once, when etcd has established the watch; `revision` is etcd's revision at that moment.
 * - `events`: the events of one etcd response (fragments reassembled), never a split transaction;
 *   `revision` is the modRevision of the last event.
 * - `progress`: etcd says the watch has seen everything up to `revision` (progress_notify or
 *   requestProgress). `inStep` is true when etcd sent it in step with the events, so every event up to
 *   `revision` has been delivered before it (see Watcher.startRevision); false for a requestProgress
 *   reply from etcd before 3.4.25 / 3.5.8 (or of an unknown version), which can overtake events still
 *   on their way: then it says only that etcd's store had reached `revision`.
 * A watch ends by throwing RevisionWentBackError when etcd's history went back behind it.
 * - `reconnected`: the watch was re-created after a lost stream, resuming right after `revision`
 *   (its resume point: the last delivered event's revision, a later progress revision that counted —
 *   see Watcher.startRevision — or the created revision of a watch from "now" if nothing else);
 *   `etcdRevision` is etcd's revision when it re-created the watch. Above `revision`, changes landed
 *   while the watch was away: etcd replays them from history, which it does in a loop that runs every
 *   100 ms, so they (and what follows) can arrive up to that much later than live events do.
 */
export type WatchMessage =
  | { type: 'created'; revision: bigint }
  | { type: 'events'; events: WatchEvent[]; revision: bigint }
  | { type: 'progress'; revision: bigint; inStep: boolean }
  | { type: 'reconnected'; revision: bigint; etcdRevision: bigint };

/**
 * What a watch started with `raw: true` yields: the messages of {@link WatchMessage}, except that the
 * events of one etcd response come as `raw-events`, the protobuf bytes of the events (fragments
 * reassembled, never a split transaction, none at or below the resume point), read in place with
 * RawWatchEvents.read or decoded with decode(). `revision` is the last event's modRevision.
 */
export type RawWatchMessage =
  | Exclude<WatchMessage, { type: 'events' }>
  | { type: 'raw-events'; events: RawWatchEvents; revision: bigint };

/** Options of {@link EtcdClient.watch}. */
export interface WatchOptions {
  /** The key watched, or the prefix with `prefix: true`. */
  key: KeyLike;
  /** Watch every key starting with `key`. Default false. */
  prefix?: boolean;
  /** First revision to deliver; default: changes after now. */
  fromRevision?: bigint;
  /** Attach each event's previous state. Default false. */
  prevKv?: boolean;
  /** Leave out puts and/or deletes. Default none. */
  filters?: readonly ('noput' | 'nodelete')[];
  /** Ask etcd for periodic progress messages on an idle watch. Default false. */
  progressNotify?: boolean;
  /** Aborting cancels the watch (as cancel()). */
  signal?: AbortSignal;
  /** See {@link RawWatchOptions}: false here, a decoding watch. */
  raw?: false;
}

/**
 * Options of a watch that hands events over as bytes ({@link RawWatchMessage}): for a consumer that
 * prints or forwards them, at a fraction of the CPU and garbage of decoded WatchEvents.
 */
export type RawWatchOptions = Omit<WatchOptions, 'raw'> & { raw: true };

/**
 * Where a watch started with {@link EtcdClient.watchInto} hands its messages: synchronously, in order,
 * as they arrive (no buffer and no iteration per watch — what a consumer that applies each message at
 * once, such as a prefix mirror, needs; thousands of watches cost thousands of async loops otherwise).
 */
export interface WatchSink {
  /** The next message: the same ones an iteration of the watch would yield. Must not throw. */
  message(message: WatchMessage): void;
  /** The watch ended: canceled (no error), or failed with `error`. Called once, last. */
  end(error?: EtcdError): void;
}

/** A watch that hands its messages to a {@link WatchSink}. */
export interface WatchHandle {
  /** As Watch.cancel: the sink's end() follows (without an error). Idempotent; never throws. */
  cancel(): Promise<void>;
}

/** A running watch: an async iterable of messages that also can be canceled. */
export interface Watch<M extends WatchMessage | RawWatchMessage = WatchMessage> extends AsyncIterable<M> {
  /**
   * Ends the watch: the iterator finishes normally (messages not yet taken are dropped) and etcd is
   * told to cancel if the stream is up. Idempotent; never throws, also while etcd is down.
   */
  cancel(): Promise<void>;
}

/** Which keys a request targets: one key, every key with a prefix, or [key, rangeEnd). */
export type KeySelector = { key: KeyLike; rangeEnd?: KeyLike } | { prefix: KeyLike };

/** Options of {@link KV.range}. */
export type RangeRequest = KeySelector & {
  /** Read at this revision; default: the current one (then fixed for every page). */
  revision?: bigint;
  /** Most keys per page of a multi-key range (pages are also sized by bytes, see KV.pages). Default 1000. */
  pageSize?: number;
  /** Return keys without values. Default false. */
  keysOnly?: boolean;
  /** Serve from the contacted member without a quorum read (may be stale). Default false. */
  serializable?: boolean;
};

/** Options of {@link KV.pages}: a range, and how its pages are sized and timed. */
export type RangePagesRequest = RangeRequest & {
  /** Bytes (keys + values) a page aims at. Default 1 MiB (range-pages.ts). */
  targetPageBytes?: number;
  /** Deadline of each page's request. Default the client's requestTimeoutMs. */
  pageTimeoutMs?: number;
};

/**
 * What {@link KV.pages} yields: a `page` of keys (sorted, at `revision`; `bytes` their keys and values;
 * `isLast` on the last one), or a `restart`: `revision` was compacted before the read ended, so the pages
 * so far are void and the read begins again at the current revision.
 */
export type RangePageMessage =
  | { type: 'page'; revision: bigint; kvs: KeyValue[]; bytes: number; isLast: boolean }
  | { type: 'restart'; revision: bigint };

/** Result of {@link KV.range}: every matching key at `revision`, sorted by key. */
export interface RangeResult {
  revision: bigint;
  kvs: KeyValue[];
}

/** Result of {@link KV.put}. */
export interface PutResult {
  revision: bigint;
  prevKv?: KeyValue;
}

/** Result of {@link KV.delete}. */
export interface DeleteResult {
  revision: bigint;
  deleted: bigint;
  prevKvs: KeyValue[];
}

/** A condition of a transaction. `value` is a bigint for revision/version/lease targets. */
export type TxnCompare = {
  key: KeyLike;
  /** Compare every key with this prefix. Default false. */
  prefix?: boolean;
  result: '=' | '!=' | '>' | '<';
} & (
  | { target: 'version' | 'createRevision' | 'modRevision' | 'lease'; value: bigint }
  | { target: 'value'; value: KeyLike }
);

/** An operation inside a transaction. */
export type TxnOp =
  | { type: 'put'; key: KeyLike; value: KeyLike; lease?: bigint; prevKv?: boolean }
  | ({ type: 'delete'; prevKv?: boolean } & KeySelector)
  | ({ type: 'range'; revision?: bigint } & KeySelector);

/** A transaction: if every `compare` holds, `success` runs, else `failure`. */
export interface TxnRequest {
  compare?: readonly TxnCompare[];
  success?: readonly TxnOp[];
  failure?: readonly TxnOp[];
}

/** The result of one transaction operation, in request order. */
export type TxnOpResult =
  | { type: 'put'; prevKv?: KeyValue }
  | { type: 'delete'; deleted: bigint; prevKvs: KeyValue[] }
  | { type: 'range'; kvs: KeyValue[]; more: boolean };

/** Result of {@link KV.txn}. */
export interface TxnResult {
  succeeded: boolean;
  revision: bigint;
  responses: TxnOpResult[];
}

/** One member of the cluster. */
export interface EtcdMemberInfo {
  id: string;
  name: string;
  clientUrls: string[];
  peerUrls: string[];
  isLearner: boolean;
}

/** Status of the member that answered. */
export interface EtcdStatus {
  clusterId: string;
  memberId: string;
  version: string;
  revision: bigint;
  leader: string;
  raftTerm: bigint;
}
