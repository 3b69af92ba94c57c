// WatchStream against a scripted transport: the cases a real etcd cannot produce on demand — a member
// that answers below what a watch has seen but is only behind (a follower just after a failover), and
// the exact order of RequestProgress requests and replies.
import { strict as assert } from 'node:assert';
import { EventEmitter } from 'node:events';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { ExponentialBackoff } from '../../../src/etcd/backoff.js';
import { RevisionWentBackError, type WatchEvent, type WatchMessage } from '../../../src/etcd/index.js';
import type { EtcdMethod } from '../../../src/etcd/proto.js';
import type { RawWatchRequest } from '../../../src/etcd/raw-messages.js';
import type { WatchResponseMessage } from '../../../src/etcd/watch-response-decoder.js';
import { WatchStream, type WatchTransport } from '../../../src/etcd/watch-stream.js';
import { Watcher } from '../../../src/etcd/watcher.js';
import { silentLogger } from '../../../src/observability/index.js';
import { waitFor } from '../../support/wait.js';

/** A Watch call: records what the stream writes; the test emits etcd's replies with reply(). */
class FakeCall extends EventEmitter {
  readonly written: RawWatchRequest[] = [];
  write(request: RawWatchRequest): boolean {
    this.written.push(request);
    return true;
  }
  cancel(): void {
    this.emit('status', { code: GrpcStatus.CANCELLED, details: 'cancelled' });
  }
  /** etcd drops the stream. */
  lose(): void {
    this.emit('status', { code: GrpcStatus.UNAVAILABLE, details: 'connection reset' });
  }
  reply(res: Partial<WatchResponseMessage>): void {
    const full: WatchResponseMessage = {
      headerRevision: 0n,
      clusterId: '1',
      memberId: '7',
      watchId: '0',
      created: false,
      canceled: false,
      compactRevision: 0n,
      cancelReason: '',
      fragment: false,
      events: [],
      ...res,
    };
    this.emit('data', full);
  }
  creates(): RawWatchRequest['create_request'][] {
    return this.written.filter((r) => r.create_request).map((r) => r.create_request);
  }
}

/** Opens FakeCalls; answers Status with `version`; holds each Range until the test answers it. */
class FakeTransport {
  readonly calls: FakeCall[] = [];
  readonly ranges: ((revision: bigint) => void)[] = [];
  /** The last Status answer given; awaiting it runs after the stream's own handler of it. */
  statusReply: Promise<unknown> | undefined;
  constructor(private readonly version: string) {}

  openStream(): Promise<unknown> {
    const call = new FakeCall();
    this.calls.push(call);
    return Promise.resolve({ call, endpoint: 'fake:2379', token: undefined, connected: Promise.resolve() });
  }
  markFailed(): void {}
  invalidateToken(): void {}
  currentToken(): Promise<undefined> {
    return Promise.resolve(undefined);
  }
  unary<Req, Res>(method: EtcdMethod<Req, Res>): Promise<Res> {
    if (method.path.endsWith('/Status')) {
      const reply = Promise.resolve({ header: { member_id: '7' }, version: this.version } as Res);
      this.statusReply = reply;
      return reply;
    }
    return new Promise<Res>((resolve) =>
      this.ranges.push((revision) => resolve({ header: { revision: String(revision) }, kvs: [] } as Res)),
    );
  }
  get call(): FakeCall {
    return this.calls[this.calls.length - 1]!;
  }
}

function event(revision: bigint): WatchEvent {
  return {
    type: 'put',
    key: Buffer.from('/p/k'),
    value: Buffer.from('v'),
    createRevision: 1n,
    modRevision: revision,
    version: 1n,
    lease: 0n,
  };
}

/** A stream on a fake transport, and a way to add watches and read what they yielded. */
function setUp(version = '3.5.16'): {
  transport: FakeTransport;
  stream: WatchStream;
  watch: (fromRevision?: bigint) => { watcher: Watcher; messages: WatchMessage[]; error: () => unknown };
} {
  const transport = new FakeTransport(version);
  const stream = new WatchStream(
    transport as unknown as WatchTransport,
    new ExponentialBackoff({ initialMs: 1, maxMs: 1 }),
    1_000,
    silentLogger,
  );
  const watch = (fromRevision?: bigint) => {
    const watcher = new Watcher(
      {
        key: Buffer.from('/p/'),
        rangeEnd: Buffer.from('/p0'),
        fromRevision,
        prevKv: false,
        filters: [],
        progressNotify: false,
      },
      stream.allocateSeq(),
      { maxBytes: 1e9, maxMessages: 1e6 },
      stream,
      undefined,
    );
    const messages: WatchMessage[] = [];
    let error: unknown;
    void (async () => {
      try {
        for await (const m of watcher) messages.push(m);
      } catch (err) {
        error = err;
      }
    })();
    stream.add(watcher);
    return { watcher, messages, error: () => error };
  };
  return { transport, stream, watch };
}

const summary = (messages: WatchMessage[]): string[] =>
  messages.map((m) =>
    m.type === 'events'
      ? `events@${m.events.map((e) => e.modRevision).join(',')}`
      : m.type === 'reconnected'
        ? `reconnected@${m.revision}/${m.etcdRevision}`
        : `${m.type}@${m.revision}`,
  );

describe('WatchStream when etcd answers below what a watch has seen', () => {
  it('confirms with a linearizable read; a member that is only behind keeps the watch, which gets what was held', async () => {
    const { transport, stream, watch } = setUp();
    try {
      const w = watch();
      await waitFor(
        'the stream',
        () => transport.calls.length === 1 && transport.call.creates().length === 1,
      );
      transport.call.reply({ created: true, watchId: '0', headerRevision: 40n });
      transport.call.reply({ watchId: '0', headerRevision: 41n, events: [event(41n)] });
      transport.call.lose();
      await waitFor(
        'a new stream',
        () => transport.calls.length === 2 && transport.call.creates().length === 1,
      );
      assert.equal(transport.call.creates()[0]!.start_revision, '42');
      transport.call.reply({ created: true, watchId: '0', headerRevision: 39n });
      transport.call.reply({ watchId: '0', headerRevision: 42n, events: [event(42n)] });
      await waitFor('the read', () => transport.ranges.length === 1);
      assert.equal(w.watcher.isVerifying, true);
      transport.ranges[0]!(42n);
      await waitFor('the held events', () => w.messages.length === 4);
      // events@42 after the reconnected line: it was held until the read confirmed etcd.
      assert.deepEqual(summary(w.messages), ['created@40', 'events@41', 'reconnected@41/39', 'events@42']);
      assert.equal(w.error(), undefined);
    } finally {
      await stream.close();
    }
  });

  it('ends the watch with RevisionWentBackError when the read confirms etcd went back, and tells etcd to cancel it', async () => {
    const { transport, stream, watch } = setUp();
    try {
      const w = watch();
      await waitFor('the stream', () => transport.calls.length > 0 && transport.call.creates().length === 1);
      transport.call.reply({ created: true, watchId: '0', headerRevision: 40n });
      transport.call.reply({ watchId: '0', headerRevision: 51n, events: [event(51n)] });
      transport.call.lose();
      await waitFor(
        'a new stream',
        () => transport.calls.length === 2 && transport.call.creates().length === 1,
      );
      transport.call.reply({ created: true, watchId: '3', headerRevision: 1n });
      await waitFor('the read', () => transport.ranges.length === 1);
      transport.ranges[0]!(1n);
      await waitFor('the end', () => w.error() !== undefined);
      const err = w.error();
      assert.ok(err instanceof RevisionWentBackError);
      assert.equal(err.seenRevision, 51n);
      assert.equal(err.etcdRevision, 1n);
      assert.deepEqual(
        transport.call.written.filter((r) => r.cancel_request).map((r) => r.cancel_request!.watch_id),
        ['3'],
      );
    } finally {
      await stream.close();
    }
  });

  it('a progress reply below the seen revision is not passed on, and is confirmed the same way', async () => {
    const { transport, stream, watch } = setUp();
    try {
      const w = watch();
      await waitFor('the stream', () => transport.calls.length > 0 && transport.call.creates().length === 1);
      transport.call.reply({ created: true, watchId: '0', headerRevision: 40n });
      transport.call.reply({ watchId: '0', headerRevision: 30n });
      await waitFor('the read', () => transport.ranges.length === 1);
      transport.ranges[0]!(30n);
      await waitFor('the end', () => w.error() !== undefined);
      assert.deepEqual(summary(w.messages), ['created@40']);
      assert.ok(w.error() instanceof RevisionWentBackError);
    } finally {
      await stream.close();
    }
  });

  it('another cluster ID ends every watch with a resume point; a watch from "now" never created goes on', async () => {
    const { transport, stream, watch } = setUp();
    try {
      const seenSome = watch();
      await waitFor('the stream', () => transport.calls.length > 0 && transport.call.creates().length === 1);
      transport.call.reply({ created: true, watchId: '0', headerRevision: 40n });
      const fromRevision = watch(100n);
      await waitFor('its create', () => transport.call.creates().length === 2);
      transport.call.reply({ created: true, watchId: '1', headerRevision: 40n });
      transport.call.lose();
      await waitFor(
        'a new stream',
        () => transport.calls.length === 2 && transport.call.creates().length === 1,
      );
      const fresh = watch();
      transport.call.reply({ created: true, watchId: '0', headerRevision: 3n, clusterId: '2' });
      await waitFor('both ended', () => seenSome.error() !== undefined && fromRevision.error() !== undefined);
      for (const [w, seen] of [
        [seenSome, 40n],
        [fromRevision, 99n],
      ] as const) {
        const err = w.error();
        assert.ok(err instanceof RevisionWentBackError);
        assert.equal(err.seenRevision, seen);
        assert.equal(err.etcdRevision, 3n);
        assert.equal(err.previousClusterId, '1');
        assert.equal(err.clusterId, '2');
      }
      await waitFor('the fresh create', () => transport.call.creates().length === 2);
      transport.call.reply({ created: true, watchId: '1', headerRevision: 3n, clusterId: '2' });
      await waitFor('created', () => fresh.messages.length === 1);
      assert.equal(fresh.error(), undefined);
    } finally {
      await stream.close();
    }
  });
});

describe('WatchStream and RequestProgress replies', () => {
  for (const [version, isInStep] of [
    ['3.5.16', true],
    ['3.4.23', false],
  ] as const) {
    it(`on etcd ${version} a reply ${isInStep ? 'moves' : 'does not move'} the resume point of a watch created before the request`, async () => {
      const { transport, stream, watch } = setUp(version);
      try {
        const w = watch();
        await waitFor(
          'the stream',
          () => transport.calls.length > 0 && transport.call.creates().length === 1,
        );
        transport.call.reply({ created: true, watchId: '0', headerRevision: 40n });
        await waitFor('the release', () => stream.serverVersion === version);
        stream.requestProgress();
        transport.call.reply({ watchId: '-1', headerRevision: 60n });
        assert.equal(w.watcher.startRevision(), isInStep ? 61n : 41n);
        await waitFor('the progress message', () => w.messages.length === 2);
        assert.deepEqual(summary(w.messages), ['created@40', 'progress@60'], 'passed on either way');
      } finally {
        await stream.close();
      }
    });
  }

  it('a reply that may answer a request sent before a watch was created does not count for it', async () => {
    const { transport, stream, watch } = setUp('3.5.16');
    try {
      const early = watch();
      await waitFor('the stream', () => transport.calls.length > 0 && transport.call.creates().length === 1);
      transport.call.reply({ created: true, watchId: '0', headerRevision: 40n });
      await waitFor('the release', () => stream.serverVersion !== undefined);
      stream.requestProgress(); // request 1: before `late` exists
      const late = watch(10n);
      await waitFor('its create', () => transport.call.creates().length === 2);
      transport.call.reply({ created: true, watchId: '1', headerRevision: 50n });
      transport.call.reply({ watchId: '-1', headerRevision: 55n }); // reply 1
      assert.equal(early.watcher.startRevision(), 56n);
      assert.equal(late.watcher.startRevision(), 10n, 'reply 1 may predate it: its catch-up is not done');
      stream.requestProgress(); // request 2: both watches exist
      transport.call.reply({ watchId: '-1', headerRevision: 57n }); // reply 2
      assert.equal(late.watcher.startRevision(), 58n);
    } finally {
      await stream.close();
    }
  });

  it('an unknown release (the Status answer came from another member) does not count', async () => {
    const transport = new FakeTransport('3.5.16');
    const stream = new WatchStream(
      transport as unknown as WatchTransport,
      new ExponentialBackoff({ initialMs: 1, maxMs: 1 }),
      1_000,
      silentLogger,
    );
    const watcher = new Watcher(
      {
        key: Buffer.from('/p/'),
        rangeEnd: Buffer.from('/p0'),
        fromRevision: undefined,
        prevKv: false,
        filters: [],
        progressNotify: false,
      },
      stream.allocateSeq(),
      { maxBytes: 1e9, maxMessages: 1e6 },
      stream,
      undefined,
    );
    try {
      stream.add(watcher);
      await waitFor('the stream', () => transport.calls.length > 0 && transport.call.creates().length === 1);
      transport.call.reply({ created: true, watchId: '0', headerRevision: 40n, memberId: '8' });
      await waitFor('the Status answer', () => transport.statusReply);
      await transport.statusReply;
      assert.equal(stream.serverVersion, undefined);
      stream.requestProgress();
      transport.call.reply({ watchId: '-1', headerRevision: 60n, memberId: '8' });
      assert.equal(watcher.startRevision(), 41n);
    } finally {
      await stream.close();
    }
  });
});
