// A raw watch (`raw: true`, what `watch -w json` uses) keeps the decoding watch's guarantees: a replay
// cut mid-way resumes from the last event handed over, every event exactly once, in order.
import { strict as assert } from 'node:assert';
import { EtcdCluster } from '../../../src/envtest/index.js';
import { EtcdClient, type RawWatchMessage, type WatchEvent } from '../../../src/etcd/index.js';
import { TcpProxy, assertExactlyOnce, historyOf, uniquePrefix, waitFor } from './helpers.js';

/** Revisions written: etcd replays at most 1,000 revisions per response, so the replay takes four. */
const WRITES = 4_000;
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
    let proxy = await TcpProxy.start(cluster.endpoints[0]!);
    /** Watches from `from` through the proxy until revision `until` is in; what came, and the bytes. */
    const replay = async (from: bigint, until: bigint) => {
      const client = new EtcdClient({ endpoints: [proxy.endpoint], connectTimeoutMs: 500 });
      const messages: RawWatchMessage[] = [];
      const events: WatchEvent[] = [];
      try {
        const watch = client.watch({
          key: prefix,
          prefix: true,
          fromRevision: from,
          prevKv: true,
          raw: true,
        });
        const consuming = (async () => {
          for await (const m of watch) {
            messages.push(m);
            if (m.type !== 'raw-events') continue;
            events.push(...m.events.decode());
            if (events[events.length - 1]!.modRevision >= until) break;
          }
        })();
        await waitFor(
          `every event up to revision ${until}`,
          () => (events[events.length - 1]?.modRevision ?? 0n) >= until || `${events.length} events`,
          WAIT_MS,
        );
        await consuming;
        return { messages, events, bytes: proxy.downstreamBytes };
      } finally {
        await client.close();
        await proxy.close();
      }
    };
    try {
      // Puts over 50 keys (prevKv from the second round on) and, every tenth write, a delete of a key
      // put in the round before.
      let first = 0n;
      let last = 0n;
      let next = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < WRITES) {
            const i = next++;
            const revision =
              i % 10 === 9
                ? (await writer.kv.delete({ key: `${prefix}k${(i + 1) % 50}` })).revision
                : (await writer.kv.put(`${prefix}k${i % 50}`, `v${i}`)).revision;
            if (first === 0n || revision < first) first = revision;
            if (revision > last) last = revision;
          }
        }),
      );

      // First pass, uncut: how many bytes etcd sends for the whole replay (4 responses of ~1,000
      // revisions). The second pass is cut half-way through those bytes, by the proxy: mid-replay at a
      // fixed point however slowly the client reads, never after the replay has ended.
      const uncut = await replay(first, last);
      assert.equal(uncut.messages.filter((m) => m.type === 'reconnected').length, 0);
      proxy = await TcpProxy.start(cluster.endpoints[0]!);
      proxy.cutAtDownstreamByte(Math.floor(uncut.bytes / 2));
      const { messages, events } = await replay(first, last);

      const reconnected = messages.find((m) => m.type === 'reconnected');
      assert.ok(reconnected, `no reconnect: ${messages.map((m) => m.type).join(' ')}`);
      assert.ok(reconnected.revision < last, 'the cut came after the replay had ended: nothing was resumed');
      assert.ok(reconnected.revision >= first, 'the cut came before any event: nothing to resume from');
      assert.ok(
        events.some((e) => e.type === 'delete' && e.prevKv !== undefined),
        'no delete with prevKv replayed',
      );
      assertExactlyOnce(
        events,
        await historyOf(cluster.endpoints, prefix, first - 1n, last, { prevKv: true }),
      );
    } finally {
      await writer.close();
      await proxy.close();
    }
  });
});
