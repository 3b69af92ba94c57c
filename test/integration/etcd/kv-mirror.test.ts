import { strict as assert } from 'node:assert';
import { EtcdCluster, etcdVersionsUnderTest } from '../../../src/envtest/index.js';
import {
  CompactedError,
  EtcdClient,
  RequestTooLargeError,
  PrefixMirror,
  type KeyValue,
  type MirrorUpdate,
} from '../../../src/etcd/index.js';
import { inParallel, uniquePrefix, waitFor } from './helpers.js';

const render = (kvs: readonly KeyValue[]): string[] =>
  kvs.map((kv) => `${kv.key.toString()}=${kv.value.toString()}`);

for (const etcd of etcdVersionsUnderTest()) {
  describe(`on etcd ${etcd.version}`, () => {
    describe('etcd kv and PrefixMirror', function () {
      this.timeout(90_000);
      let cluster: EtcdCluster;
      let client: EtcdClient;
      before(async () => {
        cluster = await EtcdCluster.start({
          etcdBin: etcd.etcdBin,
          etcdctlBin: etcd.etcdctlBin,
          extraArgs: ['--experimental-watch-progress-notify-interval', '500ms'],
        });
        client = new EtcdClient({ endpoints: cluster.endpoints });
      });
      after(async () => {
        await client?.close();
        await cluster?.close();
      });

      describe('kv', () => {
        it('pages a big prefix at one revision even while it is being written', async () => {
          const prefix = uniquePrefix('pages');
          await inParallel(
            2500,
            32,
            async (i) => void (await client.kv.put(`${prefix}${String(i).padStart(5, '0')}`, 'a')),
          );
          let isStopped = false;
          const writes = (async () => {
            for (let i = 0; !isStopped; i++)
              await client.kv.put(`${prefix}${String(i % 3000).padStart(5, '0')}`, `b${i}`);
          })();
          const paged = await client.kv.range({ prefix, pageSize: 100 });
          isStopped = true;
          await writes;
          const whole = await client.kv.range({ prefix, revision: paged.revision, pageSize: 100_000 });
          assert.ok(paged.kvs.length >= 2500);
          assert.deepEqual(render(paged.kvs), render(whole.kvs));
          assert.equal(typeof paged.revision, 'bigint');
        });

        it('reads an older revision, gets a missing key as undefined, deletes a prefix with prev_kv', async () => {
          const prefix = uniquePrefix('kv');
          const { revision: r1 } = await client.kv.put(`${prefix}a`, '1');
          await client.kv.put(`${prefix}a`, '2');
          await client.kv.put(`${prefix}b`, '3');
          assert.equal((await client.kv.get(`${prefix}a`, { revision: r1 }))?.value.toString(), '1');
          assert.equal(await client.kv.get(`${prefix}missing`), undefined);
          const del = await client.kv.delete({ prefix }, { prevKv: true });
          assert.equal(del.deleted, 2n);
          assert.deepEqual(render(del.prevKvs), [`${prefix}a=2`, `${prefix}b=3`]);
          assert.deepEqual((await client.kv.range({ prefix })).kvs, []);
        });

        it('runs the success or failure branch of a txn by its compares', async () => {
          const prefix = uniquePrefix('txn');
          const { revision } = await client.kv.put(`${prefix}lock`, 'me');
          const ok = await client.kv.txn({
            compare: [{ key: `${prefix}lock`, target: 'modRevision', result: '=', value: revision }],
            success: [{ type: 'put', key: `${prefix}x`, value: 'won' }],
            failure: [{ type: 'range', key: `${prefix}lock` }],
          });
          assert.equal(ok.succeeded, true);
          const lost = await client.kv.txn({
            compare: [{ key: `${prefix}lock`, target: 'value', result: '=', value: 'someone-else' }],
            success: [{ type: 'put', key: `${prefix}x`, value: 'stolen' }],
            failure: [{ type: 'range', key: `${prefix}lock` }],
          });
          assert.equal(lost.succeeded, false);
          const r = lost.responses[0]!;
          assert.equal(r.type === 'range' && r.kvs[0]!.value.toString(), 'me');
          assert.equal((await client.kv.get(`${prefix}x`))?.value.toString(), 'won');
        });

        it("throws RequestTooLargeError for a put over --max-request-bytes, and over gRPC's limit above it", async () => {
          const prefix = uniquePrefix('too-large');
          // etcd's default limit is 1.5 MiB; its gRPC server refuses anything over that + 512 KiB outright.
          for (const [bytes, code] of [
            [1.6 * 1024 * 1024, 3], // InvalidArgument "etcdserver: request is too large"
            [3 * 1024 * 1024, 8], // ResourceExhausted "grpc: received message larger than max"
          ] as const) {
            await assert.rejects(client.kv.put(`${prefix}v`, Buffer.alloc(Math.round(bytes), 'x')), (err) => {
              assert.ok(err instanceof RequestTooLargeError, String(err));
              assert.equal(err.code, code);
              return true;
            });
          }
          assert.equal(await client.kv.get(`${prefix}v`), undefined, 'nothing written');
        });

        it('throws CompactedError when reading a compacted revision', async () => {
          const prefix = uniquePrefix('compacted');
          const { revision: old } = await client.kv.put(`${prefix}a`, '1');
          const { revision } = await client.kv.put(`${prefix}a`, '2');
          await client.kv.compact(revision);
          await assert.rejects(client.kv.get(`${prefix}a`, { revision: old }), CompactedError);
        });
      });

      describe('PrefixMirror', () => {
        it('starts from a paginated snapshot and stays equal to etcd through puts, deletes and txns', async () => {
          const prefix = uniquePrefix('mirror');
          await inParallel(1200, 32, async (i) => void (await client.kv.put(`${prefix}${i}`, 'v0')));
          const mirror = new PrefixMirror(client, prefix, { pageSize: 500 });
          const updates: MirrorUpdate[] = [];
          mirror.on('update', (u) => updates.push(u));
          await mirror.start();
          assert.deepEqual(
            render(mirror.snapshot().entries),
            render((await client.kv.range({ prefix })).kvs),
          );
          await client.kv.put(`${prefix}new`, 'n');
          await client.kv.delete({ key: `${prefix}7` });
          const { revision } = await client.kv.txn({
            success: [
              { type: 'put', key: `${prefix}1`, value: 'v1' },
              { type: 'delete', key: `${prefix}2` },
            ],
          });
          await waitFor('mirror at the txn', () => mirror.snapshot().revision >= revision);
          const snap = mirror.snapshot();
          assert.deepEqual(
            render(snap.entries),
            render((await client.kv.range({ prefix, revision: snap.revision })).kvs),
          );
          assert.equal(updates.at(-1)!.changes.length, 2, 'the txn arrives as one update');
          await mirror.close();
          await mirror.close(); // idempotent
        });

        it('survives a listener that throws: the change is read again, and later ones still arrive', async () => {
          const prefix = uniquePrefix('throwing');
          await client.kv.put(`${prefix}a`, '1');
          const mirror = new PrefixMirror(client, prefix);
          const resyncs: bigint[] = [];
          let throws = 1;
          mirror.on('update', () => {
            if (throws-- > 0) throw new Error('listener bug');
          });
          mirror.on('resync', (c) => resyncs.push(c.revision));
          mirror.on('error', () => undefined);
          await mirror.start();
          const { revision } = await client.kv.put(`${prefix}b`, '2');
          // The failed update is healed by a fresh snapshot that holds the change.
          await waitFor('a resync past the change', () => resyncs.some((r) => r >= revision));
          const later = await client.kv.put(`${prefix}c`, '3');
          await waitFor('the next change followed', () => mirror.snapshot().revision >= later.revision);
          assert.deepEqual(render(mirror.snapshot().entries), [
            `${prefix}a=1`,
            `${prefix}b=2`,
            `${prefix}c=3`,
          ]);
          await mirror.close();
        });

        it('advances its revision on an idle prefix through progress notifications', async () => {
          const prefix = uniquePrefix('idle');
          await client.kv.put(`${prefix}a`, '1');
          const mirror = new PrefixMirror(client, prefix);
          await mirror.start();
          const { revision: elsewhere } = await client.kv.put(uniquePrefix('elsewhere'), 'x');
          await waitFor(
            'progress past a write elsewhere',
            () => mirror.snapshot().revision >= elsewhere,
            20_000,
          );
          assert.deepEqual(render(mirror.snapshot().entries), [`${prefix}a=1`]);
          await mirror.close();
        });
      });
    });
  });
}
