import { strict as assert } from 'node:assert';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeSim } from '../../../src/envtest/kube-sim/index.js';
import { ConfigMapClient, GoneError, NotFoundError } from '../../../src/kube/index.js';
import { WatchClient } from '../../../src/kube/watch-client.js';
import { kubeConfigFor, waitFor } from './support.js';

/** What one watch reported: its events, and how (and how often) it ended. */
class Recorder {
  readonly events: Array<[string, unknown]> = [];
  readonly ends: unknown[] = [];
  readonly onEvent = (type: string, object: unknown): void => void this.events.push([type, object]);
  readonly onDone = (err: unknown): void => void this.ends.push(err);
}

describe('WatchClient against the simulator', function () {
  this.timeout(30_000);
  let sim: KubeSim;
  before(async () => {
    sim = await KubeSim.start({ port: 0 });
  });
  after(async () => {
    await sim.close();
  });

  it('delivers the events of a watch in order, and ends cleanly (once) when its controller aborts', async () => {
    const cms = new ConfigMapClient(sim.kubeConfig());
    const { resourceVersion } = await cms.list({ namespace: 'default' });
    const seen = new Recorder();
    const controller = await new WatchClient(sim.kubeConfig()).watch(
      '/api/v1/namespaces/default/configmaps',
      { resourceVersion },
      seen.onEvent,
      seen.onDone,
    );
    for (const name of ['w1', 'w2']) {
      await cms.create({ metadata: { name, namespace: 'default' }, data: { a: name } });
    }
    await waitFor('two events', () => (seen.events.length >= 2 ? true : `${seen.events.length} events`));
    assert.deepEqual(
      seen.events.map(([type, obj]) => [type, (obj as { metadata: { name: string } }).metadata.name]),
      [
        ['ADDED', 'w1'],
        ['ADDED', 'w2'],
      ],
    );
    controller.abort();
    await waitFor('the end', () => (seen.ends.length > 0 ? true : 'not ended'));
    assert.deepEqual(seen.ends, [undefined]);
  });

  it('reports an answer other than 200 as the KubeApiError of its status', async () => {
    const seen = new Recorder();
    await new WatchClient(sim.kubeConfig()).watch(
      '/apis/nope.example.com/v1/things',
      {},
      seen.onEvent,
      seen.onDone,
    );
    await waitFor('the end', () => (seen.ends.length > 0 ? true : 'not ended'));
    assert.equal(seen.ends.length, 1);
    assert.ok(seen.ends[0] instanceof NotFoundError, String(seen.ends[0]));
    assert.equal(seen.ends[0].status, 404);
  });
});

describe('WatchClient against a hand-written server', function () {
  this.timeout(30_000);
  let server: Server | undefined;
  /** Each watch request as it arrives, with its answer, to be written by the test. */
  let requests: Array<{ req: IncomingMessage; res: ServerResponse }>;
  let watcher: WatchClient;

  beforeEach(async () => {
    requests = [];
    server = createServer((req, res) => requests.push({ req, res }));
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    watcher = new WatchClient(
      kubeConfigFor({
        server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        skipTLSVerify: true,
      }),
    );
  });
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  });

  async function connect(
    seen: Recorder,
  ): Promise<{ controller: AbortController; req: IncomingMessage; res: ServerResponse }> {
    const pending = watcher.watch('/api/v1/configmaps', { resourceVersion: '7' }, seen.onEvent, seen.onDone);
    await waitFor('the request', () => (requests.length > 0 ? true : 'no request yet'));
    const { req, res } = requests[0]!;
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.flushHeaders();
    return { controller: await pending, req, res };
  }

  /** Writes `text` as its own chunk and waits until it has left. */
  const send = (res: ServerResponse, data: string | Buffer): Promise<void> =>
    new Promise((resolve) => res.write(data, () => resolve()));

  it('asks for watch=true with the params, and joins events whose lines are cut across chunks', async () => {
    const seen = new Recorder();
    const { req, res } = await connect(seen);
    const query = new URL(req.url ?? '', 'http://x').searchParams;
    assert.equal(query.get('watch'), 'true');
    assert.equal(query.get('resourceVersion'), '7');
    const line = Buffer.from(
      '{"type":"ADDED","object":{"metadata":{"name":"é€"}}}\n{"type":"MODIFIED","object":{}}\n',
    );
    const cuts = [10, 42, 44, line.length - 3];
    let at = 0;
    for (const cut of cuts) {
      await send(res, line.subarray(at, cut));
      at = cut;
    }
    await send(res, line.subarray(at));
    await waitFor('two events', () => (seen.events.length >= 2 ? true : `${seen.events.length} events`));
    assert.deepEqual(seen.events, [
      ['ADDED', { metadata: { name: 'é€' } }],
      ['MODIFIED', {}],
    ]);
    res.end();
    await waitFor('the end', () => (seen.ends.length > 0 ? true : 'not ended'));
    assert.deepEqual(seen.ends, [undefined]);
  });

  it('reports HTTP 410 as a GoneError', async () => {
    const seen = new Recorder();
    const pending = watcher.watch('/api/v1/configmaps', {}, seen.onEvent, seen.onDone);
    await waitFor('the request', () => (requests.length > 0 ? true : 'no request yet'));
    requests[0]!.res.writeHead(410, { 'Content-Type': 'application/json' });
    requests[0]!.res.end(
      JSON.stringify({ kind: 'Status', status: 'Failure', reason: 'Expired', code: 410, message: 'too old' }),
    );
    await pending;
    await waitFor('the end', () => (seen.ends.length > 0 ? true : 'not ended'));
    assert.ok(seen.ends[0] instanceof GoneError);
    assert.match((seen.ends[0] as Error).message, /410 Expired: too old/);
  });

  it('reports a stream that breaks off as an error', async () => {
    const seen = new Recorder();
    const { res } = await connect(seen);
    await send(res, '{"type":"ADDED","obj');
    res.socket?.destroy();
    await waitFor('the end', () => (seen.ends.length > 0 ? true : 'not ended'));
    assert.equal(seen.ends.length, 1);
    assert.ok(seen.ends[0] instanceof Error);
    assert.deepEqual(seen.events, []);
  });

  it('closes the connection when its controller aborts', async () => {
    const seen = new Recorder();
    const { controller, req } = await connect(seen);
    let closed = false;
    req.socket.on('close', () => (closed = true));
    controller.abort();
    await waitFor('the server to see the connection close', () => (closed ? true : 'still open'));
    assert.deepEqual(seen.ends, [undefined]);
  });
});
