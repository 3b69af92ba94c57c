// Reading a big prefix and mirroring it with bounded memory, on real etcd: KV.pages (byte-sized pages at
// one revision, each with its own deadline, started over after a compaction) and a PrefixMirror with a
// bound on its values and a budget for what it holds.
import { strict as assert } from 'node:assert';
import { EtcdCluster, etcdVersionsUnderTest } from '../../../src/envtest/index.js';
import {
  CompactedError,
  EtcdClient,
  FIRST_PAGE_KEYS,
  MirrorBudgetExceededError,
  MirrorOverBoundError,
  PrefixMirror,
  type KeyValue,
  type MirrorBudget,
  type MirrorContent,
  type RangePageMessage,
} from '../../../src/etcd/index.js';
import { uniquePrefix, waitFor } from './helpers.js';

const KIB = 1024;
const MIB = 1024 * KIB;

const render = (kvs: readonly KeyValue[]): string[] =>
  kvs.map(
    (kv) => `${kv.key.toString()}=${kv.value.length}:${kv.value.subarray(0, 8).toString()}@${kv.modRevision}`,
  );

/** A budget that counts what mirrors take, refusing what would go past `limit`. */
class CountingBudget implements MirrorBudget {
  used = 0;
  constructor(private readonly limit = Number.POSITIVE_INFINITY) {}
  tryTake(bytes: number): boolean {
    if (this.used + bytes > this.limit) return false;
    this.used += bytes;
    return true;
  }
  take(bytes: number): void {
    this.used += bytes;
  }
  give(bytes: number): void {
    this.used -= bytes;
  }
}

for (const etcd of etcdVersionsUnderTest()) {
  describe(`on etcd ${etcd.version}`, () => {
    describe('bounded reads and mirrors', function () {
      this.timeout(120_000);
      let cluster: EtcdCluster;
      let client: EtcdClient;
      before(async () => {
        cluster = await EtcdCluster.start({ etcdBin: etcd.etcdBin, etcdctlBin: etcd.etcdctlBin });
        client = new EtcdClient({ endpoints: cluster.endpoints });
      });
      after(async () => {
        await client?.close();
        await cluster?.close();
      });

      /** The prefix in one Range request (a txn's range op is never paged): the reference. */
      async function oneRange(
        prefix: string,
        revision?: bigint,
      ): Promise<{ revision: bigint; kvs: KeyValue[] }> {
        const res = await client.kv.txn({ success: [{ type: 'range', prefix, revision }] });
        const op = res.responses[0]!;
        assert.ok(op.type === 'range' && !op.more);
        return { revision: revision ?? res.revision, kvs: op.kvs };
      }

      /** `count` values of `bytes` each under `prefix`, keys `k000`…; resolves with the last revision. */
      async function fill(prefix: string, count: number, bytes: number, from = 0): Promise<bigint> {
        let revision = 0n;
        for (let i = from; i < from + count; i++) {
          const value = Buffer.alloc(bytes, String.fromCharCode(97 + (i % 26)));
          revision = (await client.kv.put(`${prefix}k${String(i).padStart(3, '0')}`, value)).revision;
        }
        return revision;
      }

      describe('KV.pages', () => {
        it('pages a prefix of mixed sizes by bytes: the same entries and revision as one Range', async () => {
          const prefix = uniquePrefix('pages-bytes');
          await fill(prefix, 6, 700 * KIB);
          await fill(prefix, 240, 100, 6);
          const pages: RangePageMessage[] = [];
          for await (const m of client.kv.pages({ prefix })) pages.push(m);
          const reference = await oneRange(prefix, pages[0]!.revision);
          const kvs = pages.flatMap((p) => (p.type === 'page' ? p.kvs : []));
          assert.deepEqual(render(kvs), render(reference.kvs));
          assert.ok(pages.every((p) => p.type === 'page' && p.revision === reference.revision));
          assert.ok(pages.length > 6, `${pages.length} pages`);
          // Past the first page (4 keys, sizes unknown), a page holds one big value or about 1 MiB.
          for (const p of pages.slice(1)) {
            assert.ok(
              p.type === 'page' && (p.kvs.length === 1 || p.bytes <= 2 * MIB),
              `${p.type === 'page' ? p.bytes : 0} bytes`,
            );
          }
          const last = pages.filter((p) => p.type === 'page' && p.isLast);
          assert.deepEqual(last, [pages.at(-1)], 'the last page, and only it, says so');
          // And range() puts the same pages together.
          assert.deepEqual(
            render((await client.kv.range({ prefix, revision: reference.revision })).kvs),
            render(reference.kvs),
          );
        });

        it('reads 12 MB of 1 MB values in pages of one value, each within a 2 s deadline', async () => {
          const prefix = uniquePrefix('pages-deadline');
          await fill(prefix, 12, 1_000_000);
          const pages: RangePageMessage[] = [];
          for await (const m of client.kv.pages({ prefix, pageTimeoutMs: 2_000 })) pages.push(m);
          const sizes = pages.map((p) => (p.type === 'page' ? p.kvs.length : -1));
          assert.equal(
            sizes.reduce((a, b) => a + b, 0),
            12,
          );
          assert.ok(
            sizes.slice(1).every((n) => n === 1),
            `keys per page: ${sizes.join(', ')}`,
          );
        });

        it('starts over at the current revision when the first page’s revision is compacted between pages', async () => {
          const prefix = uniquePrefix('pages-compacted');
          await fill(prefix, 30, 10);
          const seen: RangePageMessage[] = [];
          let compactedAt: bigint | undefined;
          for await (const m of client.kv.pages({ prefix, pageSize: 8 })) {
            seen.push(m);
            if (compactedAt === undefined) {
              // After the first page: change the prefix, and compact past the read's revision.
              await client.kv.delete({ key: `${prefix}k000` });
              compactedAt = await fill(prefix, 2, 10, 100);
              await client.kv.compact(compactedAt);
            }
          }
          const restart = seen.findIndex((m) => m.type === 'restart');
          assert.ok(restart > 0, `a restart after the first page: ${seen.map((m) => m.type).join(', ')}`);
          const after = seen.slice(restart + 1).flatMap((m) => (m.type === 'page' ? [m] : []));
          const revision = after[0]!.revision;
          assert.ok(revision >= compactedAt!, 'the read starts over at a revision past the compaction');
          const reference = await oneRange(prefix, revision);
          assert.deepEqual(render(after.flatMap((p) => p.kvs)), render(reference.kvs));
          assert.equal(reference.kvs.length, 31);
          // range() keeps only the last attempt.
          const whole = await client.kv.range({ prefix, pageSize: 8 });
          assert.deepEqual(render(whole.kvs), render((await oneRange(prefix, whole.revision)).kvs));
        });

        it('throws CompactedError for a requested revision that is compacted, without starting over', async () => {
          const prefix = uniquePrefix('pages-pinned');
          const old = await fill(prefix, 3, 10);
          const now = await fill(prefix, 3, 10);
          await client.kv.compact(now);
          await assert.rejects(client.kv.range({ prefix, revision: old }), CompactedError);
        });
      });

      describe('PrefixMirror with a bound of 64 KiB', () => {
        const BOUND = 64 * KIB;

        it('keeps a summary past the bound, sees deletes only, and follows the values again once back under it', async () => {
          const prefix = uniquePrefix('bounded');
          await fill(prefix, 4, 10 * KIB);
          const budget = new CountingBudget();
          const mirror = new PrefixMirror(client, prefix, { maxValueBytes: BOUND, budget });
          const resyncs: MirrorContent[] = [];
          const rechecks: bigint[] = [];
          mirror.on('resync', (c) => resyncs.push(c));
          mirror.on('recheck', (r) => rechecks.push(r.revision));
          try {
            await mirror.start();
            assert.equal(mirror.content().kind, 'values');
            assert.equal(budget.used, mirror.heldBytes);

            // Over: 4 × 10 KiB + 2 × 20 KiB = 80 KiB, measured exactly from the values it held.
            const over = await fill(prefix, 2, 20 * KIB, 10);
            await waitFor('the mirror at the put', () => mirror.content().revision >= over);
            const content = mirror.content();
            assert.ok(content.kind === 'overBound', content.kind);
            assert.equal(content.valueBytes, 80 * KIB);
            assert.equal(content.keyCount, 6);
            assert.equal(content.unmeasuredKeyCount, 0);
            assert.deepEqual(
              content.largest
                .slice(0, 2)
                .map((k) => `${k.key.toString().slice(prefix.length)}:${k.valueBytes}`),
              [`k010:${20 * KIB}`, `k011:${20 * KIB}`],
            );
            assert.throws(() => mirror.snapshot(), MirrorOverBoundError);
            assert.ok(mirror.heldBytes < 4 * KIB, `holds ${mirror.heldBytes} bytes: a summary`);
            assert.equal(budget.used, mirror.heldBytes);

            // Puts are left out by the watch; a delete arrives, counts a key out and asks for a read.
            await fill(prefix, 1, 30 * KIB, 20);
            const { revision: deleted } = await client.kv.delete({ key: `${prefix}k000` });
            const reread = await waitFor('a read after the delete', () =>
              resyncs.find((r) => r.revision >= deleted),
            );
            assert.ok(rechecks.length >= 1);
            assert.ok(reread.kind === 'overBound', reread.kind);
            assert.equal(reread.keyCount, 6, 'k001-k003, k010, k011 and the put k020');
            assert.equal(reread.unmeasuredKeyCount, 0);
            assert.equal(reread.valueBytes, 100 * KIB);

            // Back under: the values are read at one revision, and the mirror follows them again.
            const { revision: under } = await client.kv.delete({
              key: `${prefix}k011`,
              rangeEnd: `${prefix}k021`,
            });
            const values = await waitFor('a read with values', () =>
              resyncs.find((r) => r.kind === 'values' && r.revision >= under),
            );
            assert.ok(values.kind === 'values');
            assert.deepEqual(render(values.entries), render((await oneRange(prefix, values.revision)).kvs));
            const { revision: next } = await client.kv.put(`${prefix}k000`, 'small');
            await waitFor('the mirror follows puts again', () => mirror.content().revision >= next);
            assert.deepEqual(render(mirror.snapshot().entries), render((await oneRange(prefix, next)).kvs));
            assert.equal(budget.used, mirror.heldBytes);
          } finally {
            await mirror.close();
          }
          assert.equal(budget.used, 0, 'close() gives back everything');
        });

        it('starts over the bound: the first read stops taking values past it and counts the rest; a periodic read sees a put that shrinks it', async () => {
          const prefix = uniquePrefix('bounded-start');
          await fill(prefix, 12, 1_000_000);
          const budget = new CountingBudget();
          const mirror = new PrefixMirror(client, prefix, {
            maxValueBytes: BOUND,
            budget,
            overBoundRecheckMs: 300,
          });
          const resyncs: MirrorContent[] = [];
          mirror.on('resync', (c) => resyncs.push(c));
          try {
            await mirror.start();
            const content = mirror.content();
            assert.ok(content.kind === 'overBound', content.kind);
            assert.equal(content.keyCount, 12);
            const measured = 12 - content.unmeasuredKeyCount;
            assert.ok(
              measured >= 1 && measured <= FIRST_PAGE_KEYS,
              `${measured} keys measured: the first page`,
            );
            assert.equal(content.valueBytes, measured * 1_000_000);
            assert.ok(budget.used < 4 * KIB && budget.used === mirror.heldBytes, `${budget.used} bytes held`);

            // Puts only (no delete): nothing arrives; the periodic read finds it under the bound.
            const { revision } = await client.kv.txn({
              success: Array.from({ length: 12 }, (_, i) => ({
                type: 'put' as const,
                key: `${prefix}k${String(i).padStart(3, '0')}`,
                value: 's',
              })),
            });
            const values = await waitFor('the periodic read', () => resyncs.find((r) => r.kind === 'values'));
            assert.ok(values.kind === 'values' && values.revision >= revision);
            assert.equal(values.entries.length, 12);
          } finally {
            await mirror.close();
          }
          assert.equal(budget.used, 0);
        });
      });

      describe('PrefixMirror with a budget', () => {
        it('admits a first snapshot that fits what is left, refuses one that does not, and takes nothing for it', async () => {
          const a = uniquePrefix('budget-a');
          const b = uniquePrefix('budget-b');
          await fill(a, 3, 20 * KIB);
          await fill(b, 3, 20 * KIB);
          const budget = new CountingBudget(100 * KIB);
          const first = new PrefixMirror(client, a, { budget });
          const second = new PrefixMirror(client, b, { budget });
          try {
            await first.start();
            const held = budget.used;
            assert.ok(held > 60 * KIB && held === first.heldBytes, `${held}`);
            await assert.rejects(second.start(), (err) => {
              assert.ok(err instanceof MirrorBudgetExceededError, String(err));
              assert.ok(err.neededBytes > 100 * KIB - held, `needs ${err.neededBytes}`);
              return true;
            });
            assert.equal(budget.used, held, 'the refused read gave back what it took');
            // An admitted mirror may grow past the budget.
            const { revision } = await client.kv.put(`${a}k100`, Buffer.alloc(60 * KIB));
            await waitFor('the first mirror at its put', () => first.content().revision >= revision);
            assert.ok(budget.used > 100 * KIB && budget.used === first.heldBytes);
            await first.close();
            assert.equal(budget.used, 0);
            await second.start();
            assert.equal(budget.used, second.heldBytes, 'admitted once there is room');
          } finally {
            await first.close();
            await second.close();
          }
          assert.equal(budget.used, 0);
        });
      });
    });
  });
}
