import type { Connection } from './connection.js';
import { etcdMethod } from './proto.js';
import { CompactedError } from './errors.js';
import { RangeBatcher } from './range-batcher.js';
import { selectorRange, toBigint, toBytes, toKeyValue } from './keys.js';
import {
  DEFAULT_TARGET_PAGE_BYTES,
  MAX_RANGE_RESTARTS,
  firstPageLimit,
  nextPageLimit,
} from './range-pages.js';
import type {
  RawCompactionRequest,
  RawCompactionResponse,
  RawCompare,
  RawDeleteRangeRequest,
  RawDeleteRangeResponse,
  RawPutRequest,
  RawPutResponse,
  RawRangeResponse,
  RawRequestOp,
  RawResponseOp,
  RawTxnRequest,
  RawTxnResponse,
} from './raw-messages.js';
import type {
  DeleteResult,
  KeyLike,
  KeySelector,
  KeyValue,
  PutResult,
  RangePageMessage,
  RangePagesRequest,
  RangeRequest,
  RangeResult,
  TxnCompare,
  TxnOp,
  TxnOpResult,
  TxnRequest,
  TxnResult,
} from './types.js';

/** Default most keys fetched per page by a multi-key range (pages are also sized by bytes). */
export const DEFAULT_RANGE_PAGE_SIZE = 1000;

const PUT = etcdMethod<RawPutRequest, RawPutResponse>('KV', 'Put');
const DELETE = etcdMethod<RawDeleteRangeRequest, RawDeleteRangeResponse>('KV', 'DeleteRange');
const TXN = etcdMethod<RawTxnRequest, RawTxnResponse>('KV', 'Txn');
const COMPACT = etcdMethod<RawCompactionRequest, RawCompactionResponse>('KV', 'Compact');

const COMPARE_RESULT = { '=': 'EQUAL', '!=': 'NOT_EQUAL', '>': 'GREATER', '<': 'LESS' } as const;
const COMPARE_TARGET = {
  version: 'VERSION',
  createRevision: 'CREATE',
  modRevision: 'MOD',
  value: 'VALUE',
  lease: 'LEASE',
} as const;

function rawCompare(c: TxnCompare): RawCompare {
  const { key, rangeEnd } = selectorRange(c.prefix ? { prefix: c.key } : { key: c.key });
  const base: RawCompare = {
    key,
    range_end: rangeEnd,
    result: COMPARE_RESULT[c.result],
    target: COMPARE_TARGET[c.target],
  };
  switch (c.target) {
    case 'version':
      return { ...base, version: c.value.toString() };
    case 'createRevision':
      return { ...base, create_revision: c.value.toString() };
    case 'modRevision':
      return { ...base, mod_revision: c.value.toString() };
    case 'lease':
      return { ...base, lease: c.value.toString() };
    case 'value':
      return { ...base, value: toBytes(c.value) };
  }
}

function rawOp(op: TxnOp): RawRequestOp {
  switch (op.type) {
    case 'put':
      return {
        request_put: {
          key: toBytes(op.key),
          value: toBytes(op.value),
          lease: (op.lease ?? 0n).toString(),
          prev_kv: op.prevKv ?? false,
        },
      };
    case 'delete': {
      const { key, rangeEnd } = selectorRange(op);
      return { request_delete_range: { key, range_end: rangeEnd, prev_kv: op.prevKv ?? false } };
    }
    case 'range': {
      const { key, rangeEnd } = selectorRange(op);
      return { request_range: { key, range_end: rangeEnd, revision: (op.revision ?? 0n).toString() } };
    }
  }
}

function opResult(raw: RawResponseOp): TxnOpResult {
  if (raw.response_put) {
    return raw.response_put.prev_kv
      ? { type: 'put', prevKv: toKeyValue(raw.response_put.prev_kv) }
      : { type: 'put' };
  }
  if (raw.response_delete_range) {
    return {
      type: 'delete',
      deleted: toBigint(raw.response_delete_range.deleted),
      prevKvs: raw.response_delete_range.prev_kvs.map(toKeyValue),
    };
  }
  const range = raw.response_range;
  return { type: 'range', kvs: (range?.kvs ?? []).map(toKeyValue), more: range?.more ?? false };
}

/**
 * Key-value operations. Reads fail over between endpoints and are retried; writes are sent once (a
 * write that may have reached etcd is never repeated behind the caller's back). Every method throws a
 * typed EtcdError (see errors.ts).
 */
export class KV {
  /** Every Range goes through it: those of one turn share Txn requests (range-batcher.ts). */
  private readonly ranges: RangeBatcher;

  constructor(private readonly connection: Connection) {
    this.ranges = new RangeBatcher(connection);
  }

  /**
   * Every key of `request` at one revision, sorted by key: the pages of {@link pages} put together (a
   * read that started over after a compaction keeps only its last attempt). Throws CompactedError if the
   * requested revision is compacted, or the current one kept being compacted under the read.
   */
  async range(request: RangeRequest): Promise<RangeResult> {
    let kvs: KeyValue[] = [];
    let revision = request.revision ?? 0n;
    for await (const message of this.pages(request)) {
      if (message.type === 'restart') {
        kvs = [];
        continue;
      }
      revision = message.revision;
      for (const kv of message.kvs) kvs.push(kv);
    }
    return { revision, kvs };
  }

  /**
   * The keys of `request` page by page, sorted by key, every page at one revision (the requested one,
   * or the revision of the first page) so that together they are one consistent snapshot. Each page is
   * one Range request with its own deadline (`pageTimeoutMs`) — a small one may share a Txn with other
   * reads of the same turn (range-batcher.ts) —, sized by bytes (see range-pages.ts): a
   * prefix of large values is read as many small pages, never as one response that outlasts a deadline.
   * Nothing is kept between pages: the caller decides what to hold.
   *
   * When the revision of the first page is compacted before the last page (and no revision was
   * requested), the read starts over at the current revision: a `restart` message first, after which
   * the caller drops every page it had. Throws CompactedError when the requested revision is compacted,
   * or after {@link MAX_RANGE_RESTARTS} restarts; any other typed EtcdError as it comes.
   */
  async *pages(request: RangePagesRequest): AsyncGenerator<RangePageMessage, void, undefined> {
    const { key, rangeEnd } = selectorRange(request);
    const maxKeys = request.pageSize ?? DEFAULT_RANGE_PAGE_SIZE;
    if (!Number.isInteger(maxKeys) || maxKeys < 1)
      throw new RangeError('pageSize must be a positive integer');
    const targetBytes = request.targetPageBytes ?? DEFAULT_TARGET_PAGE_BYTES;
    if (!(targetBytes > 0)) throw new RangeError('targetPageBytes must be positive');
    const requested = request.revision ?? 0n;
    for (let restarts = 0; ; restarts++) {
      // The first page fixes the revision of every later page.
      let revision = requested;
      let start = key;
      let limit = firstPageLimit(maxKeys);
      for (;;) {
        let res: RawRangeResponse;
        try {
          res = await this.ranges.range(
            {
              key: start,
              range_end: rangeEnd,
              limit: rangeEnd ? String(limit) : '0',
              revision: revision.toString(),
              keys_only: request.keysOnly ?? false,
              serializable: request.serializable ?? false,
            },
            request.pageTimeoutMs === undefined ? {} : { timeoutMs: request.pageTimeoutMs },
          );
        } catch (err) {
          // Compacted under a read of "now" between two pages: read "now" again.
          const isRestartable = err instanceof CompactedError && requested === 0n && revision !== 0n;
          if (!isRestartable || restarts >= MAX_RANGE_RESTARTS) throw err;
          yield { type: 'restart', revision };
          break;
        }
        if (revision === 0n) revision = toBigint(res.header?.revision);
        const kvs = res.kvs.map(toKeyValue);
        let bytes = 0;
        for (const kv of kvs) bytes += kv.key.length + kv.value.length;
        const last = res.kvs[res.kvs.length - 1];
        const isLast = !res.more || !rangeEnd || !last;
        yield { type: 'page', revision, kvs, bytes, isLast };
        if (isLast) return;
        start = Buffer.concat([last.key, Buffer.from([0])]);
        limit = nextPageLimit({ limit, keys: kvs.length, bytes }, targetBytes, maxKeys);
      }
    }
  }

  /**
   * How many keys `selector` matches at `revision` (default the current one): etcd's count_only, no
   * key or value is sent. Throws CompactedError if that revision is compacted.
   */
  async count(selector: KeySelector, options: { revision?: bigint } = {}): Promise<number> {
    const { key, rangeEnd } = selectorRange(selector);
    const res = await this.ranges.range({
      key,
      range_end: rangeEnd,
      revision: (options.revision ?? 0n).toString(),
      count_only: true,
    });
    return Number(res.count);
  }

  /** One key's current state, or undefined if it does not exist. */
  async get(key: KeyLike, options: { revision?: bigint } = {}): Promise<KeyValue | undefined> {
    const res = await this.range({ key, revision: options.revision });
    return res.kvs[0];
  }

  /** Writes `value` at `key`; with `prevKv` returns the key's previous state. */
  async put(
    key: KeyLike,
    value: KeyLike,
    options: { lease?: bigint; prevKv?: boolean } = {},
  ): Promise<PutResult> {
    const res = await this.connection.unary(
      PUT,
      {
        key: toBytes(key),
        value: toBytes(value),
        lease: (options.lease ?? 0n).toString(),
        prev_kv: options.prevKv ?? false,
      },
      { isIdempotent: false },
    );
    const revision = toBigint(res.header?.revision);
    return res.prev_kv ? { revision, prevKv: toKeyValue(res.prev_kv) } : { revision };
  }

  /** Deletes one key, a [key, rangeEnd) range or every key under a prefix. */
  async delete(selector: KeySelector, options: { prevKv?: boolean } = {}): Promise<DeleteResult> {
    const { key, rangeEnd } = selectorRange(selector);
    const res = await this.connection.unary(
      DELETE,
      { key, range_end: rangeEnd, prev_kv: options.prevKv ?? false },
      { isIdempotent: false },
    );
    return {
      revision: toBigint(res.header?.revision),
      deleted: toBigint(res.deleted),
      prevKvs: res.prev_kvs.map(toKeyValue),
    };
  }

  /** Runs a transaction atomically at one revision; all its writes share that revision. */
  async txn(request: TxnRequest): Promise<TxnResult> {
    const res = await this.connection.unary(
      TXN,
      {
        compare: (request.compare ?? []).map(rawCompare),
        success: (request.success ?? []).map(rawOp),
        failure: (request.failure ?? []).map(rawOp),
      },
      { isIdempotent: false },
    );
    return {
      succeeded: res.succeeded,
      revision: toBigint(res.header?.revision),
      responses: res.responses.map(opResult),
    };
  }

  /**
   * Compacts history up to `revision`: older revisions can no longer be read or watched. With
   * `physical` waits until the space is reclaimed. Throws CompactedError if already compacted past it.
   */
  async compact(revision: bigint, options: { physical?: boolean } = {}): Promise<{ revision: bigint }> {
    const res = await this.connection.unary(
      COMPACT,
      { revision: revision.toString(), physical: options.physical ?? false },
      { isIdempotent: false },
    );
    return { revision: toBigint(res.header?.revision) };
  }
}
