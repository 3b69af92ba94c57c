// What the watches on a stream see when the stream fails: resumed from each watch's own point, on the
// endpoint that connects first — or, when the failure cannot heal, halted with the typed error.
import { strict as assert } from 'node:assert';
import { status } from '@grpc/grpc-js';
import { EtcdCluster, etcdVersionsUnderTest } from '../../../src/envtest/index.js';
import { EtcdClient, RequestTooLargeError, type WatchMessage } from '../../../src/etcd/index.js';
import { isProgressRequestInStep } from '../../../src/etcd/server-version.js';
import type { Logger } from '../../../src/observability/index.js';
import { Collector, TcpProxy, assertExactlyOnce, historyOf, uniquePrefix, waitFor } from './helpers.js';

/** Deadline of each wait: a failure shows well within mocha's timeout, and `finally` still cleans up. */
const WAIT_MS = 20_000;

/** A logger that keeps every line (the client's debug lines say which endpoint the stream is on). */
function recordingLogger(): {
  logger: Logger;
  lines: { message: string; fields: Record<string, unknown> }[];
} {
  const lines: { message: string; fields: Record<string, unknown> }[] = [];
  const record = (message: string, fields: Record<string, unknown> = {}): void =>
    void lines.push({ message, fields });
  const logger: Logger = { error: record, warn: record, info: record, debug: record, child: () => logger };
  return { logger, lines };
}

/** The one `reconnected` message of a watch (fails if there is not exactly one). */
function onlyReconnected(c: Collector): Extract<WatchMessage, { type: 'reconnected' }> {
  const all = c.messages.filter((m) => m.type === 'reconnected');
  assert.equal(all.length, 1, `reconnected ${all.length} times`);
  return all[0]!;
}

for (const etcd of etcdVersionsUnderTest()) {
  describe(`on etcd ${etcd.version}`, () => {
    describe('etcd watch after a stream failure', function () {
      this.timeout(60_000);
      let cluster: EtcdCluster;
      let endpoint: string;
      beforeEach(async () => {
        cluster = await EtcdCluster.start({ etcdBin: etcd.etcdBin, etcdctlBin: etcd.etcdctlBin });
        endpoint = cluster.endpoints[0]!;
      });
      afterEach(async () => cluster?.close());

      // etcd 3.5.8+ (and 3.4.25+) answers a RequestProgress once every watch on the stream is synced, in
      // step with the events (etcd-io/etcd#15237): its revision is then a resume point for every watch
      // created before it, though never below a watch's requested start. etcd 3.4.23 answers at once with
      // the store's revision, which can overtake events still queued (etcd-io/etcd#15220): never a resume
      // point there.
      const isInStep = isProgressRequestInStep(etcd.version);
      it(`re-creates each watch from its own point: after its last event, ${isInStep ? 'or the in-step progress revision above it, ' : ''}after its created revision, or at its requested future revision${isInStep ? '' : ' — never from a progress revision'}`, async () => {
        const prefix = uniquePrefix('resume-points');
        const direct = new EtcdClient({ endpoints: [endpoint] });
        const proxy = await TcpProxy.start(endpoint);
        const viaProxy = new EtcdClient({ endpoints: [proxy.endpoint], connectTimeoutMs: 500 });
        try {
          const delivered = new Collector(viaProxy.watch({ key: `${prefix}d/`, prefix: true }));
          const idle = new Collector(viaProxy.watch({ key: `${prefix}i/`, prefix: true }));
          await waitFor(
            'created',
            () => delivered.count('created') === 1 && idle.count('created') === 1,
            WAIT_MS,
          );
          const deliveredCreated = (delivered.messages[0] as { revision: bigint }).revision;
          const idleCreated = (idle.messages[0] as { revision: bigint }).revision;
          const { revision: now } = await direct.kv.put(`${prefix}other`, '0');
          const futureFrom = now + 20n;
          const future = new Collector(
            viaProxy.watch({ key: `${prefix}f/`, prefix: true, fromRevision: futureFrom }),
          );
          await waitFor('future created', () => future.count('created') === 1, WAIT_MS);
          const futureCreated = (future.messages[0] as { revision: bigint }).revision;

          await direct.kv.txn({
            success: [
              { type: 'put', key: `${prefix}d/a`, value: '1' },
              { type: 'put', key: `${prefix}d/b`, value: '1' },
            ],
          });
          const { revision: deliveredUpTo } = await direct.kv.put(`${prefix}d/a`, '2');
          await delivered.waitForRevision(deliveredUpTo, WAIT_MS);
          const futureWrites: bigint[] = [];
          for (let i = 0; i < 5; i++)
            futureWrites.push((await direct.kv.put(`${prefix}f/k`, `${i}`)).revision);
          // etcd reports every watch current at a revision above anything they delivered: on etcd 3.4.23
          // that must not become anyone's resume point; in step, it must not for `future` (below its
          // requested revision).
          const { revision: progressAt } = await direct.kv.put(`${prefix}other`, '1');
          viaProxy.requestProgress();
          await waitFor(
            'progress on all three',
            () =>
              [delivered, idle, future].every((c) =>
                c.messages.some((m) => m.type === 'progress' && m.revision >= progressAt),
              ),
            WAIT_MS,
          );
          assert.equal(future.events.length, 0, 'nothing below the requested revision');

          proxy.block();
          let deliveredLast = 0n;
          let idleLast = 0n;
          for (let i = 0; i < 3; i++) {
            deliveredLast = (await direct.kv.put(`${prefix}d/a`, `cut${i}`)).revision;
            idleLast = (await direct.kv.put(`${prefix}i/a`, `cut${i}`)).revision;
          }
          for (let i = 0; i < 30; i++)
            futureWrites.push((await direct.kv.put(`${prefix}f/k`, `cut${i}`)).revision);
          const futureLast = futureWrites[futureWrites.length - 1]!;
          proxy.unblock();

          await delivered.waitForRevision(deliveredLast, WAIT_MS);
          await idle.waitForRevision(idleLast, WAIT_MS);
          await future.waitForRevision(futureLast, WAIT_MS);
          // Each resume point tells: "now", the progress revision or created + 1 for `future` would lose
          // or add events here.
          assert.ok(futureWrites.some((r) => r > futureCreated && r < futureFrom));
          assert.ok(futureWrites.some((r) => r >= futureFrom && r > progressAt));
          assertExactlyOnce(
            delivered.events,
            await historyOf([endpoint], `${prefix}d/`, deliveredCreated, deliveredLast),
          );
          assertExactlyOnce(idle.events, await historyOf([endpoint], `${prefix}i/`, idleCreated, idleLast));
          assertExactlyOnce(
            future.events,
            await historyOf([endpoint], `${prefix}f/`, futureFrom - 1n, futureLast),
          );
          // `reconnected` names the revision each watch resumed after: in step, the progress revision
          // above both; on 3.4.23 its last event, else its created revision — not the progress revision.
          assert.ok(progressAt > deliveredUpTo && progressAt > idleCreated);
          const progressOf = (c: Collector): bigint =>
            c.messages.reduce((r, m) => (m.type === 'progress' && m.revision > r ? m.revision : r), 0n);
          assert.equal(onlyReconnected(delivered).revision, isInStep ? progressOf(delivered) : deliveredUpTo);
          assert.equal(onlyReconnected(idle).revision, isInStep ? progressOf(idle) : idleCreated);
          onlyReconnected(future);
          for (const c of [delivered, idle, future]) {
            assert.equal(c.count('created'), 1);
            assert.equal(c.error, undefined);
          }
        } finally {
          await viaProxy.close();
          await proxy.close();
          await direct.close();
        }
      });

      it('drops a stream queued on a reconnecting endpoint when another endpoint connects first, and resumes there exactly once', async () => {
        const prefix = uniquePrefix('queued');
        const a = await TcpProxy.start(endpoint);
        const b = await TcpProxy.start(endpoint);
        b.block();
        const { logger, lines } = recordingLogger();
        // A long connect timeout: the stream queued on b stays queued until a wins, however slow the machine.
        const client = new EtcdClient({
          endpoints: [a.endpoint, b.endpoint],
          connectTimeoutMs: 30_000,
          logger,
        });
        const direct = new EtcdClient({ endpoints: [endpoint] });
        const opens = (): unknown[] =>
          lines.filter((l) => l.message === 'watch stream open').map((l) => l.fields['endpoint']);
        try {
          await direct.kv.put(`${prefix}k`, 'before');
          const { revision: from } = await direct.kv.put(`${prefix}k`, 'first');
          const c = new Collector(client.watch({ key: prefix, prefix: true, fromRevision: from }));
          await c.waitForRevision(from, WAIT_MS);
          assert.deepEqual(opens(), [a.endpoint], 'queued on a, the endpoint tried first, which connected');
          const { revision: beforeCut } = await direct.kv.put(`${prefix}k`, 'second');
          await c.waitForRevision(beforeCut, WAIT_MS);

          // a goes away too: the client re-opens on b (next in line), queued while b is still unreachable.
          a.block();
          await waitFor('the stream queued on b', () => opens().length === 2, WAIT_MS);
          assert.equal(opens()[1], b.endpoint);
          let last = 0n;
          for (let i = 0; i < 5; i++) last = (await direct.kv.put(`${prefix}k`, `during${i}`)).revision;
          a.unblock(); // a connects first: the call queued on b is dropped and the stream re-opened on a

          await c.waitForRevision(last, WAIT_MS);
          assert.deepEqual(opens(), [a.endpoint, b.endpoint, a.endpoint]);
          assert.ok(
            lines.some(
              (l) =>
                l.message === 'watch stream lost, reconnecting' &&
                String(l.fields['error']).includes(`${a.endpoint} connected before ${b.endpoint}`),
            ),
            'the queued call lost to a',
          );
          assert.equal(client.watchEndpoint, a.endpoint);

          // b comes back: the call once queued there was dropped and brings nothing.
          b.unblock();
          const { revision: after } = await direct.kv.put(`${prefix}k`, 'after');
          await c.waitForRevision(after, WAIT_MS);
          assertExactlyOnce(c.events, await historyOf([endpoint], prefix, from - 1n, after));
          assert.equal(c.count('created'), 1);
          assert.equal(onlyReconnected(c).revision, beforeCut);
          assert.equal(c.error, undefined);
        } finally {
          await client.close();
          await direct.close();
          await a.close();
          await b.close();
        }
      });

      it('fails only the watch whose create is larger than etcd accepts; the others on the stream resume exactly once', async () => {
        const prefix = uniquePrefix('too-large');
        const { logger, lines } = recordingLogger();
        const client = new EtcdClient({ endpoints: [endpoint], logger });
        const writer = new EtcdClient({ endpoints: [endpoint] });
        try {
          const a = new Collector(client.watch({ key: `${prefix}a/`, prefix: true }));
          const b = new Collector(client.watch({ key: `${prefix}b/`, prefix: true }));
          await waitFor('created', () => a.count('created') === 1 && b.count('created') === 1, WAIT_MS);
          const [aCreated, bCreated] = [a, b].map((c) => (c.messages[0] as { revision: bigint }).revision);
          const before = await writer.kv.put(`${prefix}a/1`, 'before');
          await a.waitForRevision(before.revision, WAIT_MS);
          // A create bigger than etcd's gRPC receive limit (--max-request-bytes, 1.5 MiB, + 512 KiB): etcd's
          // gRPC server ends the whole Watch stream with ResourceExhausted.
          const oversized = new Collector(
            client.watch({ key: Buffer.concat([Buffer.from(prefix), Buffer.alloc(3 * 1024 * 1024, 'x')]) }),
          );
          await waitFor('the oversized watch ended', () => oversized.isDone, WAIT_MS);
          assert.ok(oversized.error instanceof RequestTooLargeError, `ended with ${String(oversized.error)}`);
          assert.equal(oversized.error.code, status.RESOURCE_EXHAUSTED);
          assert.equal(oversized.count('created'), 0);

          await waitFor(
            'a and b back',
            () => a.count('reconnected') === 1 && b.count('reconnected') === 1,
            WAIT_MS,
          );
          const after = [
            await writer.kv.put(`${prefix}a/2`, 'after'),
            await writer.kv.put(`${prefix}b/1`, 'after'),
          ];
          await a.waitForRevision(after[0]!.revision, WAIT_MS);
          await b.waitForRevision(after[1]!.revision, WAIT_MS);
          assert.ok(!a.isDone && !b.isDone, `a: ${String(a.error)}, b: ${String(b.error)}`);
          assertExactlyOnce(
            a.events,
            await historyOf([endpoint], `${prefix}a/`, aCreated!, after[0]!.revision),
          );
          assertExactlyOnce(
            b.events,
            await historyOf([endpoint], `${prefix}b/`, bCreated!, after[1]!.revision),
          );
          assert.equal(
            lines.filter((l) => l.message === 'watch refused: its create request is larger than etcd accepts')
              .length,
            1,
          );
          await Promise.all([a.watch.cancel(), b.watch.cancel()]);
        } finally {
          await writer.close();
          await client.close();
        }
      });
    });
  });
}
