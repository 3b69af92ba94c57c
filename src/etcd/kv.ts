import type { Connection } from './connection.js';
import { etcdMethod } from './proto.js';
import { selectorRange, toBigint, toBytes, toKeyValue } from './keys.js';
import type {
  RawCompactionRequest,
  RawCompactionResponse,
  RawCompare,
  RawDeleteRangeRequest,
  RawDeleteRangeResponse,
  RawPutRequest,
  RawPutResponse,
  RawRangeRequest,
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
  RangeRequest,
  RangeResult,
  TxnCompare,
  TxnOp,
  TxnOpResult,
  TxnRequest,
  TxnResult,
} from './types.js';

/** Default number of keys fetched per page by a multi-key range. */
export const DEFAULT_RANGE_PAGE_SIZE = 1000;

const RANGE = etcdMethod<RawRangeRequest, RawRangeResponse>('KV', 'Range');
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
  constructor(private readonly connection: Connection) {}

  /**
   * Every key of `request` at one revision, sorted by key. A multi-key range is fetched in pages of
   * `pageSize`, every page at the revision of the first (or the requested one), so the result is one
   * consistent snapshot. Throws CompactedError if that revision has been compacted meanwhile.
   */
  async range(request: RangeRequest): Promise<RangeResult> {
    const { key, rangeEnd } = selectorRange(request);
    const pageSize = request.pageSize ?? DEFAULT_RANGE_PAGE_SIZE;
    if (!Number.isInteger(pageSize) || pageSize < 1)
      throw new RangeError('pageSize must be a positive integer');
    let revision = request.revision ?? 0n;
    const kvs: KeyValue[] = [];
    let start = key;
    for (;;) {
      const res = await this.connection.unary(
        RANGE,
        {
          key: start,
          range_end: rangeEnd,
          limit: rangeEnd ? String(pageSize) : '0',
          revision: revision.toString(),
          keys_only: request.keysOnly ?? false,
          serializable: request.serializable ?? false,
        },
        { isIdempotent: true },
      );
      // The first page fixes the revision of every later page.
      if (revision === 0n) revision = toBigint(res.header?.revision);
      for (const kv of res.kvs) kvs.push(toKeyValue(kv));
      const last = res.kvs[res.kvs.length - 1];
      if (!res.more || !rangeEnd || !last) return { revision, kvs };
      start = Buffer.concat([last.key, Buffer.from([0])]);
    }
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
