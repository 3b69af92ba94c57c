import { strict as assert } from 'node:assert';
import { EtcdCluster, etcdVersionsUnderTest } from '../../../src/envtest/index.js';
import { EtcdClient } from '../../../src/etcd/index.js';
import { Collector, assertExactlyOnce, historyOf, uniquePrefix, waitFor } from './helpers.js';

for (const etcd of etcdVersionsUnderTest()) {
  describe(`on etcd ${etcd.version}`, () => {
    describe('etcd watch on a 3-member cluster', function () {
      this.timeout(120_000);
      let cluster: EtcdCluster;
      before(async () => {
        cluster = await EtcdCluster.start({ etcdBin: etcd.etcdBin, etcdctlBin: etcd.etcdctlBin, members: 3 });
      });
      after(async () => cluster?.close());

      it('fails over when the member serving the stream is killed, losing nothing', async () => {
        const prefix = uniquePrefix('failover');
        const watcher = new EtcdClient({ endpoints: cluster.endpoints, connectTimeoutMs: 1_000 });
        const writer = new EtcdClient({
          endpoints: cluster.endpoints,
          connectTimeoutMs: 1_000,
          requestTimeoutMs: 3_000,
        });
        try {
          const c = new Collector(watcher.watch({ key: prefix, prefix: true }));
          await waitFor('created', () => c.count('created') === 1);
          const start = (c.messages[0] as { revision: bigint }).revision;
          const serving = cluster.members.find((m) => m.endpoint === watcher.watchEndpoint);
          assert.ok(serving, `stream endpoint ${watcher.watchEndpoint} is a member`);

          let isStopped = false;
          let last = 0n;
          const writes = (async () => {
            for (let i = 0; !isStopped; i++) {
              try {
                last = (await writer.kv.put(`${prefix}${i % 10}`, String(i))).revision;
              } catch {
                // a write racing the election may fail; the next one goes to a healthy member
              }
            }
          })();
          await waitFor('some events', () => c.events.length > 20);
          await serving.kill('SIGKILL');
          const killedAt = c.lastRevision;
          await waitFor('events after the kill', () => c.lastRevision > killedAt + 20n);
          assert.notEqual(watcher.watchEndpoint, serving.endpoint);
          isStopped = true;
          await writes;
          await c.waitForRevision(last);
          assertExactlyOnce(
            c.events,
            await historyOf(
              cluster.endpoints.filter((e) => e !== serving.endpoint),
              prefix,
              start,
              last,
            ),
          );
          assert.ok(c.count('reconnected') >= 1);
          await serving.restart();
        } finally {
          await writer.close();
          await watcher.close();
        }
      });

      it('abandons a member cut off from its quorum (hasleader) and resumes once the cluster heals', async () => {
        const prefix = uniquePrefix('noleader');
        const logged: { message: string; fields?: Record<string, unknown> }[] = [];
        const logger = {
          error: (message: string, fields?: Record<string, unknown>) => void logged.push({ message, fields }),
          warn: (message: string, fields?: Record<string, unknown>) => void logged.push({ message, fields }),
          info: (message: string, fields?: Record<string, unknown>) => void logged.push({ message, fields }),
          debug: (message: string, fields?: Record<string, unknown>) => void logged.push({ message, fields }),
          child: () => logger,
        };
        const watcher = new EtcdClient({ endpoints: cluster.endpoints, connectTimeoutMs: 1_000, logger });
        try {
          const c = new Collector(watcher.watch({ key: prefix, prefix: true }));
          await waitFor('created', () => c.count('created') === 1);
          const start = (c.messages[0] as { revision: bigint }).revision;
          const serving = cluster.members.find((m) => m.endpoint === watcher.watchEndpoint)!;
          const others = cluster.members.filter((m) => m !== serving);
          await Promise.all(others.map((m) => m.kill('SIGKILL')));
          // etcd ends hasleader streams once the member has had no leader for a few election timeouts.
          await waitFor('the stream to be dropped for want of a leader', () =>
            logged.some(
              (l) =>
                l.message === 'watch stream lost, reconnecting' &&
                /no leader/.test(String(l.fields?.['error'])),
            ),
          );
          await Promise.all(others.map((m) => m.restart({ waitForHealth: false })));
          await Promise.all(cluster.members.map((m) => m.waitHealthy()));
          const direct = new EtcdClient({ endpoints: cluster.endpoints });
          let last = 0n;
          await waitFor('a write after healing', () =>
            direct.kv.put(`${prefix}a`, '1').then(
              (r) => ((last = r.revision), true),
              () => false,
            ),
          );
          await direct.close();
          await c.waitForRevision(last);
          assertExactlyOnce(c.events, await historyOf(cluster.endpoints, prefix, start, last));
          assert.ok(c.count('reconnected') >= 1);
        } finally {
          await watcher.close();
        }
      });

      it('leaves a frozen (SIGSTOPped) member once keepalive finds the connection dead, losing nothing', async () => {
        const prefix = uniquePrefix('frozen');
        const opts = {
          endpoints: cluster.endpoints,
          connectTimeoutMs: 1_000,
          keepaliveTimeMs: 6_000,
          keepaliveTimeoutMs: 2_000,
        };
        const watcher = new EtcdClient(opts);
        const writer = new EtcdClient({ ...opts, requestTimeoutMs: 2_000 });
        const serving = { member: undefined as (typeof cluster.members)[number] | undefined };
        try {
          const c = new Collector(watcher.watch({ key: prefix, prefix: true }));
          await waitFor('created', () => c.count('created') === 1);
          const start = (c.messages[0] as { revision: bigint }).revision;
          serving.member = cluster.members.find((m) => m.endpoint === watcher.watchEndpoint)!;
          let isStopped = false;
          let last = 0n;
          const writes = (async () => {
            for (let i = 0; !isStopped; i++) {
              try {
                last = (await writer.kv.put(`${prefix}${i % 10}`, String(i))).revision;
              } catch {
                // the frozen member times out; the next write goes elsewhere
              }
              await new Promise((r) => setTimeout(r, 10));
            }
          })();
          await waitFor('some events', () => c.events.length > 5);
          await serving.member.pause();
          const frozenAt = c.lastRevision;
          await waitFor('events again after the freeze', () => c.lastRevision > frozenAt + 5n, 45_000);
          assert.notEqual(watcher.watchEndpoint, serving.member.endpoint);
          isStopped = true;
          await writes;
          await c.waitForRevision(last);
          const live = cluster.endpoints.filter((e) => e !== serving.member!.endpoint);
          assertExactlyOnce(c.events, await historyOf(live, prefix, start, last));
        } finally {
          await serving.member?.resume();
          await writer.close();
          await watcher.close();
        }
      });
    });
  });
}
