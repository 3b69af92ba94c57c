// Cancelling watches on a live stream, checked from both sides: what the consumer sees, and what etcd
// is left holding (its watcher gauge) and was sent (its count of Watch requests received). Each test
// has its own etcd: those two metrics count every client of the member.
import { strict as assert } from 'node:assert';
import { EtcdCluster, etcdVersionsUnderTest } from '../../../src/envtest/index.js';
import { EtcdClient } from '../../../src/etcd/index.js';
import {
  Collector,
  assertExactlyOnce,
  historyOf,
  inParallel,
  progressRoundTrip,
  uniquePrefix,
  waitFor,
  watchRequestsReceivedBy,
  watchesHeldBy,
} from './helpers.js';

/** Deadline of each wait: a failure shows well within mocha's timeout, and `finally` still cleans up. */
const WAIT_MS = 20_000;

for (const etcd of etcdVersionsUnderTest()) {
  describe(`on etcd ${etcd.version}`, () => {
    describe('etcd watch cancellation on a live stream', function () {
      this.timeout(60_000);
      let cluster: EtcdCluster;
      let endpoint: string;
      beforeEach(async () => {
        cluster = await EtcdCluster.start({ etcdBin: etcd.etcdBin, etcdctlBin: etcd.etcdctlBin });
        endpoint = cluster.endpoints[0]!;
      });
      afterEach(async () => cluster?.close());

      /**
       * Once etcd holds `kept` only, waits until every Watch request the client wrote so far, and any it
       * writes in answer to what etcd sent before it dropped its cancelled watches, has reached etcd; then
       * says how many Watch requests etcd has received since `requestsBefore`. etcd sends a cancelled
       * watch's last events before its canceled reply, and that reply before the answer to a later
       * progress request (one control channel): the first round trip makes the client take all of them,
       * the second makes etcd receive whatever the client wrote in answer.
       */
      async function requestsOnceOnlyKeptIsHeld(
        client: EtcdClient,
        kept: Collector,
        requestsBefore: number,
      ): Promise<number> {
        await waitFor(
          'etcd to hold the kept watch only',
          async () => (await watchesHeldBy(endpoint)) === 1,
          WAIT_MS,
        );
        await progressRoundTrip(client, kept);
        await progressRoundTrip(client, kept);
        return (await watchRequestsReceivedBy(endpoint)) - requestsBefore;
      }

      it('a watch cancelled while idle, or while its create is in flight, ends at once; etcd drops its watch without waiting for an event', async () => {
        const prefix = uniquePrefix('cancel-quiet');
        const client = new EtcdClient({ endpoints: [endpoint] });
        try {
          const kept = new Collector(client.watch({ key: `${prefix}kept/`, prefix: true }));
          const idle = new Collector(client.watch({ key: `${prefix}idle/`, prefix: true }));
          await waitFor('created', () => kept.count('created') === 1 && idle.count('created') === 1, WAIT_MS);
          assert.equal(await watchesHeldBy(endpoint), 2);
          const requestsBefore = await watchRequestsReceivedBy(endpoint);
          // With the stream open and no create in flight, watch() writes the create at once; cancel() comes
          // before etcd can answer it.
          const creating = new Collector(client.watch({ key: `${prefix}creating/`, prefix: true }));
          await creating.watch.cancel();
          await idle.watch.cancel();
          await waitFor('both ended', () => creating.isDone && idle.isDone, WAIT_MS);
          for (const c of [creating, idle])
            assert.equal(c.error, undefined, 'a cancelled watch ends normally');
          assert.deepEqual(creating.messages, [], 'nothing is delivered after cancel()');
          assert.deepEqual(
            idle.messages.map((m) => m.type),
            ['created'],
          );

          // Nothing is written under the cancelled prefixes: no stray event can remind the client of them.
          assert.equal(
            await requestsOnceOnlyKeptIsHeld(client, kept, requestsBefore),
            5,
            'one create and one cancel for `creating`, one cancel for `idle`, two progress requests',
          );
          const { revision } = await client.kv.put(`${prefix}kept/a`, '1');
          await kept.waitForRevision(revision, WAIT_MS);
          assert.equal(kept.error, undefined);
          await kept.watch.cancel();
        } finally {
          await client.close();
        }
      });

      it('a watch cancelled while its events still stream ends normally; etcd gets one cancel however many responses were still on their way', async () => {
        const prefix = uniquePrefix('cancel-streaming');
        const client = new EtcdClient({ endpoints: [endpoint] });
        const writer = new EtcdClient({ endpoints: [endpoint] });
        try {
          const requestsBefore = await watchRequestsReceivedBy(endpoint);
          const kept = new Collector(client.watch({ key: `${prefix}kept/`, prefix: true }));
          const doomed = client.watch({ key: `${prefix}doomed/`, prefix: true });
          const doomedSeen: string[] = [];
          let isDoomedDone = false;
          const consuming = (async () => {
            try {
              for await (const m of doomed) {
                doomedSeen.push(m.type);
                // Cancel on the first events: the writes below keep etcd sending for this watch until it
                // reads the cancel (some twenty more responses on a 2-core machine).
                if (m.type === 'events') await doomed.cancel();
              }
            } catch (err) {
              doomedSeen.push(`error: ${String(err)}`);
            } finally {
              isDoomedDone = true;
            }
          })();
          await waitFor('kept created', () => kept.count('created') === 1, WAIT_MS);
          const start = (kept.messages[0] as { revision: bigint }).revision;
          await waitFor('doomed created', () => doomedSeen.includes('created'), WAIT_MS);

          await inParallel(300, 32, async (i) => {
            await writer.kv.put(`${prefix}${i % 3 === 0 ? 'kept' : 'doomed'}/${i % 10}`, `${i}`);
          });
          const { revision: marker } = await writer.kv.put(`${prefix}kept/marker`, '');
          await waitFor('doomed ended', () => isDoomedDone, WAIT_MS);
          await consuming;
          assert.deepEqual(doomedSeen, ['created', 'events'], 'nothing after cancel(), and no error');
          await kept.waitForRevision(marker, WAIT_MS);

          assert.equal(
            await requestsOnceOnlyKeptIsHeld(client, kept, requestsBefore),
            5,
            'two creates, one cancel, two progress requests',
          );
          assertExactlyOnce(kept.events, await historyOf([endpoint], `${prefix}kept/`, start, marker));
          await kept.watch.cancel();
        } finally {
          await writer.close();
          await client.close();
        }
      });
    });
  });
}
