import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  EtcdCluster,
  createTestCertificates,
  type TestCertificates,
  etcdVersionsUnderTest,
} from '../../../src/envtest/index.js';
import {
  EtcdClient,
  InvalidArgumentError,
  PermissionDeniedError,
  UnavailableError,
} from '../../../src/etcd/index.js';
import { Collector, uniquePrefix, waitFor } from './helpers.js';

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => assert.fail('expected a rejection'),
    (err: unknown) => err,
  );
}

for (const etcd of etcdVersionsUnderTest()) {
  describe(`on etcd ${etcd.version}`, () => {
    describe('etcd client security', function () {
      this.timeout(90_000);
      let dir: string;
      before(async () => {
        dir = await mkdtemp(join(tmpdir(), 'etcd-certs-'));
      });
      after(async () => rm(dir, { recursive: true, force: true }));

      describe('over TLS', () => {
        let certs: TestCertificates;
        let cluster: EtcdCluster;
        before(async () => {
          certs = await createTestCertificates(await mkdtemp(join(dir, 'tls-')));
          cluster = await EtcdCluster.start({
            etcdBin: etcd.etcdBin,
            etcdctlBin: etcd.etcdctlBin,
            tls: { certFile: certs.serverCertFile, keyFile: certs.serverKeyFile },
            etcdctlTls: { caFile: certs.caFile },
          });
        });
        after(async () => cluster?.close());

        it('reads, writes and watches with the CA given', async () => {
          const client = new EtcdClient({ endpoints: cluster.endpoints, tls: { ca: certs.ca } });
          try {
            const prefix = uniquePrefix('tls');
            const c = new Collector(client.watch({ key: prefix, prefix: true }));
            await waitFor('created', () => c.count('created') === 1);
            const { revision } = await client.kv.put(`${prefix}a`, '1');
            await c.waitForRevision(revision);
            assert.equal((await client.kv.get(`${prefix}a`))?.value.toString(), '1');
          } finally {
            await client.close();
          }
        });

        it('refuses a server it cannot verify', async () => {
          const client = new EtcdClient({ endpoints: cluster.endpoints, tls: {}, requestTimeoutMs: 2_000 });
          try {
            assert.ok((await rejection(client.kv.get('/x'))) instanceof UnavailableError);
          } finally {
            await client.close();
          }
        });
      });

      describe('with a server certificate that names only a DNS name', () => {
        let certs: TestCertificates;
        let cluster: EtcdCluster;
        before(async () => {
          certs = await createTestCertificates(await mkdtemp(join(dir, 'name-')), {
            serverHosts: ['etcd.envtest.local'],
          });
          cluster = await EtcdCluster.start({
            etcdBin: etcd.etcdBin,
            etcdctlBin: etcd.etcdctlBin,
            tls: { certFile: certs.serverCertFile, keyFile: certs.serverKeyFile },
          });
        });
        after(async () => cluster?.close());

        it('connects to 127.0.0.1 only with the server-name override', async () => {
          const wrong = new EtcdClient({
            endpoints: cluster.endpoints,
            tls: { ca: certs.ca },
            requestTimeoutMs: 2_000,
          });
          const right = new EtcdClient({
            endpoints: cluster.endpoints,
            tls: { ca: certs.ca, serverName: 'etcd.envtest.local' },
          });
          try {
            assert.ok((await rejection(wrong.kv.get('/x'))) instanceof UnavailableError);
            await right.kv.put('/name/a', '1');
            assert.equal((await right.kv.get('/name/a'))?.value.toString(), '1');
          } finally {
            await wrong.close();
            await right.close();
          }
        });
      });

      describe('with client certificates required (mTLS)', () => {
        let certs: TestCertificates;
        let cluster: EtcdCluster;
        before(async () => {
          certs = await createTestCertificates(await mkdtemp(join(dir, 'mtls-')));
          cluster = await EtcdCluster.start({
            etcdBin: etcd.etcdBin,
            etcdctlBin: etcd.etcdctlBin,
            tls: {
              certFile: certs.serverCertFile,
              keyFile: certs.serverKeyFile,
              trustedCaFile: certs.caFile,
              clientCertAuth: true,
            },
          });
        });
        after(async () => cluster?.close());

        it('works with the client certificate and fails without it', async () => {
          const withCert = new EtcdClient({
            endpoints: cluster.endpoints,
            tls: { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey },
          });
          const without = new EtcdClient({
            endpoints: cluster.endpoints,
            tls: { ca: certs.ca },
            requestTimeoutMs: 2_000,
          });
          try {
            await withCert.kv.put('/mtls/a', '1');
            assert.equal((await withCert.kv.get('/mtls/a'))?.value.toString(), '1');
            assert.ok((await rejection(without.kv.get('/mtls/a'))) instanceof UnavailableError);
          } finally {
            await withCert.close();
            await without.close();
          }
        });
      });

      describe('with username/password auth', () => {
        let cluster: EtcdCluster;
        before(async () => {
          cluster = await EtcdCluster.start({
            etcdBin: etcd.etcdBin,
            etcdctlBin: etcd.etcdctlBin,
            extraArgs: ['--auth-token-ttl', '1'],
          });
          await cluster.enableAuth({
            rootPassword: 'rootpw',
            roles: [{ name: 'app', permissions: [{ type: 'readwrite', key: '/allowed/', prefix: true }] }],
            users: [{ name: 'alice', password: 'alicepw', roles: ['app'] }],
          });
        });
        after(async () => cluster?.close());

        it('rejects a wrong password with InvalidArgumentError', async () => {
          const client = new EtcdClient({
            endpoints: cluster.endpoints,
            auth: { username: 'alice', password: 'nope' },
          });
          try {
            assert.ok((await rejection(client.kv.get('/allowed/x'))) instanceof InvalidArgumentError);
          } finally {
            await client.close();
          }
        });

        it('denies one watch with PermissionDeniedError while the others on the stream go on', async () => {
          const client = new EtcdClient({
            endpoints: cluster.endpoints,
            auth: { username: 'alice', password: 'alicepw' },
          });
          try {
            assert.ok((await rejection(client.kv.put('/forbidden/a', '1'))) instanceof PermissionDeniedError);
            const ok1 = new Collector(client.watch({ key: '/allowed/w1/', prefix: true }));
            const denied = new Collector(client.watch({ key: '/forbidden/', prefix: true }));
            const ok2 = new Collector(client.watch({ key: '/allowed/w2/', prefix: true }));
            await denied.finished;
            assert.ok(denied.error instanceof PermissionDeniedError, `ended with ${String(denied.error)}`);
            await waitFor(
              'the others created',
              () => ok1.count('created') === 1 && ok2.count('created') === 1,
            );
            await client.kv.put('/allowed/w1/a', '1');
            const { revision } = await client.kv.put('/allowed/w2/a', '1');
            await ok1.waitForRevision(revision - 1n);
            await ok2.waitForRevision(revision);
            assert.equal(ok1.error, undefined);
          } finally {
            await client.close();
          }
        });

        it('fetches a new token when etcd invalidates the old one, for requests and for new watches', async () => {
          const prefix = uniquePrefix('token').replace('/test/', '/allowed/');
          const logged: string[] = [];
          const logger = {
            error: (m: string) => void logged.push(m),
            warn: (m: string) => void logged.push(m),
            info: (m: string) => void logged.push(m),
            debug: (m: string) => void logged.push(m),
            child: () => logger,
          };
          const refreshes = (): number =>
            logged.filter((m) => m === 'auth token rejected, fetching a new one').length;
          const client = new EtcdClient({
            endpoints: cluster.endpoints,
            auth: { username: 'alice', password: 'alicepw' },
            logger,
          });
          try {
            const before = new Collector(client.watch({ key: `${prefix}a` }));
            await waitFor('created', () => before.count('created') === 1);
            await client.kv.put(`${prefix}a`, '1');
            // Disabling and enabling auth drops every token etcd has issued: deterministic invalidation.
            await cluster.etcdctl(['auth', 'disable']);
            await cluster.etcdctl(['auth', 'enable']);
            const { revision } = await client.kv.put(`${prefix}a`, '2'); // refreshed and retried
            assert.equal(refreshes(), 1);
            await before.waitForRevision(revision);
            // A watch created on the stream opened with the dead token is retried on a fresh stream.
            const after = new Collector(client.watch({ key: `${prefix}b` }));
            await waitFor('created', () => after.count('created') === 1 || after.isDone, 20_000);
            assert.equal(after.error, undefined);
            const { revision: r2 } = await client.kv.put(`${prefix}b`, '1');
            await after.waitForRevision(r2);
            // The token also expires with --auth-token-ttl 1 once unused for over a second: this wait is the
            // expiry under test, not a stand-in for synchronisation.
            const beforeIdle = refreshes();
            await new Promise((r) => setTimeout(r, 2_500));
            assert.equal((await client.kv.get(`${prefix}b`))?.value.toString(), '1');
            assert.equal(refreshes(), beforeIdle + 1, 'the expired token was replaced');
          } finally {
            await client.close();
          }
        });
      });
    });
  });
}
