// A raw watch (`raw: true`, what `watch -w json` uses) keeps the decoding watch's guarantees: a replay
// cut mid-way resumes from the last event handed over, every event exactly once, in order.
import { strict as assert } from 'node:assert';
import { EtcdCluster } from '../../../src/envtest/index.js';
import { EtcdClient, type RawWatchMessage, type WatchEvent } from '../../../src/etcd/index.js';
import { TcpProxy, assertExactlyOnce, historyOf, uniquePrefix, waitFor } from './helpers.js';

/** Revisions written: etcd replays ~1,000 revisions per 100 ms, so the replay takes several responses. */
const WRITES = 1_500;
/** Writes in flight while loading. */
const CONCURRENCY = 16;
const WAIT_MS = 30_000;

describe('etcd watch, raw (events as bytes)', function () {
  this.timeout(60_000);
  let cluster: EtcdCluster;
  before(async () => {
    cluster = await EtcdCluster.start();
  });
  after(async () => cluster?.close());

  it('replays a backlog cut mid-way exactly once, in order, as a decoding watch sees it (deletes, prevKv)', async () => {
    const prefix = uniquePrefix('raw-watch');
    const writer = new EtcdClient({ endpoints: cluster.endpoints });
    const proxy = await TcpProxy.start(cluster.endpoints[0]!);
    const client = new EtcdClient({ endpoints: [proxy.endpoint], connectTimeoutMs: 500 });
    try {
      // Puts over 50 keys (prevKv from the second round on) and a delete every tenth write.
      let first = 0n;
      let last = 0n;
      let next = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < WRITES) {
            const i = next++;
            const key = `${prefix}k${i % 50}`;
            const revision =
              i % 10 === 9
                ? (await writer.kv.delete({ key })).revision
                : (await writer.kv.put(key, `v${i}`)).revision;
            if (first === 0n || revision < first) first = revision;
            if (revision > last) last = revision;
          }
        }),
      );

      const watch = client.watch({ key: prefix, prefix: true, fromRevision: first, prevKv: true, raw: true });
      const messages: RawWatchMessage[] = [];
      const events: WatchEvent[] = [];
      const consuming = (async () => {
        for await (const m of watch) {
          messages.push(m);
          if (m.type !== 'raw-events') continue;
          events.push(...m.events.decode());
          // The first batch in: cut the connection while etcd still has the rest to send.
          if (messages.filter((x) => x.type === 'raw-events').length === 1) proxy.cut();
          if (events[events.length - 1]!.modRevision >= last) break;
        }
      })();
      await waitFor(
        `every event up to revision ${last}`,
        () => (events[events.length - 1]?.modRevision ?? 0n) >= last || `${events.length} events`,
        WAIT_MS,
      );
      await consuming;

      const reconnected = messages.find((m) => m.type === 'reconnected');
      assert.ok(reconnected, `no reconnect: ${messages.map((m) => m.type).join(' ')}`);
      assert.ok(reconnected.revision < last, 'the cut came after the replay had ended: nothing was resumed');
      assertExactlyOnce(
        events,
        await historyOf(cluster.endpoints, prefix, first - 1n, last, { prevKv: true }),
      );
    } finally {
      await client.close();
      await writer.close();
      await proxy.close();
    }
  });
});
