import { strict as assert } from 'node:assert';
import { EtcdCluster } from '../../../src/envtest/etcd/index.js';
import { EtcdClient } from '../../../src/etcd/index.js';
import { Collector, assertExactlyOnce, historyOf, uniquePrefix, waitFor } from './helpers.js';

describe('etcd watch on a 3-member cluster', function () {
  this.timeout(120_000);
  let cluster: EtcdCluster;
  before(async () => {
    cluster = await EtcdCluster.start({ members: 3 });
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
});
