// WatchStream bookkeeping against a fake transport whose "server" side the test drives message by
// message: the cases real etcd will not produce on demand (unknown ids, created+canceled, fragments,
// a stream error at an exact point).
import { strict as assert } from 'node:assert';
import { EventEmitter } from 'node:events';
import { Metadata, status, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';
import {
  CompactedError,
  ExponentialBackoff,
  PermissionDeniedError,
  UnavailableError,
  type WatchEvent,
  type WatchMessage,
} from '../../../src/etcd/index.js';
import { silentLogger } from '../../../src/observability/index.js';
import type { OpenedStream } from '../../../src/etcd/connection.js';
import type { RawWatchRequest } from '../../../src/etcd/raw-messages.js';
import type { WatchResponseMessage } from '../../../src/etcd/watch-response-decoder.js';
import { WatchStream, type WatchTransport } from '../../../src/etcd/watch-stream.js';
import { Watcher, type WatchSpec } from '../../../src/etcd/watcher.js';

function grpcError(code: status, details: string): ServiceError {
  return Object.assign(new Error(details), { code, details, metadata: new Metadata() });
}

/** The client end of a fake Watch call; the test plays etcd through reply()/fail(). */
class FakeCall extends EventEmitter {
  readonly written: RawWatchRequest[] = [];
  isCanceled = false;
  write(request: RawWatchRequest): boolean {
    this.written.push(request);
    return true;
  }
  cancel(): void {
    this.isCanceled = true;
  }
  creates(): RawWatchRequest['create_request'][] {
    return this.written.filter((r) => r.create_request).map((r) => r.create_request);
  }
  cancels(): string[] {
    return this.written.filter((r) => r.cancel_request).map((r) => r.cancel_request!.watch_id);
  }
  reply(res: Partial<WatchResponseMessage>): void {
    this.emit('data', {
      headerRevision: 100n,
      watchId: '0',
      created: false,
      canceled: false,
      compactRevision: 0n,
      cancelReason: '',
      fragment: false,
      events: [],
      ...res,
    } satisfies WatchResponseMessage);
  }
  /** Ends the call as grpc-js does: 'error' (non-OK only), then 'status'. */
  fail(code: status, details: string): void {
    this.emit('error', grpcError(code, details));
    this.emit('status', { code, details, metadata: new Metadata() });
  }
}

class FakeTransport implements WatchTransport {
  readonly calls: FakeCall[] = [];
  /** What the next opened stream's `connected` is; default: opened on a connected endpoint. */
  nextConnected: () => Promise<void> = () => Promise.resolve();
  /** What a probing Range answers. */
  unaryAnswer: () => Promise<unknown> = () => Promise.resolve({});
  openStream<Req, Res>(): Promise<OpenedStream<Req, Res>> {
    const call = new FakeCall();
    this.calls.push(call);
    return Promise.resolve({
      call: call as unknown as ClientDuplexStream<Req, Res>,
      endpoint: 'fake:2379',
      token: undefined,
      connected: this.nextConnected(),
    });
  }
  markFailed(): void {}
  invalidateToken(): void {}
  currentToken(): Promise<string | undefined> {
    return Promise.resolve(undefined);
  }
  unary<_Req, Res>(): Promise<Res> {
    return this.unaryAnswer() as Promise<Res>;
  }
  get last(): FakeCall {
    return this.calls[this.calls.length - 1]!;
  }
}

function event(revision: number, key: string, value = 'v'): WatchEvent {
  const r = BigInt(revision);
  return {
    type: 'put',
    key: Buffer.from(key),
    value: Buffer.from(value),
    createRevision: r,
    modRevision: r,
    version: 1n,
    lease: 0n,
  };
}

async function until(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

/** A watcher plus everything it has yielded. */
function track(stream: WatchStream, spec: Partial<WatchSpec> = {}) {
  const watcher = new Watcher(
    {
      key: Buffer.from('/k'),
      rangeEnd: undefined,
      fromRevision: undefined,
      prevKv: false,
      filters: [],
      progressNotify: false,
      ...spec,
    },
    stream.allocateSeq(),
    { maxBytes: 1 << 20, maxMessages: 1000 },
    stream,
    undefined,
  );
  const seen: WatchMessage[] = [];
  const result: { error?: unknown; isDone: boolean } = { isDone: false };
  stream.add(watcher);
  void (async () => {
    try {
      for await (const m of watcher) seen.push(m);
    } catch (err) {
      result.error = err;
    }
    result.isDone = true;
  })();
  return { watcher, seen, result };
}

describe('WatchStream', () => {
  let transport: FakeTransport;
  let stream: WatchStream;
  beforeEach(() => {
    transport = new FakeTransport();
    stream = new WatchStream(
      transport,
      new ExponentialBackoff({ initialMs: 1, maxMs: 1 }),
      1_000,
      silentLogger,
    );
  });
  afterEach(async () => stream.close());

  it('sends creates one at a time, matching each created reply to the create in flight', async () => {
    const a = track(stream, { key: Buffer.from('/a') });
    const b = track(stream, { key: Buffer.from('/b') });
    await until('stream open', () => transport.calls.length === 1 && transport.last.creates().length === 1);
    const call = transport.last;
    assert.equal(call.creates()[0]!.key.toString(), '/a');
    call.reply({ created: true, watchId: '7' });
    assert.equal(call.creates().length, 2);
    assert.equal(call.creates()[1]!.key.toString(), '/b');
    call.reply({ created: true, watchId: '8' });
    call.reply({ watchId: '8', events: [event(101, '/b')] });
    await until('b sees its event', () => b.seen.length === 2);
    assert.deepEqual(
      a.seen.map((m) => m.type),
      ['created'],
    );
  });

  it('sends a cancel for a response to an unknown watch id instead of throwing', async () => {
    track(stream);
    await until('create', () => transport.last?.creates().length === 1);
    transport.last.reply({ created: true, watchId: '1' });
    transport.last.reply({ watchId: '42', events: [event(101, '/x')] });
    transport.last.reply({ watchId: '42', events: [event(102, '/x')] });
    assert.deepEqual(transport.last.cancels(), ['42'], 'one cancel, however many stray responses');
  });

  it('gives a watch_id -1 progress reply to every watch', async () => {
    const a = track(stream);
    const b = track(stream);
    await until('create', () => transport.last?.creates().length === 1);
    transport.last.reply({ created: true, watchId: '1' });
    transport.last.reply({ created: true, watchId: '2' });
    transport.last.reply({
      watchId: '-1',
      headerRevision: 150n,
    });
    await until('progress on both', () => a.seen.length === 2 && b.seen.length === 2);
    assert.deepEqual(a.seen[1], { type: 'progress', revision: 150n });
    assert.deepEqual(b.seen[1], { type: 'progress', revision: 150n });
  });

  it('does not ask for fragments unless configured to', async () => {
    track(stream);
    await until('create', () => transport.last?.creates().length === 1);
    assert.equal(transport.last.creates()[0]!.fragment, false);
  });

  it('when configured to, asks for fragments and joins them into one message', async () => {
    await stream.close();
    stream = new WatchStream(
      transport,
      new ExponentialBackoff({ initialMs: 1, maxMs: 1 }),
      1_000,
      silentLogger,
      true,
    );
    const a = track(stream);
    await until('create', () => transport.last?.creates().length === 1);
    assert.equal(transport.last.creates()[0]!.fragment, true);
    transport.last.reply({ created: true, watchId: '1' });
    transport.last.reply({ watchId: '1', fragment: true, events: [event(101, '/a'), event(101, '/b')] });
    transport.last.reply({ watchId: '1', fragment: true, events: [event(101, '/c')] });
    transport.last.reply({ watchId: '1', events: [event(101, '/d')] });
    await until('events', () => a.seen.length === 2);
    const m = a.seen[1]!;
    assert.equal(m.type === 'events' && m.events.map((e) => e.key.toString()).join(), '/a,/b,/c,/d');
  });

  it('fails only the watch whose create is answered created+canceled', async () => {
    transport.unaryAnswer = () =>
      Promise.reject(grpcError(status.PERMISSION_DENIED, 'etcdserver: permission denied'));
    const denied = track(stream);
    const ok = track(stream);
    await until('create', () => transport.last?.creates().length === 1);
    transport.last.reply({
      created: true,
      canceled: true,
      watchId: '-1',
      cancelReason: 'permission denied',
    });
    await until('denied ends', () => denied.result.isDone);
    assert.ok(denied.result.error instanceof PermissionDeniedError);
    assert.equal(transport.last.creates().length, 2, 'the next create goes on');
    transport.last.reply({ created: true, watchId: '3' });
    await until('ok created', () => ok.seen.length === 1);
    assert.equal(ok.result.isDone, false);
  });

  it('ends a compacted watch once with CompactedError and does not re-create it', async () => {
    const a = track(stream, { fromRevision: 5n });
    await until('create', () => transport.last?.creates().length === 1);
    transport.last.reply({ created: true, watchId: '1' });
    transport.last.reply({ watchId: '1', canceled: true, compactRevision: 50n });
    await until('ended', () => a.result.isDone);
    assert.ok(a.result.error instanceof CompactedError);
    assert.equal(a.result.error.compactRevision, 50n);
    assert.equal(transport.last.creates().length, 1);
  });

  describe('after the stream is lost', () => {
    it('re-creates each watch from its last delivered revision + 1, or its created revision + 1', async () => {
      const delivered = track(stream, { key: Buffer.from('/d') });
      const idle = track(stream, { key: Buffer.from('/i') });
      const future = track(stream, { key: Buffer.from('/f'), fromRevision: 500n });
      await until('create', () => transport.last?.creates().length === 1);
      const first = transport.last;
      first.reply({
        created: true,
        watchId: '1',
        headerRevision: 100n,
      });
      first.reply({
        created: true,
        watchId: '2',
        headerRevision: 103n,
      });
      first.reply({ created: true, watchId: '3' });
      first.reply({ watchId: '1', events: [event(104, '/d'), event(104, '/d2')] });
      // A progress header must not move the resume point.
      first.reply({
        watchId: '2',
        headerRevision: 120n,
      });
      first.fail(status.UNAVAILABLE, 'connection dropped');
      await until(
        'second call creates',
        () => transport.calls.length === 2 && transport.last.creates().length === 1,
      );
      const second = transport.last;
      assert.equal(second.creates()[0]!.start_revision, '105');
      second.reply({
        created: true,
        watchId: '1',
        headerRevision: 130n,
      });
      assert.equal(second.creates()[1]!.start_revision, '104');
      second.reply({ created: true, watchId: '2' });
      assert.equal(second.creates()[2]!.start_revision, '500');
      second.reply({ created: true, watchId: '3' });
      // An event already delivered before the loss is never delivered twice.
      second.reply({ watchId: '1', events: [event(104, '/d'), event(106, '/d')] });
      await until('reconnected + events', () => delivered.seen.length === 4);
      assert.deepEqual(delivered.seen[2], { type: 'reconnected', revision: 104n });
      const m = delivered.seen[3]!;
      assert.equal(m.type === 'events' && m.events.map((e) => e.modRevision).join(), '106');
      assert.deepEqual(idle.seen.at(-1), { type: 'reconnected', revision: 103n });
      assert.deepEqual(
        future.seen.map((x) => x.type),
        ['created', 'reconnected'],
      );
    });

    it('writes the create into a call queued on a reconnecting endpoint, and reopens if another endpoint wins', async () => {
      let otherEndpointWon: (err: Error) => void = () => undefined;
      transport.nextConnected = () => new Promise((_, reject) => (otherEndpointWon = reject));
      const a = track(stream, { key: Buffer.from('/a'), fromRevision: 50n });
      await until('create written into the queued call', () => transport.last?.creates().length === 1);
      const queued = transport.last;
      transport.nextConnected = () => Promise.resolve();
      otherEndpointWon(new UnavailableError('other:2379 connected before fake:2379'));
      await until('reopened', () => transport.calls.length === 2 && transport.last.creates().length === 1);
      assert.equal(queued.isCanceled, true, 'the queued call is dropped');
      assert.equal(transport.last.creates()[0]!.start_revision, '50');
      // Late words on the dropped call change nothing.
      queued.reply({ created: true, watchId: '9' });
      transport.last.reply({ created: true, watchId: '1' });
      transport.last.reply({ watchId: '1', events: [event(50, '/a')] });
      await until('created + events', () => a.seen.length === 2);
      assert.deepEqual(
        a.seen.map((m) => m.type),
        ['created', 'events'],
      );
    });

    it('halts every watch with the typed error when the failure cannot heal', async () => {
      const a = track(stream);
      await until('create', () => transport.last?.creates().length === 1);
      transport.last.reply({ created: true, watchId: '1' });
      transport.last.fail(status.PERMISSION_DENIED, 'etcdserver: permission denied');
      await until('ended', () => a.result.isDone);
      assert.ok(a.result.error instanceof PermissionDeniedError);
      assert.equal(transport.calls.length, 1, 'no reconnect');
    });

    it('cancels a watch while the stream is down: it ends normally and is not re-created', async () => {
      const a = track(stream, { key: Buffer.from('/a') });
      const b = track(stream, { key: Buffer.from('/b') });
      await until('create', () => transport.last?.creates().length === 1);
      transport.last.reply({ created: true, watchId: '1' });
      transport.last.reply({ created: true, watchId: '2' });
      transport.last.fail(status.UNAVAILABLE, 'gone');
      await a.watcher.cancel();
      await until('a ends', () => a.result.isDone);
      assert.equal(a.result.error, undefined);
      await until('reconnect', () => transport.calls.length === 2 && transport.last.creates().length === 1);
      assert.equal(transport.last.creates()[0]!.key.toString(), '/b');
      assert.equal(b.result.isDone, false);
    });
  });

  it('close() ends every watch normally and cancels the call', async () => {
    const a = track(stream);
    await until('create', () => transport.last?.creates().length === 1);
    const call = transport.last;
    await stream.close();
    await until('a ends', () => a.result.isDone);
    assert.equal(a.result.error, undefined);
    assert.equal(call.isCanceled, true);
  });
});
