// `etcd-config-operator watch` when etcd's history goes back under it (restore from an older
// snapshot, wipe with a new cluster token): one clear `reset` line, then exit 1 — or, with
// --on-reset=resume, the same line and the watch goes on from etcd's revision then.
import { strict as assert } from 'node:assert';
import { WatchProcess } from './support/watch-process.js';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EtcdCluster, etcdVersionsUnderTest } from '../../src/envtest/index.js';
import { EtcdClient } from '../../src/etcd/index.js';

for (const etcd of etcdVersionsUnderTest()) {
  describe(`on etcd ${etcd.version}`, () => {
    describe('etcd-config-operator watch when etcd goes back', function () {
      this.timeout(120_000);
      let cluster: EtcdCluster;
      let dir: string;
      const running: WatchProcess[] = [];
      const watch = (...args: string[]): WatchProcess => {
        const p = new WatchProcess(args);
        running.push(p);
        return p;
      };
      const unique = (): string => `/e2e/${randomUUID()}/`;
      const endpoints = (): string => cluster.endpoints.join(',');

      before(async () => {
        cluster = await EtcdCluster.start({ etcdBin: etcd.etcdBin, etcdctlBin: etcd.etcdctlBin });
        dir = await mkdtemp(join(tmpdir(), 'cli-watch-reset-'));
      });
      after(async () => {
        await cluster?.close();
        if (dir) await rm(dir, { recursive: true, force: true });
      });
      afterEach(async () => {
        await Promise.all(running.splice(0).map((p) => p.kill()));
      });

      it('prints one reset line naming both revisions and exits 1 after a restore to an older snapshot', async () => {
        const prefix = unique();
        const client = new EtcdClient({ endpoints: cluster.endpoints });
        try {
          await client.kv.put(`${prefix}a`, '1');
          const snapshotRevision = await cluster.snapshotSave(join(dir, 'exit.db'));
          const w = watch(prefix, '--endpoints', endpoints(), '--output', 'json');
          await w.until(() => w.lines.some((l) => l.type === 'created'), 'the created line');
          const { revision: seen } = await client.kv.put(`${prefix}b`, '1');
          await w.until(() => w.lines.some((l) => l.modRevision === String(seen)), 'the put');

          await cluster.restore(join(dir, 'exit.db'));
          assert.equal(await w.exited, 1);
          const resets = w.lines.filter((l) => l.type === 'reset');
          assert.deepEqual(resets, [
            { type: 'reset', revision: String(seen), etcdRevision: String(snapshotRevision) },
          ]);
          assert.equal(w.lines.at(-1)?.type, 'reset', 'nothing after the reset line');
          assert.match(w.stderr, new RegExp(`went back from revision ${seen} to ${snapshotRevision}`));
          assert.match(w.stderr, /--on-reset=resume/);
        } finally {
          await client.close();
        }
      });

      it('with --on-reset=resume prints the reset line (text: a # line) and goes on from etcd’s revision', async () => {
        const prefix = unique();
        const client = new EtcdClient({ endpoints: cluster.endpoints });
        try {
          await client.kv.put(`${prefix}a`, 'before');
          const snapshotRevision = await cluster.snapshotSave(join(dir, 'resume.db'));
          const w = watch(prefix, '--endpoints', endpoints(), '--on-reset=resume');
          await w.until(() => w.stderr.includes('# watch created'), 'the created line');
          const { revision: seen } = await client.kv.put(`${prefix}b`, 'lost');
          await w.until(() => w.stdout.includes('lost'), 'the put');

          await cluster.restore(join(dir, 'resume.db'));
          await w.until(() => w.stderr.includes('# reset:'), 'the reset line');
          assert.match(
            w.stderr,
            new RegExp(`^# reset: etcd went back from revision ${seen} to ${snapshotRevision}$`, 'm'),
          );
          await client.kv.put(`${prefix}c`, 'after');
          await w.until(() => w.stdout.includes('after'), 'the put after the restore');
          assert.equal(w.exitCode, undefined, 'still running');
          w.interrupt();
          assert.equal(await w.exited, 0);
          assert.equal(w.stdout, `PUT\n${prefix}b\nlost\nPUT\n${prefix}c\nafter\n`);
        } finally {
          await client.close();
        }
      });

      it('names both cluster IDs when another cluster answers at the same address (resume: JSON)', async () => {
        const prefix = unique();
        const client = new EtcdClient({ endpoints: cluster.endpoints });
        try {
          const before = (await client.status()).clusterId;
          const w = watch(prefix, '--endpoints', endpoints(), '--output', 'json', '--on-reset', 'resume');
          await w.until(() => w.lines.some((l) => l.type === 'created'), 'the created line');
          const { revision: seen } = await client.kv.put(`${prefix}a`, '1');
          await w.until(() => w.lines.some((l) => l.modRevision === String(seen)), 'the put');

          await cluster.wipe({ newClusterToken: true });
          const after = (await client.status()).clusterId;
          await w.until(() => w.lines.some((l) => l.type === 'reset'), 'the reset line');
          const reset = w.lines.find((l) => l.type === 'reset')!;
          assert.equal(reset.revision, String(seen));
          assert.equal(reset.previousClusterId, before);
          assert.equal(reset.clusterId, after);
          assert.notEqual(before, after);
          const { revision: next } = await client.kv.put(`${prefix}b`, '2');
          await w.until(
            () => w.lines.some((l) => l.modRevision === String(next)),
            'the put on the new cluster',
          );
          w.interrupt();
          assert.equal(await w.exited, 0);
        } finally {
          await client.close();
        }
      });
    });
  });
}
