// Shared helpers of the etcd integration tests: waiting on conditions, a TCP proxy that can cut
// connections, a watch collector and the "every event exactly once, in revision order" check.
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { EtcdClient, type Watch, type WatchEvent, type WatchMessage } from '../../../src/etcd/index.js';
import { waitFor } from '../../support/wait.js';

export { waitFor };

/** A prefix no other test uses. */
export function uniquePrefix(name: string): string {
  return `/test/${name}/${randomBytes(4).toString('hex')}/`;
}

/**
 * A TCP proxy on a free loopback port to one target. `cut()` drops every connection; `block()` also
 * refuses new ones until `unblock()`: a lost network without killing etcd. `cutAtDownstreamByte(n)`
 * cuts at an exact point of what etcd sends, so a test can cut mid-stream without racing the client.
 */
export class TcpProxy {
  private readonly sockets = new Set<Socket>();
  private isBlocked = false;
  /** Bytes passed from the target to clients, over every connection so far. */
  downstreamBytes = 0;
  private cutAt: number | undefined;
  private readonly server: Server;
  /** `127.0.0.1:<port>` to give the client; set by start(). */
  endpoint = '';

  private constructor(private readonly target: string) {
    this.server = createServer((client) => this.onConnection(client));
  }

  static async start(target: string): Promise<TcpProxy> {
    const proxy = new TcpProxy(target);
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    const address = proxy.server.address();
    if (address === null || typeof address === 'string') throw new Error('proxy has no port');
    proxy.endpoint = `127.0.0.1:${address.port}`;
    return proxy;
  }

  private onConnection(client: Socket): void {
    if (this.isBlocked) {
      client.destroy();
      return;
    }
    const [host, port] = this.target.split(':') as [string, string];
    const upstream = connect(Number(port), host);
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => this.forwardDownstream(chunk, upstream, client));
    client.on('drain', () => upstream.resume());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  }

  private forwardDownstream(chunk: Buffer, upstream: Socket, client: Socket): void {
    const room = this.cutAt === undefined ? chunk.length : this.cutAt - this.downstreamBytes;
    if (room < chunk.length) {
      // The client gets exactly the bytes before the cut point, then loses the connection.
      const head = chunk.subarray(0, Math.max(0, room));
      this.downstreamBytes += head.length;
      this.cutAt = undefined;
      client.end(head, () => this.cut());
      upstream.destroy();
      return;
    }
    this.downstreamBytes += chunk.length;
    if (!client.write(chunk)) upstream.pause();
  }

  /**
   * Cuts every connection once `downstreamBytes` reaches `byte`: the client sees the target's stream up
   * to that byte and not one more. Applies once.
   */
  cutAtDownstreamByte(byte: number): void {
    this.cutAt = byte;
  }

  /** Drops every open connection. */
  cut(): void {
    for (const s of this.sockets) s.destroy();
  }

  /** Drops every connection and refuses new ones. */
  block(): void {
    this.isBlocked = true;
    this.cut();
  }

  unblock(): void {
    this.isBlocked = false;
  }

  async close(): Promise<void> {
    this.block();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Collects everything a watch yields, for later assertions. */
export class Collector {
  readonly messages: WatchMessage[] = [];
  readonly events: WatchEvent[] = [];
  /** The error the iteration ended with, if any. */
  error: unknown;
  isDone = false;
  readonly finished: Promise<void>;

  constructor(readonly watch: Watch) {
    this.finished = (async () => {
      try {
        for await (const m of watch) {
          this.messages.push(m);
          if (m.type === 'events') this.events.push(...m.events);
        }
      } catch (err) {
        this.error = err;
      } finally {
        this.isDone = true;
      }
    })();
  }

  count(type: WatchMessage['type']): number {
    return this.messages.filter((m) => m.type === type).length;
  }

  /** Revision of the last delivered event, 0n if none. */
  get lastRevision(): bigint {
    return this.events[this.events.length - 1]?.modRevision ?? 0n;
  }

  async waitForRevision(revision: bigint, timeoutMs = 60_000): Promise<void> {
    await waitFor(
      `events up to revision ${revision} (at ${this.lastRevision}, error ${String(this.error)})`,
      () => this.lastRevision >= revision || this.isDone,
      timeoutMs,
    );
    if (this.lastRevision < revision) throw new Error(`watch ended early: ${String(this.error)}`);
  }
}

/** A comparable rendering of an event. */
export function describeEvent(e: WatchEvent): string {
  const prev = e.prevKv
    ? `:prev=${e.prevKv.modRevision}/${e.prevKv.value.subarray(0, 16).toString('hex')}`
    : '';
  return `${e.modRevision}:${e.type}:${e.key.toString()}:${e.value.length}:${e.value.subarray(0, 16).toString('hex')}${prev}`;
}

/** Asserts that no etcd revision's events were split over two delivered messages. */
export function assertNoSplitRevisions(messages: readonly WatchMessage[]): void {
  const seen = new Set<bigint>();
  for (const m of messages) {
    if (m.type !== 'events') continue;
    const inThis = new Set(m.events.map((e) => e.modRevision));
    for (const r of inThis) {
      assert.ok(!seen.has(r), `events of revision ${r} were split over two messages`);
      seen.add(r);
    }
  }
}

/**
 * etcd's true history of `prefix` in (afterRevision, toRevision], read by a fresh fault-free watch on
 * its own client. `toRevision` must be the revision of a write under `prefix`.
 */
export async function historyOf(
  endpoints: string[],
  prefix: string,
  afterRevision: bigint,
  toRevision: bigint,
  options: { prevKv?: boolean } = {},
): Promise<WatchEvent[]> {
  const client = new EtcdClient({ endpoints });
  try {
    const watch = client.watch({
      key: prefix,
      prefix: true,
      fromRevision: afterRevision + 1n,
      prevKv: options.prevKv,
    });
    const c = new Collector(watch);
    await c.waitForRevision(toRevision);
    await watch.cancel();
    await c.finished;
    return c.events.filter((e) => e.modRevision <= toRevision);
  } finally {
    await client.close();
  }
}

/** Every event exactly once, in revision order: `got` equals `expected` event for event. */
export function assertExactlyOnce(got: readonly WatchEvent[], expected: readonly WatchEvent[]): void {
  for (let i = 1; i < got.length; i++) {
    assert.ok(
      got[i]!.modRevision >= got[i - 1]!.modRevision,
      `revision order broken at ${i}: ${got[i - 1]!.modRevision} then ${got[i]!.modRevision}`,
    );
  }
  const g = got.map(describeEvent);
  const e = expected.map(describeEvent);
  if (g.length !== e.length || g.some((x, i) => x !== e[i])) {
    const firstDiff = g.findIndex((x, i) => x !== e[i]);
    assert.fail(
      `got ${g.length} events, etcd has ${e.length}; first difference at ${firstDiff}: got ${g[firstDiff]} expected ${e[firstDiff]}`,
    );
  }
}

/**
 * One series of etcd's Prometheus metrics, read from `/metrics` on a plain-HTTP client URL; 0 when
 * etcd does not show it yet. `series` is the full name with labels as etcd prints it.
 */
export async function etcdMetric(endpoint: string, series: string): Promise<number> {
  const res = await fetch(`http://${endpoint}/metrics`);
  if (!res.ok) throw new Error(`GET http://${endpoint}/metrics: ${res.status}`);
  const line = (await res.text()).split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

/** How many watches the etcd member at `endpoint` holds, from every client and stream together. */
export function watchesHeldBy(endpoint: string): Promise<number> {
  return etcdMetric(endpoint, 'etcd_debugging_mvcc_watcher_total');
}

/**
 * How many Watch requests (creates, cancels, progress requests) the member at `endpoint` has received
 * since it started, from every client together.
 */
export function watchRequestsReceivedBy(endpoint: string): Promise<number> {
  return etcdMetric(
    endpoint,
    'grpc_server_msg_received_total{grpc_method="Watch",grpc_service="etcdserverpb.Watch",grpc_type="bidi_stream"}',
  );
}

/**
 * Asks etcd for progress and waits until `via` (a watch on `client`'s stream) has the reply: etcd has
 * then received everything the client wrote on the stream before, and the client has taken everything
 * etcd queued on the stream's control channel before (etcd answers a progress request in order with
 * created and canceled replies).
 */
export async function progressRoundTrip(
  client: EtcdClient,
  via: Collector,
  timeoutMs = 20_000,
): Promise<void> {
  const before = via.count('progress');
  client.requestProgress();
  await waitFor('a progress reply', () => via.count('progress') > before || via.isDone, timeoutMs);
  if (via.isDone) throw new Error(`watch ended during a progress round trip: ${String(via.error)}`);
}

/** Runs `task` for 0..count-1 with at most `parallel` in flight. */
export async function inParallel(
  count: number,
  parallel: number,
  task: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(parallel, count) }, async () => {
      while (next < count) await task(next++);
    }),
  );
}
