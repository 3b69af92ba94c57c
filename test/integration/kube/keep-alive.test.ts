import { strict as assert } from 'node:assert';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { ConfigMapClient, EventClient } from '../../../src/kube/index.js';

/** A server that answers every request with one ConfigMap and counts the TCP connections it accepted. */
async function countingServer(): Promise<{ server: Server; url: string; connections: () => number }> {
  let connections = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.setHeader('Content-Type', 'application/json');
      res.end(
        JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace: 'ns' } }),
      );
    });
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}`, connections: () => connections };
}

describe('kube clients reuse connections (keep-alive)', function () {
  this.timeout(30_000);
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  });

  it('sends sequential requests of every client of one kubeconfig over one connection', async () => {
    const s = await countingServer();
    server = s.server;
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: s.url, skipTLSVerify: true }],
      users: [{ name: 'u', token: 't' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    const configMaps = new ConfigMapClient(kc);
    const other = new ConfigMapClient(kc);
    for (let i = 0; i < 5; i++) {
      assert.equal((await configMaps.get({ namespace: 'ns', name: 'cm' })).metadata?.name, 'cm');
      await other.get({ namespace: 'ns', name: 'cm' });
    }
    await new EventClient(kc).list({ namespace: 'ns' }).catch(() => undefined);
    assert.equal(s.connections(), 1);
  });
});
