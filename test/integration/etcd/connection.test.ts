// Connection.openStream against real etcd: a stream opened while no endpoint is connected is queued on
// the endpoint tried first, so that what is written into it goes out the moment that endpoint is back.
import { strict as assert } from 'node:assert';
import { Connection } from '../../../src/etcd/connection.js';
import { EtcdClient, UnavailableError } from '../../../src/etcd/index.js';
import { etcdMethod } from '../../../src/etcd/proto.js';
import type { RawWatchRequest, RawWatchResponse } from '../../../src/etcd/raw-messages.js';
import { EtcdCluster, freeLoopbackPorts, etcdVersionsUnderTest } from '../../../src/envtest/index.js';
import { silentLogger } from '../../../src/observability/index.js';
import { waitFor } from './helpers.js';

const WATCH = etcdMethod<RawWatchRequest, RawWatchResponse>('Watch', 'Watch');

function connectionTo(endpoints: string[]): Connection {
  return new Connection({
    endpoints,
    connectTimeoutMs: 20_000,
    requestTimeoutMs: 20_000,
    keepaliveTimeMs: 10_000,
    keepaliveTimeoutMs: 5_000,
    logger: silentLogger,
  });
}

/** Settles with 'pending' if `p` has not settled by the time the macrotask queue has been drained once. */
function stateOf(p: Promise<unknown>): Promise<'resolved' | 'rejected' | 'pending'> {
  return Promise.race([
    p.then(
      () => 'resolved' as const,
      () => 'rejected' as const,
    ),
    new Promise<'pending'>((r) => setImmediate(() => r('pending'))),
  ]);
}

for (const etcd of etcdVersionsUnderTest()) {
  describe(`on etcd ${etcd.version}`, () => {
    describe('Connection', function () {
      this.timeout(60_000);
      let cluster: EtcdCluster;
      beforeEach(async () => {
        cluster = await EtcdCluster.start({ etcdBin: etcd.etcdBin, etcdctlBin: etcd.etcdctlBin });
      });
      afterEach(async () => cluster?.close());

      it('queues a stream while its only endpoint is down; the create written then is answered once etcd is back', async () => {
        const member = cluster.members[0]!;
        const connection = connectionTo([member.endpoint]);
        try {
          await member.kill('SIGKILL');
          const opened = await connection.openStream(WATCH, Date.now() + 20_000);
          assert.equal(opened.endpoint, member.endpoint);
          const firstResponse = new Promise<RawWatchResponse>((resolve, reject) => {
            opened.call.once('data', resolve);
            opened.call.once('error', reject); // a call that is not queued fails at once with Unavailable
          });
          firstResponse.catch(() => undefined); // awaited below; do not report it as unhandled meanwhile
          opened.call.write({ create_request: { key: Buffer.from('/q/'), range_end: Buffer.from('/q0') } });
          assert.equal(await stateOf(opened.connected), 'pending', 'nothing to connect to yet');

          await member.restart(); // already stopped: starts it on the same port, retrying if that is taken
          await opened.connected;
          assert.equal((await firstResponse).created, true);
          opened.call.cancel();
        } finally {
          connection.close();
        }
      });

      it('opens on a connected endpoint at once, and reports a queued endpoint that lost to another', async () => {
        const [deadPort] = await freeLoopbackPorts(1);
        const dead = `127.0.0.1:${deadPort}`; // nothing listens: refused, never READY
        const live = cluster.members[0]!.endpoint;
        const connection = connectionTo([dead, live]);
        try {
          const queued = await connection.openStream(WATCH, Date.now() + 20_000);
          queued.call.on('error', () => undefined);
          assert.equal(queued.endpoint, dead, 'queued on the endpoint tried first');
          await assert.rejects(queued.connected, (err: unknown) => {
            assert.ok(err instanceof UnavailableError, String(err));
            assert.match(err.message, new RegExp(`${live} connected before ${dead}`));
            return true;
          });
          queued.call.cancel();

          const direct = await connection.openStream(WATCH, Date.now() + 20_000);
          direct.call.on('error', () => undefined);
          assert.equal(direct.endpoint, live, 'the connected endpoint is used first from now on');
          assert.equal(await stateOf(direct.connected), 'resolved');
          direct.call.cancel();
        } finally {
          connection.close();
        }
      });

      it('finds an idle channel connected at once through a subchannel another client of the process reconnected', async () => {
        // grpc-js shares subchannels between channels with the same target and options: once the watching
        // client is back, the idle client's channel goes READY inside the very call that asks it to connect.
        const member = cluster.members[0]!;
        const watching = new EtcdClient({ endpoints: [member.endpoint] });
        const idle = new EtcdClient({ endpoints: [member.endpoint], requestTimeoutMs: 10_000 });
        const watch = watching.watch({ key: '/shared/', prefix: true });
        const seen: string[] = [];
        const consuming = (async () => {
          for await (const m of watch) seen.push(m.type);
        })();
        try {
          await waitFor('the watch created', () => seen.includes('created')); // it starts at "now"
          await idle.kv.put('/shared/a', '1');
          await waitFor('the first event', () => seen.includes('events'));
          await member.restart({ signal: 'SIGKILL' });
          await waitFor('the watch back', () => seen.includes('reconnected'));
          // Before the fix this waited out its whole deadline and failed with DeadlineExceededError.
          const { revision } = await idle.kv.put('/shared/a', '2');
          assert.ok(revision > 0n);
        } finally {
          await watch.cancel();
          await consuming;
          await Promise.all([watching.close(), idle.close()]);
        }
      });
    });
  });
}
