import { strict as assert } from 'node:assert';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import type { V1ConfigMap } from '@kubernetes/client-node';
import { KubeSim } from '../../../src/envtest/kube-sim/index.js';
import type { KubeApiError } from '../../../src/kube/index.js';
import {
  AlreadyExistsError,
  BadRequestError,
  ConflictError,
  ForbiddenError,
  GoneError,
  InvalidError,
  NotFoundError,
  ServerError,
  TooManyRequestsError,
  TransportError,
  UnauthorizedError,
  operatorUserAgent,
} from '../../../src/kube/index.js';
import { KubeTransport } from '../../../src/kube/transport.js';
import { kubeConfigFor } from './support.js';

const CMS = '/api/v1/namespaces/default/configmaps';

function configMap(name: string, data: Record<string, string> = { a: '1' }): V1ConfigMap {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data };
}

describe('KubeTransport (JSON over node http against the simulator)', function () {
  this.timeout(30_000);
  let sim: KubeSim;
  let http: KubeTransport;

  before(async () => {
    sim = await KubeSim.start({ port: 0 });
    http = KubeTransport.for(sim.kubeConfig());
  });
  after(async () => {
    await sim.close();
  });
  afterEach(() => sim.faults.clear());

  it('answers a 2xx with the parsed body, times as the wire strings, and reuses one transport per kubeconfig', async () => {
    const kc = sim.kubeConfig();
    assert.equal(KubeTransport.for(kc), KubeTransport.for(kc));
    const created = await http.create<V1ConfigMap>(CMS, configMap('plain'));
    assert.equal(created.metadata?.name, 'plain');
    const read = await http.get<V1ConfigMap>(`${CMS}/plain`);
    assert.deepEqual(read.data, { a: '1' });
    // client-node's typed clients made a Date of it; the wire (and the watch events) have a string.
    assert.equal(typeof read.metadata?.creationTimestamp, 'string');
    const listed = await http.list<{ items: V1ConfigMap[] }>(CMS, { query: { labelSelector: undefined } });
    assert.ok(listed.items.some((cm) => cm.metadata?.name === 'plain'));
    await http.delete(`${CMS}/plain`);
    await assert.rejects(http.get(`${CMS}/plain`), NotFoundError);
  });

  it('sends the operator User-Agent on every request and its fieldManager on writes', async () => {
    const created = await http.create<V1ConfigMap>(CMS, configMap('identified'));
    assert.ok(sim.userAgents.has(operatorUserAgent()), [...sim.userAgents].join(' | '));
    assert.deepEqual(
      created.metadata?.managedFields?.map((f) => f.manager),
      ['etcd-config-operator'],
    );
    // A write that names its own manager keeps it.
    const patched = await http.patchMerge<V1ConfigMap>(
      `${CMS}/identified`,
      { data: { b: '2' } },
      { query: { fieldManager: 'someone-else' } },
    );
    assert.deepEqual(patched.metadata?.managedFields?.map((f) => f.manager).sort(), [
      'etcd-config-operator',
      'someone-else',
    ]);
  });

  it('turns each error answer into its KubeApiError subclass, with the Status in the message', async () => {
    await assert.rejects(
      http.get(`${CMS}/missing`, { what: 'get configmap default/missing' }),
      (err: unknown) =>
        err instanceof NotFoundError &&
        err.status === 404 &&
        err.reason === 'NotFound' &&
        err.message === 'get configmap default/missing: 404 NotFound: configmaps "missing" not found',
    );
    await http.create(CMS, configMap('taken'));
    await assert.rejects(http.create(CMS, configMap('taken')), AlreadyExistsError);
    const stale = {
      ...configMap('taken', { a: '2' }),
      metadata: { name: 'taken', namespace: 'default', resourceVersion: '1' },
    };
    await assert.rejects(
      http.update(`${CMS}/taken`, stale),
      (err: unknown) => err instanceof ConflictError && !(err instanceof AlreadyExistsError),
    );
    await assert.rejects(
      http.create(CMS, configMap('Not_A_Name')),
      (err: unknown) => err instanceof InvalidError && err.causes.some((c) => c.field === 'metadata.name'),
    );
    const injected: Array<[number, new (...args: never[]) => KubeApiError]> = [
      [400, BadRequestError],
      [401, UnauthorizedError],
      [403, ForbiddenError],
      [410, GoneError],
      [429, TooManyRequestsError],
      [500, ServerError],
      [503, ServerError],
    ];
    for (const [status, errorClass] of injected) {
      sim.faults.failNext({ verb: 'get', resource: 'configmaps', count: 1, status });
      await assert.rejects(
        http.get(`${CMS}/taken`, { what: 'get it' }),
        (err: unknown) =>
          err instanceof errorClass &&
          err.status === status &&
          /^get it: \d{3} \w+/.test((err as Error).message),
        `status ${status}`,
      );
    }
  });

  it('fails with TransportError when aborted mid-request, at once', async () => {
    sim.faults.delay({ verb: 'get', resource: 'configmaps', ms: 5_000 });
    const started = Date.now();
    const controller = new AbortController();
    const pending = http.get(`${CMS}/slow`, { signal: controller.signal, what: 'get slow' });
    setTimeout(() => controller.abort(), 50);
    await assert.rejects(
      pending,
      (err: unknown) =>
        err instanceof TransportError &&
        err.status === 0 &&
        /^get slow: .*aborted/.test((err as Error).message),
    );
    assert.ok(Date.now() - started < 4_000, 'the abort cut the request short');
    // An already aborted signal sends nothing.
    await assert.rejects(http.get(`${CMS}/slow`, { signal: AbortSignal.abort() }), TransportError);
  });

  it('fails with TransportError when nothing listens', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    const refused = KubeTransport.for(
      kubeConfigFor({ server: `http://127.0.0.1:${port}`, skipTLSVerify: true }),
    );
    await assert.rejects(
      refused.get('/api/v1/namespaces', { what: 'list namespaces' }),
      (err: unknown) =>
        err instanceof TransportError &&
        /^list namespaces: connect ECONNREFUSED/.test((err as Error).message),
    );
  });
});

describe('KubeTransport against a server that breaks the answer off', function () {
  this.timeout(30_000);
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  });

  it('fails with TransportError when the connection resets mid-body', async () => {
    server = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '1000' });
      res.write('{"kind":"Con');
      res.socket?.destroy();
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const http = KubeTransport.for(
      kubeConfigFor({ server: `http://127.0.0.1:${port}`, skipTLSVerify: true }),
    );
    await assert.rejects(http.get('/api/v1/namespaces/x/configmaps/y'), TransportError);
  });
});

describe('KubeTransport through a proxy-url of the kubeconfig', function () {
  this.timeout(30_000);
  let sim: KubeSim;
  let proxy: Server;
  /** The `host:port` of each tunnel the proxy was asked for (client-node's proxy agents CONNECT). */
  let tunnels: string[];

  before(async () => {
    sim = await KubeSim.start({ port: 0 });
    tunnels = [];
    proxy = createServer((_req, res) => res.writeHead(405).end());
    proxy.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
      const target = req.url ?? '';
      tunnels.push(target);
      const [host = '', port = ''] = target.split(':');
      const upstream = connect(Number(port), host, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  });
  after(async () => {
    proxy.closeAllConnections();
    await new Promise((resolve) => proxy.close(resolve));
    await sim.close();
  });

  it('sends its requests through the proxy, as client-node does', async () => {
    const kc = kubeConfigFor({
      server: sim.url,
      skipTLSVerify: true,
      proxyUrl: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    });
    const http = KubeTransport.for(kc);
    await http.create(CMS, configMap('proxied'));
    assert.deepEqual((await http.get<V1ConfigMap>(`${CMS}/proxied`)).data, { a: '1' });
    const { host } = new URL(sim.url);
    assert.ok(tunnels.length > 0 && tunnels.every((t) => t === host), tunnels.join(' '));
  });
});
