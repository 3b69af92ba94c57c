import { strict as assert } from 'node:assert';
import { EtcdCluster, etcdVersionsUnderTest } from '../../../src/envtest/index.js';
import {
  CompactedError,
  EtcdClient,
  PrefixMirror,
  type MirrorSnapshot,
  type TxnOp,
} from '../../../src/etcd/index.js';
import {
  Collector,
  TcpProxy,
  assertExactlyOnce,
  assertNoSplitRevisions,
  historyOf,
  uniquePrefix,
  waitFor,
  watchRequestsReceivedBy,
  watchesHeldBy,
} from './helpers.js';

/** Writes puts and 10-put txns under `prefix` until stopped, retrying failures (etcd may be down). */
class Writer {
  private isStopped = false;
  /** Revision of the last write known to have succeeded. */
  lastRevision = 0n;
  /** Revisions of successful txns. */
  readonly txnRevisions: bigint[] = [];
  writes = 0;
  private readonly loop: Promise<void>;

  constructor(
    private readonly client: EtcdClient,
    private readonly prefix: string,
  ) {
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    for (let i = 0; !this.isStopped; i++) {
      try {
        if (i % 5 === 4) {
          const ops: TxnOp[] = Array.from({ length: 10 }, (_, k) => ({
            type: 'put',
            key: `${this.prefix}t${k}`,
            value: `${i}`,
          }));
          const res = await this.client.kv.txn({ success: ops });
          this.txnRevisions.push(res.revision);
          this.lastRevision = res.revision;
        } else if (i % 7 === 6) {
          this.lastRevision = (await this.client.kv.delete({ key: `${this.prefix}k${i % 3}` })).revision;
        } else {
          this.lastRevision = (await this.client.kv.put(`${this.prefix}k${i % 3}`, `${i}`)).revision;
        }
        this.writes++;
      } catch {
        await new Promise((r) => setTimeout(r, 20)); // etcd is down: try again shortly
      }
      // A modest rate is enough: the point is writes racing the kills.
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  async stop(): Promise<bigint> {
    this.isStopped = true;
    await this.loop;
    return this.lastRevision;
  }
}

for (const etcd of etcdVersionsUnderTest()) {
  describe(`on etcd ${etcd.version}`, () => {
    describe('etcd watch under faults', function () {
      this.timeout(180_000);

      describe('when etcd is SIGKILLed and restarted 10 times while writes continue', () => {
        let cluster: EtcdCluster;
        before(async () => {
          cluster = await EtcdCluster.start({ etcdBin: etcd.etcdBin, etcdctlBin: etcd.etcdctlBin });
        });
        after(async () => cluster?.close());

        it('resumes every watch (plain, prev_kv, NOPUT, NODELETE) with every event exactly once; memory and handles stay flat', async () => {
          const prefix = uniquePrefix('sigkill');
          const member = cluster.members[0]!;
          const watcher = new EtcdClient({ endpoints: cluster.endpoints });
          const writerClient = new EtcdClient({ endpoints: cluster.endpoints, requestTimeoutMs: 2_000 });
          try {
            const start = (await watcher.kv.put(`${prefix}start`, '')).revision;
            const plain = new Collector(
              watcher.watch({ key: prefix, prefix: true, fromRevision: start + 1n }),
            );
            const prev = new Collector(
              watcher.watch({ key: prefix, prefix: true, fromRevision: start + 1n, prevKv: true }),
            );
            const noPut = new Collector(
              watcher.watch({ key: prefix, prefix: true, fromRevision: start + 1n, filters: ['noput'] }),
            );
            const noDelete = new Collector(
              watcher.watch({ key: prefix, prefix: true, fromRevision: start + 1n, filters: ['nodelete'] }),
            );
            const all = [plain, prev, noPut, noDelete];
            const writer = new Writer(writerClient, prefix);
            let baseline: { handles: number; heap: number } | undefined;
            for (let round = 1; round <= 10; round++) {
              // Let the watch make progress on a running etcd, then kill it mid-stream.
              const before = plain.lastRevision;
              await waitFor(`round ${round}: events flowing`, () => plain.lastRevision > before + 3n);
              await member.kill('SIGKILL');
              await member.restart();
              if (round === 2) {
                baseline = {
                  handles: process.getActiveResourcesInfo().length,
                  heap: process.memoryUsage().heapUsed,
                };
              }
            }
            const last = await writer.stop();
            for (const c of all) {
              await waitFor(
                'catch-up',
                () => c.lastRevision >= last || c.isDone || c === noPut || c === noDelete,
              );
            }
            // The filtered watches may end on an event of the other type: compare up to `last`.
            const marker = (await watcher.kv.put(`${prefix}marker`, 'x')).revision;
            await noDelete.waitForRevision(marker);
            const del = (await watcher.kv.delete({ key: `${prefix}marker` })).revision;
            await noPut.waitForRevision(del);

            const history = await historyOf(cluster.endpoints, prefix, start, last, { prevKv: true });
            const upTo = (c: Collector): typeof c.events => c.events.filter((e) => e.modRevision <= last);
            assertExactlyOnce(
              upTo(plain),
              history.map(({ prevKv: _p, ...e }) => e),
            );
            assertExactlyOnce(upTo(prev), history);
            assertExactlyOnce(
              upTo(noPut),
              history.filter((e) => e.type === 'delete').map(({ prevKv: _p, ...e }) => e),
            );
            assertExactlyOnce(
              upTo(noDelete),
              history.filter((e) => e.type === 'put').map(({ prevKv: _p, ...e }) => e),
            );
            // Each round waited for `plain` to flow again before the next kill, so it resumed 10 times; the
            // others may have been lost again while still being re-created, which yields one `reconnected`.
            assert.equal(plain.count('reconnected'), 10);
            for (const c of all) {
              assertNoSplitRevisions(c.messages);
              assert.ok(c.count('reconnected') >= 1);
              assert.equal(c.error, undefined);
            }
            assert.ok(writer.txnRevisions.length > 5, 'some txns were written');
            for (const r of writer.txnRevisions) {
              const batch = plain.messages.find(
                (m) => m.type === 'events' && m.events.some((e) => e.modRevision === r),
              );
              assert.equal(
                batch?.type === 'events' && batch.events.filter((e) => e.modRevision === r).length,
                10,
              );
            }
            const handles = process.getActiveResourcesInfo().length;
            const heap = process.memoryUsage().heapUsed;
            console.log(
              `      ${writer.writes} writes; handles ${baseline!.handles} → ${handles}; heap ${Math.round(baseline!.heap / 1e6)} → ${Math.round(heap / 1e6)} MB`,
            );
            assert.ok(
              handles <= baseline!.handles + 5,
              `active handles grew from ${baseline!.handles} to ${handles}`,
            );
            assert.ok(heap < baseline!.heap + 64e6, `heap grew from ${baseline!.heap} to ${heap}`);
            await Promise.all(all.map((c) => c.watch.cancel()));
          } finally {
            await writerClient.close();
            await watcher.close();
          }
        });

        it('cancels a watch while etcd is down; the other watches resume', async () => {
          const prefix = uniquePrefix('cancel-down');
          const client = new EtcdClient({ endpoints: cluster.endpoints });
          try {
            const doomed = new Collector(client.watch({ key: `${prefix}a` }));
            const kept = new Collector(client.watch({ key: `${prefix}b` }));
            await waitFor('created', () => doomed.count('created') === 1 && kept.count('created') === 1);
            await cluster.members[0]!.kill();
            await doomed.watch.cancel();
            await doomed.finished;
            assert.equal(doomed.error, undefined);
            await cluster.members[0]!.restart();
            await client.kv.put(`${prefix}a`, '1');
            const { revision } = await client.kv.put(`${prefix}b`, '1');
            await kept.waitForRevision(revision);
            assert.equal(doomed.events.length, 0);
            // etcd restarted empty: of the two watches only `kept` was re-created on it (the doomed one's
            // create would have gone out first, in creation order).
            const member = cluster.members[0]!.endpoint;
            await waitFor(
              'etcd to hold the kept watch only',
              async () => (await watchesHeldBy(member)) === 1,
            );
            await kept.watch.cancel();
          } finally {
            await client.close();
          }
        });
      });

      describe('compaction', () => {
        let cluster: EtcdCluster;
        before(async () => {
          cluster = await EtcdCluster.start({ etcdBin: etcd.etcdBin, etcdctlBin: etcd.etcdctlBin });
        });
        after(async () => cluster?.close());

        it('past the client while it is disconnected: the watch ends once with CompactedError and the mirror resyncs to etcd’s exact state', async () => {
          const prefix = uniquePrefix('compact');
          const direct = new EtcdClient({ endpoints: cluster.endpoints });
          const proxy = await TcpProxy.start(cluster.endpoints[0]!);
          const viaProxy = new EtcdClient({ endpoints: [proxy.endpoint], connectTimeoutMs: 500 });
          try {
            for (let i = 0; i < 20; i++) await direct.kv.put(`${prefix}${i}`, 'v1');
            const mirror = new PrefixMirror(viaProxy, prefix);
            const resyncs: MirrorSnapshot[] = [];
            mirror.on('resync', () => resyncs.push(mirror.snapshot()));
            await mirror.start();
            assert.equal(mirror.snapshot().entries.length, 20);
            const watch = new Collector(viaProxy.watch({ key: prefix, prefix: true }));
            await waitFor('created', () => watch.count('created') === 1);
            const { revision: seen } = await direct.kv.put(`${prefix}0`, 'v2');
            await watch.waitForRevision(seen);
            await waitFor('mirror at the put', () => mirror.snapshot().revision >= seen);

            proxy.block();
            for (let i = 0; i < 10; i++) await direct.kv.delete({ key: `${prefix}${i}` });
            for (let i = 20; i < 25; i++) await direct.kv.put(`${prefix}${i}`, 'v3');
            const { revision: compactAt } = await direct.kv.put(`${prefix}24`, 'v4');
            await direct.kv.compact(compactAt);
            proxy.unblock();

            await watch.finished;
            assert.ok(watch.error instanceof CompactedError, `ended with ${String(watch.error)}`);
            assert.equal(watch.error.compactRevision, compactAt);
            assert.equal(watch.count('events'), 1, 'no event after the compaction was invented');

            await waitFor('mirror resync', () => resyncs.length >= 1);
            const truth = await direct.kv.range({ prefix, revision: resyncs[0]!.revision });
            const render = (s: { entries: { key: Buffer; value: Buffer }[] }): string[] =>
              s.entries.map((e) => `${e.key.toString()}=${e.value.toString()}`);
            assert.deepEqual(render(resyncs[0]!), render({ entries: truth.kvs }));
            // After the resync the mirror follows new changes again.
            const { revision: after } = await direct.kv.put(`${prefix}new`, 'x');
            await waitFor('mirror follows after resync', () => mirror.snapshot().revision >= after);
            assert.equal(resyncs.length, 1, 'one resync, no loop');
            await mirror.close();
          } finally {
            await viaProxy.close();
            await proxy.close();
            await direct.close();
          }
        });

        it('a watch created at a compacted revision ends with CompactedError carrying the compact revision', async () => {
          const prefix = uniquePrefix('compacted-start');
          const client = new EtcdClient({ endpoints: cluster.endpoints });
          try {
            const { revision: first } = await client.kv.put(`${prefix}a`, '1');
            const { revision: compactAt } = await client.kv.put(`${prefix}a`, '2');
            await client.kv.compact(compactAt);
            const endpoint = cluster.endpoints[0]!;
            const requestsBefore = await watchRequestsReceivedBy(endpoint);
            const c = new Collector(client.watch({ key: prefix, prefix: true, fromRevision: first }));
            await c.finished;
            assert.ok(c.error instanceof CompactedError, `ended with ${String(c.error)}`);
            assert.equal(c.error.compactRevision, compactAt);
            assert.equal(c.events.length, 0);
            // Not re-created, and canceled on etcd: once two later watches on the same stream have made
            // their round trips one after the other, etcd has had one create for the compacted watch, the
            // client's cancel of it (etcd keeps a watch it ended for compaction registered until the
            // client cancels it; on 3.5 such a watch, never synced, would hold back every later progress
            // reply of the stream) and the two later creates (etcd answers a stream's requests in order).
            const later = new Collector(client.watch({ key: `${prefix}later` }));
            await waitFor('later created', () => later.count('created') === 1);
            const barrier = new Collector(client.watch({ key: `${prefix}barrier` }));
            await waitFor('barrier created', () => barrier.count('created') === 1);
            assert.equal((await watchRequestsReceivedBy(endpoint)) - requestsBefore, 4);
            // And the stream's progress requests are still answered (etcd 3.5 answers only once every
            // watch of the stream is synced; the compacted one, left registered, never would be).
            client.requestProgress();
            await waitFor('a progress reply after the compacted watch', () => later.count('progress') > 0);
            await Promise.all([later.watch.cancel(), barrier.watch.cancel()]);
          } finally {
            await client.close();
          }
        });
      });

      for (const variant of [
        { name: 'in one message over 4 MiB', maxRequestBytes: 8 * 1024 * 1024, watchFragment: false },
        {
          name: 'in one message over 4 MiB, fragment requested',
          maxRequestBytes: 8 * 1024 * 1024,
          watchFragment: true,
        },
        {
          name: 'in fragments (small --max-request-bytes)',
          maxRequestBytes: 256 * 1024,
          watchFragment: true,
        },
        {
          name: 'in one message, fragments not requested (small --max-request-bytes)',
          maxRequestBytes: 256 * 1024,
          watchFragment: false,
        },
      ]) {
        describe(`a catch-up of 60 × 100 KiB after a disconnect, ${variant.name}`, () => {
          let cluster: EtcdCluster;
          before(async () => {
            cluster = await EtcdCluster.start({
              etcdBin: etcd.etcdBin,
              etcdctlBin: etcd.etcdctlBin,
              extraArgs: ['--max-request-bytes', String(variant.maxRequestBytes)],
            });
          });
          after(async () => cluster?.close());

          it('delivers all 60 values exactly once', async () => {
            const prefix = uniquePrefix('catchup');
            const direct = new EtcdClient({ endpoints: cluster.endpoints });
            const proxy = await TcpProxy.start(cluster.endpoints[0]!);
            const logged: string[] = [];
            const logger = {
              error: () => undefined,
              warn: () => undefined,
              info: () => undefined,
              debug: (m: string) => void logged.push(m),
              child: () => logger,
            };
            const viaProxy = new EtcdClient({
              endpoints: [proxy.endpoint],
              connectTimeoutMs: 500,
              watchFragment: variant.watchFragment,
              logger,
            });
            try {
              const c = new Collector(viaProxy.watch({ key: prefix, prefix: true }));
              await waitFor('created', () => c.count('created') === 1);
              const start = (c.messages[0] as { revision: bigint }).revision;
              proxy.block();
              let last = 0n;
              for (let i = 0; i < 60; i++) {
                last = (await direct.kv.put(`${prefix}${i}`, Buffer.alloc(100 * 1024, i))).revision;
              }
              proxy.unblock();
              await c.waitForRevision(last);
              assertExactlyOnce(c.events, await historyOf(cluster.endpoints, prefix, start, last));
              assert.ok(c.events.every((e) => e.value.length === 100 * 1024));
              const batches = c.messages.filter((m) => m.type === 'events');
              assert.equal(batches.length, 1, 'one etcd response (fragments rejoined)');
              // etcd fragments a response bigger than --max-request-bytes, but only for a watch that asked.
              const fragments = logged.filter((m) => m === 'watch response fragment held').length;
              if (variant.watchFragment && variant.maxRequestBytes < 6 * 1024 * 1024) {
                assert.ok(fragments >= 2, `${fragments} fragments`);
              } else {
                assert.equal(fragments, 0);
              }
              assert.equal(c.count('reconnected'), 1);
            } finally {
              await viaProxy.close();
              await proxy.close();
              await direct.close();
            }
          });
        });
      }
    });
  });
}
