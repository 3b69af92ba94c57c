// Progress notifications move a watch's resume point where etcd sends them in step with the events
// (see src/etcd/watcher.ts): an idle watch that etcd has told it is current survives a disconnect and a
// compaction up to that revision, instead of ending with `compacted` for history it never needed.
import { strict as assert } from 'node:assert';
import { EtcdCluster, etcdVersionsUnderTest } from '../../../src/envtest/index.js';
import { CompactedError, EtcdClient, PrefixMirror } from '../../../src/etcd/index.js';
import { isProgressRequestInStep } from '../../../src/etcd/server-version.js';
import { Collector, TcpProxy, uniquePrefix, waitFor } from './helpers.js';

const WAIT_MS = 20_000;
/** etcd's periodic progress_notify interval for these tests (default 10 minutes). */
const PROGRESS_INTERVAL = '200ms';

/** A prefix beside `prefix` (which ends with `/`): writes there are not the watch's. */
function outside(prefix: string): string {
  return `${prefix.slice(0, -1)}-other/`;
}

/** The highest progress revision a watch has received, 0n if none. */
function progressAt(c: Collector): bigint {
  let max = 0n;
  for (const m of c.messages) if (m.type === 'progress' && m.revision > max) max = m.revision;
  return max;
}

for (const etcd of etcdVersionsUnderTest()) {
  describe(`on etcd ${etcd.version}`, () => {
    describe('progress and the resume point', function () {
      this.timeout(60_000);
      let cluster: EtcdCluster;
      let endpoint: string;
      let direct: EtcdClient;
      let proxy: TcpProxy;
      let viaProxy: EtcdClient;
      before(async () => {
        cluster = await EtcdCluster.start({
          etcdBin: etcd.etcdBin,
          etcdctlBin: etcd.etcdctlBin,
          extraArgs: ['--experimental-watch-progress-notify-interval', PROGRESS_INTERVAL],
        });
        endpoint = cluster.endpoints[0]!;
      });
      after(async () => cluster?.close());
      beforeEach(async () => {
        direct = new EtcdClient({ endpoints: [endpoint] });
        proxy = await TcpProxy.start(endpoint);
        viaProxy = new EtcdClient({ endpoints: [proxy.endpoint], connectTimeoutMs: 500 });
      });
      afterEach(async () => {
        await viaProxy?.close();
        await proxy?.close();
        await direct?.close();
      });

      it("an idle watch resumes from its own progress_notify revision: a disconnect and a compaction up to it lose and repeat nothing, and it is not 'compacted'", async () => {
        const prefix = uniquePrefix('progress-notify');
        const c = new Collector(viaProxy.watch({ key: prefix, prefix: true, progressNotify: true }));
        await waitFor('created', () => c.count('created') === 1, WAIT_MS);
        const { revision: delivered } = await direct.kv.put(`${prefix}a`, '1');
        await c.waitForRevision(delivered, WAIT_MS);
        // The watched prefix goes idle while the rest of etcd moves on.
        let elsewhere = 0n;
        for (let i = 0; i < 3; i++) elsewhere = (await direct.kv.put(`${outside(prefix)}${i}`, 'x')).revision;
        await waitFor(
          `progress_notify at ${elsewhere} (at ${progressAt(c)})`,
          () => progressAt(c) >= elsewhere,
          WAIT_MS,
        );

        proxy.block();
        await direct.kv.compact(elsewhere);
        const { revision: whileAway } = await direct.kv.put(`${prefix}b`, '2');
        proxy.unblock();

        await c.waitForRevision(whileAway, WAIT_MS);
        assert.equal(c.error, undefined);
        assert.deepEqual(
          c.events.map((e) => `${e.modRevision}:${e.key.toString().slice(prefix.length)}`),
          [`${delivered}:a`, `${whileAway}:b`],
        );
        const reconnected = c.messages.filter((m) => m.type === 'reconnected');
        assert.equal(reconnected.length, 1);
        assert.ok(
          reconnected[0]!.type === 'reconnected' && reconnected[0]!.revision >= elsewhere,
          'resumed after the progress revision, not after the last event',
        );
        await c.watch.cancel();
      });

      const isInStep = isProgressRequestInStep(etcd.version);
      it(
        isInStep
          ? `a RequestProgress reply moves the resume point (etcd ${etcd.version} answers it in step with the events)`
          : `a RequestProgress reply does not move the resume point (etcd ${etcd.version} can send it ahead of queued events, etcd-io/etcd#15220)`,
        async () => {
          const prefix = uniquePrefix('request-progress');
          // No progress_notify: only the RequestProgress reply can tell this watch it is current.
          const c = new Collector(viaProxy.watch({ key: prefix, prefix: true }));
          await waitFor('created', () => c.count('created') === 1, WAIT_MS);
          const created = (c.messages[0] as { revision: bigint }).revision;
          await waitFor(
            'the stream member’s release',
            () => viaProxy.watchServerVersion !== undefined,
            WAIT_MS,
          );
          assert.equal(viaProxy.watchServerVersion, etcd.version);
          let elsewhere = 0n;
          for (let i = 0; i < 3; i++)
            elsewhere = (await direct.kv.put(`${outside(prefix)}${i}`, 'x')).revision;
          viaProxy.requestProgress();
          await waitFor(`a progress reply at ${elsewhere}`, () => progressAt(c) >= elsewhere, WAIT_MS);
          const reply = c.messages.find((m) => m.type === 'progress');
          assert.ok(
            reply?.type === 'progress' && reply.inStep === isInStep,
            'progress says whether it is in step',
          );

          proxy.block();
          await direct.kv.compact(elsewhere);
          const { revision: whileAway } = await direct.kv.put(`${prefix}b`, '1');
          proxy.unblock();

          if (isInStep) {
            await c.waitForRevision(whileAway, WAIT_MS);
            assert.equal(c.error, undefined);
            assert.deepEqual(
              c.events.map((e) => e.modRevision),
              [whileAway],
            );
            await c.watch.cancel();
          } else {
            await waitFor('the watch to end', () => c.isDone, WAIT_MS);
            assert.ok(c.error instanceof CompactedError, `ended with ${String(c.error)}`);
            assert.equal(c.error.compactRevision, elsewhere);
            assert.ok(created + 1n < elsewhere, 'it resumed from its created revision + 1');
            assert.equal(c.events.length, 0);
          }
        },
      );

      it(
        isInStep
          ? `a PrefixMirror's revision follows a RequestProgress reply (in step on etcd ${etcd.version})`
          : `a PrefixMirror's revision does not follow a RequestProgress reply that may overtake events (etcd ${etcd.version})`,
        async () => {
          const prefix = uniquePrefix('mirror-progress');
          const mirror = new PrefixMirror(direct, prefix, { progressNotify: false });
          const progressed: bigint[] = [];
          mirror.on('progress', (p) => progressed.push(p.revision));
          await mirror.start();
          // A second watch on the same stream shows when the broadcast reply has arrived.
          const c = new Collector(direct.watch({ key: outside(prefix), prefix: true }));
          await waitFor('created', () => c.count('created') === 1, WAIT_MS);
          await waitFor(
            'the stream member’s release',
            () => direct.watchServerVersion !== undefined,
            WAIT_MS,
          );
          let elsewhere = 0n;
          for (let i = 0; i < 3; i++)
            elsewhere = (await direct.kv.put(`${outside(prefix)}${i}`, 'x')).revision;
          await c.waitForRevision(elsewhere, WAIT_MS);
          direct.requestProgress();
          await waitFor(`a progress reply at ${elsewhere}`, () => progressAt(c) >= elsewhere, WAIT_MS);
          // The mirror's own watch got the same reply before this event (one stream, in order).
          const { revision: own } = await direct.kv.put(`${prefix}a`, '1');
          await waitFor('the mirror to apply its own put', () => mirror.snapshot().revision >= own, WAIT_MS);
          if (isInStep)
            assert.ok(
              progressed.some((r) => r >= elsewhere),
              `progress seen: ${progressed.join(',')}`,
            );
          else assert.deepEqual(progressed, []);
          await c.watch.cancel();
          await mirror.close();
        },
      );
    });
  });
}
