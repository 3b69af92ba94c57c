import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { CoreV1Api } from '@kubernetes/client-node';
import { ConfigMapClient, EventClient, TransportError, makeApiClient } from '../../../src/kube/index.js';
import { selfSignedCertificate } from '../../../src/operator/index.js';
import { kubeConfigFor } from './support.js';

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

describe('kube clients reuse connections (keep-alive), one pool for the transport and client-node', function () {
  this.timeout(30_000);
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  });

  it('sends sequential requests of every client of one kubeconfig over one connection', async () => {
    const s = await countingServer();
    server = s.server;
    const kc = kubeConfigFor({ server: s.url, skipTLSVerify: true });
    const configMaps = new ConfigMapClient(kc);
    const other = new ConfigMapClient(kc);
    for (let i = 0; i < 5; i++) {
      assert.equal((await configMaps.get({ namespace: 'ns', name: 'cm' })).metadata?.name, 'cm');
      await other.get({ namespace: 'ns', name: 'cm' });
    }
    await new EventClient(kc).list({ namespace: 'ns' }).catch(() => undefined);
    assert.equal(s.connections(), 1);
  });

  it('sends transport requests and makeApiClient (client-node) requests over one connection', async () => {
    const s = await countingServer();
    server = s.server;
    const kc = kubeConfigFor({ server: s.url, skipTLSVerify: true });
    const lean = new ConfigMapClient(kc);
    const generated = makeApiClient(kc, CoreV1Api);
    for (let i = 0; i < 3; i++) {
      await lean.get({ namespace: 'ns', name: 'cm' });
      await generated.readNamespacedConfigMap({ namespace: 'ns', name: 'cm' });
    }
    assert.equal(s.connections(), 1);
  });

  describe('over TLS, with the CA and token of the kubeconfig', () => {
    const tls = selfSignedCertificate({ hosts: ['127.0.0.1'] });
    let authorizations: Array<string | undefined>;
    let connections: number;
    let url: string;

    beforeEach(async () => {
      authorizations = [];
      connections = 0;
      const https = createHttpsServer({ cert: tls.cert, key: tls.key }, (req, res) => {
        authorizations.push(req.headers.authorization);
        req.resume();
        req.on('end', () => {
          res.setHeader('Content-Type', 'application/json');
          res.end(JSON.stringify({ kind: 'ConfigMap', metadata: { name: 'cm', namespace: 'ns' } }));
        });
      });
      https.on('secureConnection', () => connections++);
      server = https;
      await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
      url = `https://127.0.0.1:${(https.address() as AddressInfo).port}`;
    });

    const kubeConfig = (caData: string | undefined): KubeConfig =>
      kubeConfigFor({ server: url, ...(caData ? { caData } : {}) }, 'secret-token');

    it('verifies the server with certificate-authority-data, authenticates, and keeps one connection', async () => {
      const configMaps = new ConfigMapClient(kubeConfig(Buffer.from(tls.cert).toString('base64')));
      for (let i = 0; i < 4; i++) {
        assert.equal((await configMaps.get({ namespace: 'ns', name: 'cm' })).metadata?.name, 'cm');
      }
      assert.deepEqual(authorizations, Array(4).fill('Bearer secret-token'));
      assert.equal(connections, 1);
    });

    it('reads a certificate-authority file once (as client-go does), not on every request', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'kube-ca-'));
      const caFile = join(dir, 'ca.crt');
      writeFileSync(caFile, tls.cert);
      const kc = kubeConfigFor({ server: url, caFile }, 'secret-token');
      const configMaps = new ConfigMapClient(kc);
      await configMaps.get({ namespace: 'ns', name: 'cm' });
      rmSync(dir, { recursive: true });
      assert.equal((await configMaps.get({ namespace: 'ns', name: 'cm' })).metadata?.name, 'cm');
      assert.equal(connections, 1);
    });

    it('refuses a server its CA does not vouch for, as a TransportError', async () => {
      const configMaps = new ConfigMapClient(kubeConfig(undefined));
      await assert.rejects(
        configMaps.get({ namespace: 'ns', name: 'cm' }),
        (err: unknown) =>
          err instanceof TransportError && /self-signed certificate/.test((err as Error).message),
      );
      assert.deepEqual(authorizations, []);
    });
  });
});
