// Range requests issued in the same turn of the event loop, sent as etcd Txn requests of Ranges. At
// start-up every prefix mirror reads its first page at once: 10,000 unary Range calls, each paying
// grpc-js's per-call cost (a call, its credentials, an HTTP/2 stream) and etcd's per-request cost. A
// read-only Txn is served as one linearizable read (no raft proposal) with every op at one revision,
// so a Txn of 128 Ranges does the work of 128 calls in one.
//
// Each caller still gets the answer its own Range would have got: a Txn fails as a whole (a compacted
// revision, a prefix the user may not read — etcd's auth checks every op and refuses the Txn —, a
// request too large, a deadline), and then each of its Ranges is sent again alone, so that each caller
// gets its own answer or error.
import type { Connection } from './connection.js';
import { ClientClosedError, DeadlineExceededError, UnknownEtcdError, type EtcdError } from './errors.js';
import { etcdMethod } from './proto.js';
import { FIRST_PAGE_KEYS } from './range-pages.js';
import type { RawRangeRequest, RawRangeResponse, RawTxnRequest, RawTxnResponse } from './raw-messages.js';

/**
 * Most Ranges in one Txn: etcd's `--max-txn-ops` default (128). A server started with a lower value
 * refuses a bigger Txn (InvalidArgument), and its Ranges are then sent alone: correct, only slower.
 */
export const MAX_TXN_OPS = 128;

/**
 * Most keys a Range may return to be batched. The client lifts grpc-js's receive limit
 * (endpoint-channels.ts) and etcd sends answers of up to 2 GiB, so nothing but this choice bounds a
 * Txn's answer: only reads of a few keys go in — a first page (FIRST_PAGE_KEYS, range-pages.ts), one
 * key, a count — which are the many small reads of a start-up. Later pages are sized to about 1 MiB
 * each and go alone, so a Txn never carries several of them. With one value at most etcd's request
 * limit (1.5 MiB), a Txn answer is at most 128 × 4 of them: no more than the same Ranges sent at once
 * would bring in, only in one message.
 */
export const MAX_BATCHED_RANGE_KEYS = FIRST_PAGE_KEYS;

const RANGE = etcdMethod<RawRangeRequest, RawRangeResponse>('KV', 'Range');
const TXN = etcdMethod<RawTxnRequest, RawTxnResponse>('KV', 'Txn');

/** What a batcher sends with: a Connection's unary requests. */
export type UnarySender = Pick<Connection, 'unary'>;

/** Options of one read. */
export interface BatchedRangeOptions {
  /** Deadline of this read in ms, from the call; default the connection's request timeout. */
  timeoutMs?: number;
}

/**
 * The group a Range may share a Txn with, or undefined when it goes alone. A Txn reads every op at one
 * revision and is linearizable: Ranges of "now" (revision 0) or of the same revision may share one,
 * serializable ones may not; nor may reads of more than MAX_BATCHED_RANGE_KEYS keys. Reads with and
 * without a deadline of their own are kept apart (the connection's default is not known here). Pure.
 */
export function rangeBatchKey(
  request: RawRangeRequest,
  options: BatchedRangeOptions = {},
): string | undefined {
  if (request.serializable) return undefined;
  const keys = keyBound(request);
  if (keys === undefined || keys > MAX_BATCHED_RANGE_KEYS) return undefined;
  const revision = request.revision && request.revision !== '' ? request.revision : '0';
  return `${revision}/${options.timeoutMs === undefined ? 'default' : 'own'}-deadline`;
}

/** The most keys a Range can return; undefined when unbounded. */
function keyBound(request: RawRangeRequest): number | undefined {
  if (request.count_only) return 0;
  if (!request.range_end || request.range_end.length === 0) return 1;
  const limit = Number(request.limit ?? '0');
  return limit > 0 ? limit : undefined;
}

/**
 * The requests of one turn cut into what is sent: indexes into `keys` (each a {@link rangeBatchKey}),
 * in order. Requests of one key are split into as few groups of at most `maxOps` as will do, of equal
 * sizes (a full one and a small one would make the small one wait for the full one's answer, no
 * better than two halves). A group of one is sent as a plain Range. Pure.
 */
export function planRangeBatches(keys: readonly (string | undefined)[], maxOps: number): number[][] {
  const byKey = new Map<string, number[]>();
  const groups: number[][] = [];
  keys.forEach((key, i) => {
    if (key === undefined) {
      groups.push([i]);
      return;
    }
    let members = byKey.get(key);
    if (!members) byKey.set(key, (members = []));
    members.push(i);
  });
  for (const members of byKey.values()) {
    const count = Math.ceil(members.length / maxOps);
    const size = Math.ceil(members.length / count);
    for (let start = 0; start < members.length; start += size)
      groups.push(members.slice(start, start + size));
  }
  return groups;
}

/** One caller's read waiting for its answer. */
interface PendingRange {
  request: RawRangeRequest;
  /** The caller's own deadline (ms, wall clock), if it gave one. */
  deadline: number | undefined;
  timeoutMs: number | undefined;
  resolve: (response: RawRangeResponse) => void;
  reject: (err: unknown) => void;
}

/**
 * Sends Range requests, coalescing those issued in the same turn of the event loop into Txn requests
 * (see the file comment). A Range with nothing to share a Txn with goes out as a plain Range, in the
 * same turn: batching adds no wait. Each read keeps its own deadline; its promise settles with what a
 * Range of its own would have answered, a typed EtcdError otherwise. Owns nothing to close: a read in
 * flight ends with the connection.
 */
export class RangeBatcher {
  /** Reads issued since the last flush; emptied by flush(). */
  private queue: PendingRange[] = [];
  /** True while a flush is scheduled for the end of this turn; then `queue` is not empty. */
  private isFlushScheduled = false;

  constructor(private readonly sender: UnarySender) {}

  /** Reads `request` alone or in a Txn with others of this turn; the answer is its own Range's. */
  range(request: RawRangeRequest, options: BatchedRangeOptions = {}): Promise<RawRangeResponse> {
    const { timeoutMs } = options;
    return new Promise<RawRangeResponse>((resolve, reject) => {
      const deadline = timeoutMs === undefined ? undefined : Date.now() + timeoutMs;
      this.queue.push({ request, deadline, timeoutMs, resolve, reject });
      if (this.isFlushScheduled) return;
      this.isFlushScheduled = true;
      // Flushed once the microtask queue is drained, so that the reads of callers a few awaits deeper
      // in this turn are in: a tick queued from a microtask runs only then. A tick alone runs before
      // the microtasks when queued from a macrotask, a microtask alone before those queued after it:
      // 300 prefix reads started 0–9 awaits apart made 4 and 10 requests with those, 3 with both.
      // Never a timer: that would delay every lone read.
      queueMicrotask(() => process.nextTick(() => this.flush()));
    });
  }

  private flush(): void {
    const queue = this.queue;
    this.queue = [];
    this.isFlushScheduled = false;
    const keys = queue.map((read) => rangeBatchKey(read.request, { timeoutMs: read.timeoutMs }));
    for (const group of planRangeBatches(keys, MAX_TXN_OPS)) {
      const reads = group.map((i) => queue[i]!);
      if (reads.length === 1) this.sendAlone(reads[0]!, reads[0]!.timeoutMs);
      else void this.sendBatch(reads);
    }
  }

  /** One plain Range; settles the caller. */
  private sendAlone(read: PendingRange, timeoutMs: number | undefined): void {
    this.sender
      .unary(RANGE, read.request, { isIdempotent: true, ...(timeoutMs === undefined ? {} : { timeoutMs }) })
      .then(read.resolve, read.reject);
  }

  /** One Txn of `reads`; each caller gets its op's answer, or a Range of its own if the Txn failed. */
  private async sendBatch(reads: PendingRange[]): Promise<void> {
    let response: RawTxnResponse;
    try {
      response = await this.sender.unary(
        TXN,
        { compare: [], success: reads.map((read) => ({ request_range: read.request })), failure: [] },
        // Read-only: safe to send again. Within the earliest caller's deadline, so that none waits longer
        // than its own Range would have.
        { isIdempotent: true, ...txnTimeout(reads) },
      );
    } catch (err) {
      this.sendEachAlone(reads, err);
      return;
    }
    const answers = rangeAnswers(response, reads.length);
    if (!answers) {
      this.sendEachAlone(reads, new UnknownEtcdError('etcd answered a Txn of Ranges with other responses'));
      return;
    }
    reads.forEach((read, i) => read.resolve(answers[i]!));
  }

  /** After `err` failed their Txn: each read alone, within what is left of its deadline. */
  private sendEachAlone(reads: PendingRange[], err: unknown): void {
    for (const read of reads) {
      // A closed client fails every request alike: nothing to learn by sending each.
      if (err instanceof ClientClosedError) {
        read.reject(err);
        continue;
      }
      if (read.deadline === undefined) {
        this.sendAlone(read, undefined);
        continue;
      }
      const left = read.deadline - Date.now();
      if (left > 0) this.sendAlone(read, left);
      else read.reject(deadlinePassed(err));
    }
  }
}

/** The Txn's deadline: the earliest of its reads' own, or the connection's default when none has one. */
function txnTimeout(reads: readonly PendingRange[]): { timeoutMs?: number } {
  let earliest: number | undefined;
  for (const { deadline } of reads) {
    if (deadline !== undefined && (earliest === undefined || deadline < earliest)) earliest = deadline;
  }
  return earliest === undefined ? {} : { timeoutMs: Math.max(1, earliest - Date.now()) };
}

/**
 * Each op's RangeResponse with the Txn's header (all its ops read at that revision, as a Range of its
 * own would report); undefined if the answer is not one Range response per op.
 */
function rangeAnswers(response: RawTxnResponse, count: number): RawRangeResponse[] | undefined {
  if (!response.succeeded || response.responses.length !== count) return undefined;
  const answers: RawRangeResponse[] = [];
  for (const op of response.responses) {
    const range = op.response_range;
    if (!range) return undefined;
    answers.push({ ...range, header: response.header });
  }
  return answers;
}

/** What a read whose deadline passed while its Txn failed rejects with. */
function deadlinePassed(err: unknown): EtcdError {
  if (err instanceof DeadlineExceededError) return err;
  return new DeadlineExceededError('the deadline passed while the read was batched', { cause: err });
}
