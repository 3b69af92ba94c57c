// etcd going back in time under a live watch: restored from an older snapshot, wiped, or replaced by
// another cluster at the same address. A watch that had seen a higher revision must end with
// RevisionWentBackError instead of waiting for revisions that will not come back; a PrefixMirror
// announces `wentBack` and resyncs to what etcd holds now.
import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EtcdCluster, etcdVersionsUnderTest } from '../../../src/envtest/index.js';
import {
  EtcdClient,
  PrefixMirror,
  RevisionWentBackError,
  type MirrorSnapshot,
} from '../../../src/etcd/index.js';
import { Collector, uniquePrefix, waitFor } from './helpers.js';

/** Deadline of each wait: a restore restarts etcd, which takes a few seconds on a loaded machine. */
const WAIT_MS = 30_000;

/** The error a watch ended with, once it is a RevisionWentBackError. */
async function wentBackOf(c: Collector): Promise<RevisionWentBackError> {
  await waitFor('the watch to end', () => c.isDone, WAIT_MS);
  assert.ok(c.error instanceof RevisionWentBackError, `ended with ${String(c.error)}`);
  return c.error;
}

for (const etcd of etcdVersionsUnderTest()) {
  describe(`on etcd ${etcd.version}`, () => {
    describe('etcd going back in time', function () {
      this.timeout(90_000);
      let cluster: EtcdCluster;
      let dir: string;
      before(async () => {
        cluster = await EtcdCluster.start({ etcdBin: etcd.etcdBin, etcdctlBin: etcd.etcdctlBin });
        dir = await mkdtemp(join(tmpdir(), 'watch-history-reset-'));
      });
      after(async () => {
        await cluster?.close();
        if (dir) await rm(dir, { recursive: true, force: true });
      });

      it('a live watch ends with RevisionWentBackError naming both revisions when etcd is restored from an older snapshot', async () => {
        const prefix = uniquePrefix('restore-watch');
        const client = new EtcdClient({ endpoints: cluster.endpoints });
        try {
          await client.kv.put(`${prefix}a`, '1');
          const snapshotRevision = await cluster.snapshotSave(join(dir, 'restore-watch.db'));
          const c = new Collector(client.watch({ key: prefix, prefix: true }));
          await waitFor('created', () => c.count('created') === 1, WAIT_MS);
          await client.kv.put(`${prefix}b`, '1');
          const { revision: seen } = await client.kv.put(`${prefix}c`, '1');
          await c.waitForRevision(seen, WAIT_MS);

          await cluster.restore(join(dir, 'restore-watch.db'));
          const err = await wentBackOf(c);
          assert.equal(err.seenRevision, seen);
          assert.equal(err.etcdRevision, snapshotRevision);
          assert.ok(err.etcdRevision < seen);
          assert.equal(err.previousClusterId, undefined, 'a restore keeps the cluster ID');
          assert.equal(err.clusterId, undefined);
          assert.match(err.message, new RegExp(`from revision ${seen} to ${snapshotRevision}`));
          assert.equal(c.lastRevision, seen, 'nothing of the restored history was delivered');
        } finally {
          await client.close();
        }
      });

      it('a watch from a revision ends the same way, and a watch started after the restore just works', async () => {
        const prefix = uniquePrefix('restore-from');
        const client = new EtcdClient({ endpoints: cluster.endpoints });
        try {
          const { revision: first } = await client.kv.put(`${prefix}a`, '1');
          const snapshotRevision = await cluster.snapshotSave(join(dir, 'restore-from.db'));
          const c = new Collector(client.watch({ key: prefix, prefix: true, fromRevision: first }));
          const { revision: seen } = await client.kv.put(`${prefix}a`, '2');
          await c.waitForRevision(seen, WAIT_MS);

          await cluster.restore(join(dir, 'restore-from.db'));
          const err = await wentBackOf(c);
          assert.equal(err.seenRevision, seen);
          assert.equal(err.etcdRevision, snapshotRevision);

          const after = new Collector(client.watch({ key: prefix, prefix: true }));
          await waitFor('created after the restore', () => after.count('created') === 1, WAIT_MS);
          const { revision: next } = await client.kv.put(`${prefix}a`, 'after');
          await after.waitForRevision(next, WAIT_MS);
          assert.equal(after.events.at(-1)?.value.toString(), 'after');
          assert.equal(after.error, undefined);
          await after.watch.cancel();
        } finally {
          await client.close();
        }
      });

      it('a PrefixMirror emits wentBack, then a resync with the restored content at the lower revision', async () => {
        const prefix = uniquePrefix('restore-mirror');
        const client = new EtcdClient({ endpoints: cluster.endpoints });
        const mirror = new PrefixMirror(client, prefix);
        const seenEvents: string[] = [];
        const wentBack: RevisionWentBackError[] = [];
        const resyncs: MirrorSnapshot[] = [];
        mirror.on('wentBack', (err) => {
          seenEvents.push('wentBack');
          wentBack.push(err);
        });
        mirror.on('resync', () => {
          seenEvents.push('resync');
          resyncs.push(mirror.snapshot());
        });
        try {
          await client.kv.put(`${prefix}keep`, 'v1');
          await client.kv.put(`${prefix}gone`, 'v1');
          const snapshotRevision = await cluster.snapshotSave(join(dir, 'restore-mirror.db'));
          await mirror.start();
          await client.kv.put(`${prefix}keep`, 'v2');
          await client.kv.delete({ key: `${prefix}gone` });
          const { revision: last } = await client.kv.put(`${prefix}new`, 'v1');
          await waitFor('the mirror at the last write', () => mirror.snapshot().revision >= last, WAIT_MS);

          await cluster.restore(join(dir, 'restore-mirror.db'));
          await waitFor('the resync', () => resyncs.length > 0, WAIT_MS);
          assert.deepEqual(seenEvents, ['wentBack', 'resync'], 'wentBack first, once');
          assert.equal(wentBack[0]!.seenRevision, last);
          assert.equal(wentBack[0]!.etcdRevision, snapshotRevision);
          const restored = resyncs[0]!;
          assert.equal(restored.revision, snapshotRevision);
          assert.deepEqual(
            restored.entries.map((kv) => `${kv.key.toString().slice(prefix.length)}=${kv.value.toString()}`),
            ['gone=v1', 'keep=v1'],
          );
          assert.equal(mirror.snapshot().revision, snapshotRevision, 'the mirror takes the lower revision');

          // And it follows the restored etcd from there.
          const { revision: next } = await client.kv.put(`${prefix}keep`, 'v3');
          await waitFor('the mirror follows', () => mirror.snapshot().revision >= next, WAIT_MS);
          assert.equal(
            mirror
              .snapshot()
              .entries.find((kv) => kv.key.toString() === `${prefix}keep`)
              ?.value.toString(),
            'v3',
          );
        } finally {
          await mirror.close();
          await client.close();
        }
      });

      it('a wiped etcd (same cluster token, so the same cluster ID) ends the watch at revision 1', async () => {
        const prefix = uniquePrefix('wipe');
        const client = new EtcdClient({ endpoints: cluster.endpoints });
        try {
          const before = await client.status();
          const c = new Collector(client.watch({ key: prefix, prefix: true }));
          await waitFor('created', () => c.count('created') === 1, WAIT_MS);
          const { revision: seen } = await client.kv.put(`${prefix}a`, '1');
          await c.waitForRevision(seen, WAIT_MS);

          await cluster.wipe();
          const err = await wentBackOf(c);
          assert.equal(err.seenRevision, seen);
          assert.equal(err.etcdRevision, 1n);
          assert.equal(err.clusterId, undefined);
          assert.equal((await client.status()).clusterId, before.clusterId);
        } finally {
          await client.close();
        }
      });

      it('another cluster at the same address (wiped with a new token) ends every watch with a resume point, naming both cluster IDs', async () => {
        const prefix = uniquePrefix('new-cluster');
        const client = new EtcdClient({ endpoints: cluster.endpoints });
        try {
          const before = await client.status();
          // Two watches with a resume point: one from "now" that has seen an event, one waiting at a
          // future revision that has seen nothing. Only the cluster ID can tell about the second.
          const now = new Collector(client.watch({ key: `${prefix}now/`, prefix: true }));
          await waitFor('created', () => now.count('created') === 1, WAIT_MS);
          const { revision: seen } = await client.kv.put(`${prefix}now/a`, '1');
          await now.waitForRevision(seen, WAIT_MS);
          const from = new Collector(
            client.watch({ key: `${prefix}from/`, prefix: true, fromRevision: seen + 1000n }),
          );
          await waitFor('created', () => from.count('created') === 1, WAIT_MS);

          await cluster.wipe({ newClusterToken: true });
          const after = await client.status();
          assert.notEqual(after.clusterId, before.clusterId);
          for (const [c, seenRevision] of [
            [now, seen],
            [from, seen + 999n],
          ] as const) {
            const err = await wentBackOf(c);
            assert.equal(err.seenRevision, seenRevision);
            assert.equal(err.previousClusterId, before.clusterId);
            assert.equal(err.clusterId, after.clusterId);
            assert.match(err.message, /cluster ID changed/);
          }
        } finally {
          await client.close();
        }
      });
    });
  });
}
