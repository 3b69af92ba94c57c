import { strict as assert } from 'node:assert';
import { EtcdCluster, etcdVersionsUnderTest } from '../../../src/envtest/index.js';
import { EtcdClient, type TxnOp } from '../../../src/etcd/index.js';
import {
  Collector,
  assertExactlyOnce,
  assertNoSplitRevisions,
  historyOf,
  inParallel,
  uniquePrefix,
  waitFor,
} from './helpers.js';

for (const etcd of etcdVersionsUnderTest()) {
  describe(`on etcd ${etcd.version}`, () => {
    describe('etcd watch (single member)', function () {
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

      it('delivers 10,000 puts written 64 at a time exactly once, in revision order', async () => {
        const prefix = uniquePrefix('bulk');
        const writer = new EtcdClient({ endpoints: cluster.endpoints });
        try {
          const watch = client.watch({ key: prefix, prefix: true });
          const c = new Collector(watch);
          await waitFor('created', () => c.count('created') === 1);
          const start = (c.messages[0] as { revision: bigint }).revision;
          // 10,000 single puts (fsync-bound) keep the suite fast; bench:watch and test:chaos run the long ones.
          const total = 10_000;
          const t0 = Date.now();
          let last = 0n;
          await inParallel(total, 64, async (i) => {
            const { revision } = await writer.kv.put(`${prefix}${i % 2000}`, `v${i}`);
            if (revision > last) last = revision;
          });
          await c.waitForRevision(last, 90_000);
          const elapsed = Date.now() - t0;
          console.log(
            `      10k puts: ${elapsed} ms end to end (${Math.round(total / (elapsed / 1000))} events/s)`,
          );
          assert.equal(c.events.length, total);
          assertExactlyOnce(c.events, await historyOf(cluster.endpoints, prefix, start, last));
          await watch.cancel();
          await c.finished;
          assert.equal(c.error, undefined);
        } finally {
          await writer.close();
        }
      });

      it('takes a 100,000-event catch-up (1,000 txns of 100 puts) whole, txns unsplit', async () => {
        const prefix = uniquePrefix('burst');
        let first = 0n;
        let last = 0n;
        await inParallel(1000, 8, async (t) => {
          const ops: TxnOp[] = Array.from({ length: 100 }, (_, k) => ({
            type: 'put',
            key: `${prefix}${k}`,
            value: `${t}`,
          }));
          const { revision } = await client.kv.txn({ success: ops });
          if (first === 0n || revision < first) first = revision;
          if (revision > last) last = revision;
        });
        const t0 = Date.now();
        const c = new Collector(client.watch({ key: prefix, prefix: true, fromRevision: first }));
        await c.waitForRevision(last);
        console.log(`      100k-event catch-up delivered in ${Date.now() - t0} ms`);
        assert.equal(c.events.length, 100_000);
        assertExactlyOnce(c.events, await historyOf(cluster.endpoints, prefix, first - 1n, last));
        assertNoSplitRevisions(c.messages);
        const perRevision = new Map<bigint, number>();
        for (const e of c.events) perRevision.set(e.modRevision, (perRevision.get(e.modRevision) ?? 0) + 1);
        assert.ok([...perRevision.values()].every((n) => n === 100));
        await c.watch.cancel();
      });

      it('delivers the 10 puts of a txn as one message, never split', async () => {
        const prefix = uniquePrefix('txn');
        const c = new Collector(client.watch({ key: prefix, prefix: true }));
        await waitFor('created', () => c.count('created') === 1);
        const ops: TxnOp[] = Array.from({ length: 10 }, (_, i) => ({
          type: 'put',
          key: `${prefix}${i}`,
          value: 'x',
        }));
        const { revision } = await client.kv.txn({ success: ops });
        await c.waitForRevision(revision);
        const batches = c.messages.filter((m) => m.type === 'events');
        assert.equal(batches.length, 1);
        assert.equal(batches[0]!.type === 'events' && batches[0]!.events.length, 10);
        await c.watch.cancel();
      });

      it('attaches prev_kv and applies NOPUT / NODELETE filters', async () => {
        const prefix = uniquePrefix('filters');
        await client.kv.put(`${prefix}a`, 'old');
        const withPrev = new Collector(client.watch({ key: prefix, prefix: true, prevKv: true }));
        const noPut = new Collector(client.watch({ key: prefix, prefix: true, filters: ['noput'] }));
        const noDelete = new Collector(client.watch({ key: prefix, prefix: true, filters: ['nodelete'] }));
        await waitFor('created', () => [withPrev, noPut, noDelete].every((c) => c.count('created') === 1));
        await client.kv.put(`${prefix}a`, 'new');
        const { revision } = await client.kv.delete({ key: `${prefix}a` });
        await withPrev.waitForRevision(revision);
        await noPut.waitForRevision(revision);
        // NODELETE sees only the put; wait for it, then make sure nothing else follows up to a marker.
        const marker = await client.kv.put(`${prefix}marker`, '');
        await noDelete.waitForRevision(marker.revision);
        assert.deepEqual(
          withPrev.events
            .filter((e) => e.modRevision <= revision)
            .map((e) => [e.type, e.value.toString(), e.prevKv?.value.toString()]),
          [
            ['put', 'new', 'old'],
            ['delete', '', 'new'],
          ],
        );
        assert.deepEqual(
          noPut.events.filter((e) => e.modRevision <= revision).map((e) => e.type),
          ['delete'],
        );
        assert.deepEqual(
          noDelete.events.map((e) => [e.type, e.key.toString()]),
          [
            ['put', `${prefix}a`],
            ['put', `${prefix}marker`],
          ],
        );
        for (const c of [withPrev, noPut, noDelete]) await c.watch.cancel();
      });

      it('waits at a future revision and starts exactly there', async () => {
        const prefix = uniquePrefix('future');
        const { revision: now } = await client.kv.put(`${prefix}x`, '0');
        const c = new Collector(client.watch({ key: prefix, prefix: true, fromRevision: now + 5n }));
        let last = now;
        for (let i = 1; i <= 9; i++) last = (await client.kv.put(`${prefix}x`, String(i))).revision;
        await c.waitForRevision(last);
        assert.equal(c.events[0]!.modRevision, now + 5n);
        assert.equal(c.events.length, Number(last - (now + 5n)) + 1);
        await c.watch.cancel();
      });

      it('answers requestProgress on every one of 50 watches on the stream', async () => {
        const prefix = uniquePrefix('progress');
        const collectors = Array.from(
          { length: 50 },
          (_, i) => new Collector(client.watch({ key: `${prefix}${i}` })),
        );
        await waitFor('50 created', () => collectors.every((c) => c.count('created') === 1));
        const { revision } = await client.kv.put(`${prefix}other`, 'x');
        client.requestProgress();
        await waitFor('progress on all 50', () => collectors.every((c) => c.count('progress') >= 1));
        for (const c of collectors) {
          const p = c.messages.find((m) => m.type === 'progress')!;
          assert.ok(p.revision >= revision, `progress ${p.revision} < ${revision}`);
        }
        await Promise.all(collectors.map((c) => c.watch.cancel()));
      });

      it('gives 1,000 watches created at once exactly their own events, and 500 cancelled mid-stream stop cleanly', async () => {
        const prefix = uniquePrefix('many');
        const n = 1000;
        const collectors = Array.from(
          { length: n },
          (_, i) => new Collector(client.watch({ key: `${prefix}${i}` })),
        );
        await waitFor('1000 created', () => collectors.every((c) => c.count('created') === 1), 60_000);
        const writer = new EtcdClient({ endpoints: cluster.endpoints });
        try {
          await inParallel(n, 32, async (i) => void (await writer.kv.put(`${prefix}${i}`, 'a')));
          // Cancel the even half while a second round of writes goes on.
          const round2 = inParallel(n, 32, async (i) => void (await writer.kv.put(`${prefix}${i}`, 'b')));
          await Promise.all(collectors.filter((_, i) => i % 2 === 0).map((c) => c.watch.cancel()));
          await round2;
          const last = (await writer.kv.put(`${prefix}done`, '')).revision;
          for (let i = 1; i < n; i += 2) {
            const c = collectors[i]!;
            await waitFor(`watch ${i} to see both writes`, () => c.events.length >= 2);
            assert.deepEqual(
              c.events.map((e) => `${e.key.toString()}=${e.value.toString()}`),
              [`${prefix}${i}=a`, `${prefix}${i}=b`],
            );
          }
          for (let i = 0; i < n; i += 2) {
            const c = collectors[i]!;
            await c.finished;
            assert.equal(c.error, undefined, 'a cancelled watch ends normally');
            assert.ok(c.events.every((e) => e.key.toString() === `${prefix}${i}`));
          }
          assert.ok(last > 0n);
          await Promise.all(collectors.map((c) => c.watch.cancel()));
        } finally {
          await writer.close();
        }
      });

      it('keeps other watches flowing while one consumer stalls, and the stalled one still gets everything', async () => {
        const prefix = uniquePrefix('slow');
        const logged: string[] = [];
        const logger = {
          error: (m: string) => void logged.push(m),
          warn: (m: string) => void logged.push(m),
          info: (m: string) => void logged.push(m),
          debug: (m: string) => void logged.push(m),
          child: () => logger,
        };
        const small = new EtcdClient({
          endpoints: cluster.endpoints,
          watchBuffer: { maxMessages: 50 },
          logger,
        });
        try {
          const slowWatch = small.watch({ key: prefix, prefix: true });
          const fast = new Collector(small.watch({ key: prefix, prefix: true }));
          await waitFor('created', () => fast.count('created') === 1);
          const start = (fast.messages[0] as { revision: bigint }).revision;
          let last = 0n;
          await inParallel(2000, 16, async (i) => {
            const { revision } = await client.kv.put(`${prefix}${i % 10}`, String(i));
            if (revision > last) last = revision;
          });
          await fast.waitForRevision(last);
          // Nobody has read slowWatch yet; it was paused on etcd instead of buffering 2000 messages.
          assert.ok(logged.includes('watch paused, consumer behind'));
          const slow = new Collector(slowWatch);
          await slow.waitForRevision(last);
          const history = await historyOf(cluster.endpoints, prefix, start, last);
          assertExactlyOnce(fast.events, history);
          assertExactlyOnce(slow.events, history);
        } finally {
          await small.close();
        }
      });
    });
  });
}
