import { strict as assert } from 'node:assert';
import type { UnaryOptions } from '../../../src/etcd/connection.js';
import {
  ClientClosedError,
  CompactedError,
  DeadlineExceededError,
  PermissionDeniedError,
} from '../../../src/etcd/errors.js';
import type { EtcdMethod } from '../../../src/etcd/proto.js';
import {
  MAX_BATCHED_RANGE_KEYS,
  MAX_TXN_OPS,
  RangeBatcher,
  planRangeBatches,
  rangeBatchKey,
  type UnarySender,
} from '../../../src/etcd/range-batcher.js';
import type {
  RawRangeRequest,
  RawRangeResponse,
  RawResponseHeader,
  RawTxnRequest,
  RawTxnResponse,
} from '../../../src/etcd/raw-messages.js';

const header = (revision: string): RawResponseHeader => ({
  cluster_id: '1',
  member_id: '2',
  revision,
  raft_term: '3',
});

/** A first page of `prefix`, as KV.pages asks for it. */
const firstPage = (prefix: string, revision = '0'): RawRangeRequest => ({
  key: Buffer.from(prefix),
  range_end: Buffer.from(prefix.slice(0, -1) + '0'),
  limit: String(MAX_BATCHED_RANGE_KEYS),
  revision,
});

/** One key per prefix: `<prefix>k` = the prefix, as a fake etcd at revision `revision` would hold. */
function answerOf(request: RawRangeRequest, revision: string): RawRangeResponse {
  const prefix = request.key.toString();
  const kv = {
    key: Buffer.from(`${prefix}k`),
    value: Buffer.from(prefix),
    create_revision: '1',
    mod_revision: '1',
    version: '1',
    lease: '0',
  };
  return { header: header(revision), kvs: [kv], more: false, count: '1' };
}

interface SentCall {
  path: string;
  request: unknown;
  options: UnaryOptions;
}

/**
 * A sender that answers Ranges and Txns of Ranges from answerOf at revision 7, except for prefixes in
 * `refused` (their Range, and any Txn holding them, fails with that error). `txnError` fails every Txn.
 */
class FakeSender implements UnarySender {
  readonly calls: SentCall[] = [];
  readonly refused = new Map<string, Error>();
  txnError: Error | undefined;
  /** Called on each request, as it is sent. */
  onCall: () => void = () => undefined;

  unary<Req, Res>(method: EtcdMethod<Req, Res>, request: Req, options: UnaryOptions): Promise<Res> {
    this.calls.push({ path: method.path, request, options });
    this.onCall();
    return Promise.resolve().then(() => this.answer(method.path, request) as Res);
  }

  private answer(path: string, request: unknown): RawRangeResponse | RawTxnResponse {
    if (path.endsWith('/Range')) {
      const range = request as RawRangeRequest;
      const refusal = this.refused.get(range.key.toString());
      if (refusal) throw refusal;
      return answerOf(range, '7');
    }
    const txn = request as RawTxnRequest;
    if (this.txnError) throw this.txnError;
    const ranges = txn.success.map((op) => op.request_range!);
    for (const range of ranges) {
      const refusal = this.refused.get(range.key.toString());
      if (refusal) throw refusal;
    }
    // etcd leaves the ops' own headers nearly empty: the batcher must report the Txn's.
    return {
      header: header('7'),
      succeeded: true,
      responses: ranges.map((r) => ({
        response: 'response_range',
        response_range: { ...answerOf(r, '7'), header: null },
      })),
    };
  }

  paths(): string[] {
    return this.calls.map((c) => c.path.split('/').pop()!);
  }
}

/** Each read's outcome: the value of its one key, or the name of the error it failed with. */
async function outcomes(reads: Promise<RawRangeResponse>[]): Promise<string[]> {
  return (await Promise.allSettled(reads)).map((r) =>
    r.status === 'fulfilled' ? String(r.value.kvs[0]?.value) : (r.reason as Error).name,
  );
}

describe('RangeBatcher', () => {
  describe('rangeBatchKey', () => {
    const cases: { name: string; request: RawRangeRequest; timeoutMs?: number; want: string | undefined }[] =
      [
        { name: 'a first page of now', request: firstPage('/a/'), want: '0/default-deadline' },
        {
          name: 'a first page at a revision, with its own deadline',
          request: firstPage('/a/', '42'),
          timeoutMs: 500,
          want: '42/own-deadline',
        },
        { name: 'one key', request: { key: Buffer.from('/a'), revision: '0' }, want: '0/default-deadline' },
        {
          name: 'a count of a whole prefix',
          request: { key: Buffer.from('/a/'), range_end: Buffer.from('/a0'), count_only: true },
          want: '0/default-deadline',
        },
        {
          name: 'a serializable read goes alone',
          request: { ...firstPage('/a/'), serializable: true },
          want: undefined,
        },
        {
          name: 'an unbounded range goes alone',
          request: { ...firstPage('/a/'), limit: '0' },
          want: undefined,
        },
        {
          name: 'a page of more keys than a first page goes alone',
          request: { ...firstPage('/a/'), limit: String(MAX_BATCHED_RANGE_KEYS + 1) },
          want: undefined,
        },
      ];
    for (const c of cases) {
      it(c.name, () => {
        assert.equal(
          rangeBatchKey(c.request, c.timeoutMs === undefined ? {} : { timeoutMs: c.timeoutMs }),
          c.want,
        );
      });
    }
  });

  describe('planRangeBatches', () => {
    const cases: { name: string; keys: (string | undefined)[]; maxOps: number; want: number[][] }[] = [
      { name: 'a lone read', keys: ['0'], maxOps: 128, want: [[0]] },
      { name: 'reads of one revision share a group', keys: ['0', '0', '0'], maxOps: 128, want: [[0, 1, 2]] },
      {
        name: 'other revisions and unbatchable reads apart',
        keys: ['0', '5', undefined, '0', '5'],
        maxOps: 128,
        want: [[2], [0, 3], [1, 4]],
      },
      {
        name: 'over the most ops: equal groups',
        keys: ['0', '0', '0', '0', '0'],
        maxOps: 4,
        want: [
          [0, 1, 2],
          [3, 4],
        ],
      },
    ];
    for (const c of cases) {
      it(c.name, () => assert.deepEqual(planRangeBatches(c.keys, c.maxOps), c.want));
    }

    it(`cuts 300 reads into 3 groups of at most ${MAX_TXN_OPS}, each read once`, () => {
      const groups = planRangeBatches(new Array<string>(300).fill('0'), MAX_TXN_OPS);
      assert.deepEqual(
        groups.map((g) => g.length),
        [100, 100, 100],
      );
      assert.deepEqual(
        groups.flat().sort((a, b) => a - b),
        [...Array(300).keys()],
      );
    });
  });

  describe('sending', () => {
    it('sends a lone read as a plain Range, in the same turn', async () => {
      const sender = new FakeSender();
      const batcher = new RangeBatcher(sender);
      const sent = new Promise<string>((resolve) => (sender.onCall = () => resolve('sent')));
      const nextTurn = new Promise<string>((resolve) => setImmediate(() => resolve('next turn')));
      const reading = batcher.range(firstPage('/a/'), { timeoutMs: 1_000 });
      assert.equal(await Promise.race([sent, nextTurn]), 'sent');
      const answer = await reading;
      assert.deepEqual(sender.paths(), ['Range']);
      assert.equal(sender.calls[0]!.options.timeoutMs, 1_000);
      assert.equal(answer.kvs[0]!.value.toString(), '/a/');
    });

    it("sends the reads of one turn as one Txn and gives each its own answer with the Txn's header", async () => {
      const sender = new FakeSender();
      const batcher = new RangeBatcher(sender);
      const prefixes = ['/a/', '/b/', '/c/'];
      const answers = await Promise.all(prefixes.map((p) => batcher.range(firstPage(p))));
      assert.deepEqual(sender.paths(), ['Txn']);
      assert.deepEqual(
        answers.map((a) => a.kvs[0]!.value.toString()),
        prefixes,
      );
      for (const a of answers) assert.equal(a.header?.revision, '7');
    });

    it('takes in reads issued a few awaits deeper in the same turn', async () => {
      const sender = new FakeSender();
      const batcher = new RangeBatcher(sender);
      const deeper = async (prefix: string, depth: number): Promise<RawRangeResponse> => {
        for (let i = 0; i < depth; i++) await Promise.resolve();
        return batcher.range(firstPage(prefix));
      };
      await Promise.all([deeper('/a/', 0), deeper('/b/', 3), deeper('/c/', 10)]);
      assert.deepEqual(sender.paths(), ['Txn']);
    });

    it('keeps serializable reads and other revisions out of the Txn', async () => {
      const sender = new FakeSender();
      const batcher = new RangeBatcher(sender);
      await Promise.all([
        batcher.range(firstPage('/a/')),
        batcher.range(firstPage('/b/')),
        batcher.range({ ...firstPage('/c/'), serializable: true }),
        batcher.range(firstPage('/d/', '5')),
      ]);
      assert.deepEqual(sender.paths().sort(), ['Range', 'Range', 'Txn']);
      const txn = sender.calls.find((c) => c.path.endsWith('/Txn'))!.request as RawTxnRequest;
      assert.deepEqual(
        txn.success.map((op) => op.request_range!.key.toString()),
        ['/a/', '/b/'],
      );
    });

    it('after a failed Txn, sends each read alone: each caller gets its own answer or error', async () => {
      const sender = new FakeSender();
      sender.refused.set('/b/', new PermissionDeniedError('etcdserver: permission denied'));
      sender.refused.set(
        '/c/',
        new CompactedError('etcdserver: mvcc: required revision has been compacted', 0n),
      );
      const batcher = new RangeBatcher(sender);
      const results = await outcomes(['/a/', '/b/', '/c/', '/d/'].map((p) => batcher.range(firstPage(p))));
      assert.deepEqual(sender.paths(), ['Txn', 'Range', 'Range', 'Range', 'Range']);
      assert.deepEqual(results, ['/a/', 'PermissionDeniedError', 'CompactedError', '/d/']);
    });

    it("sends the Txn within the earliest caller's deadline, and each retry within what is left of its own", async () => {
      const sender = new FakeSender();
      sender.txnError = new DeadlineExceededError('context deadline exceeded');
      const batcher = new RangeBatcher(sender);
      const results = await outcomes([
        batcher.range(firstPage('/a/'), { timeoutMs: 5_000 }),
        batcher.range(firstPage('/b/'), { timeoutMs: 60_000 }),
      ]);
      const [txn, ...ranges] = sender.calls;
      assert.ok(txn!.options.timeoutMs! <= 5_000 && txn!.options.timeoutMs! > 4_000);
      assert.deepEqual(
        ranges.map((c) => (c.request as RawRangeRequest).key.toString()),
        ['/a/', '/b/'],
      );
      assert.ok(ranges[0]!.options.timeoutMs! <= 5_000);
      assert.ok(ranges[1]!.options.timeoutMs! > 5_000 && ranges[1]!.options.timeoutMs! <= 60_000);
      assert.deepEqual(results, ['/a/', '/b/']);
    });

    it('fails a read whose deadline passed while its Txn failed, without sending it again', async () => {
      const sender = new FakeSender();
      sender.txnError = new DeadlineExceededError('context deadline exceeded');
      const batcher = new RangeBatcher(sender);
      // A deadline of 0 ms has passed by the time the Txn fails.
      const results = await outcomes([
        batcher.range(firstPage('/a/'), { timeoutMs: 0 }),
        batcher.range(firstPage('/b/'), { timeoutMs: 60_000 }),
      ]);
      assert.deepEqual(sender.paths(), ['Txn', 'Range']);
      assert.deepEqual(results, ['DeadlineExceededError', '/b/']);
    });

    it('fails every read of a Txn refused by a closed client, without sending them again', async () => {
      const sender = new FakeSender();
      sender.txnError = new ClientClosedError();
      const batcher = new RangeBatcher(sender);
      const results = await outcomes([batcher.range(firstPage('/a/')), batcher.range(firstPage('/b/'))]);
      assert.deepEqual(sender.paths(), ['Txn']);
      assert.deepEqual(results, ['ClientClosedError', 'ClientClosedError']);
    });
  });
});
