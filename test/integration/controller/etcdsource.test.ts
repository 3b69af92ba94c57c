// The ClusterEtcdSource controller in-process: status from real etcd, TLS and credentials from Secrets
// in the operator's namespace, reconnecting when they change.
import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClusterEtcdSource } from '../../../src/api/index.js';
import { EtcdClient } from '../../../src/etcd/index.js';
import {
  EtcdCluster,
  createTestCertificates,
  freeLoopbackPorts,
  type TestCertificates,
} from '../../../src/envtest/etcd/index.js';
import type { TestEnv } from './support.js';
import { useTestEnv, waitFor } from './support.js';

describe('ClusterEtcdSource controller (real etcd + simulator)', function () {
  this.timeout(90_000);
  let env: TestEnv;

  useTestEnv(
    async (e) => {
      env = e;
      await env.startManager();
    },
    { mainSource: false },
  );

  async function source(name: string): Promise<ClusterEtcdSource | undefined> {
    try {
      return (await env.custom.getClusterCustomObject({
        group: 'etcdconfig.dev',
        version: 'v1alpha1',
        plural: 'clusteretcdsources',
        name,
      })) as ClusterEtcdSource;
    } catch {
      return undefined;
    }
  }

  async function ready(name: string): Promise<string | undefined> {
    const c = (await source(name))?.status?.conditions?.find((x) => x.type === 'Ready');
    return c ? `${c.status}/${c.reason}` : undefined;
  }

  it('reports Ready with the cluster id, member count and a current revision', async () => {
    const rev = await env.put('/status-check/x', '1');
    await env.createSource('plain', { access: [] });
    const s = await waitFor('Ready', async () => {
      const obj = await source('plain');
      return obj?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')
        ? obj
        : undefined;
    });
    const status = await env.etcdClient.status();
    assert.equal(s.status?.clusterId, BigInt(status.clusterId).toString(16));
    assert.equal(s.status?.memberCount, 1);
    assert.ok(BigInt(s.status?.revision ?? '0') >= rev);
    assert.equal(s.status?.observedGeneration, s.metadata.generation);
    const condition = s.status?.conditions?.find((c) => c.type === 'Ready');
    assert.equal(condition?.reason, 'Connected');
  });

  it('PrefixSyncs of a deleted source report SourceNotFound, and keep their ConfigMap', async () => {
    const ns = await env.namespace();
    await env.createSource(`gone-${ns}`, { access: [{ namespaces: [ns], prefixes: [`/${ns}/`] }] });
    await env.put(`/${ns}/a`, '1');
    await env.createPrefixSync(ns, 'app', {
      sourceRef: { name: `gone-${ns}` },
      prefix: `/${ns}/`,
      target: { name: 'cfg' },
      debounce: '0s',
    });
    await waitFor('synced', async () => (await env.configMap(ns, 'cfg'))?.data?.['a'] === '1');
    await env.deleteSource(`gone-${ns}`);
    await waitFor('SourceNotFound', async () => (await env.condition(ns, 'app')) === 'False/SourceNotFound');
    assert.equal((await env.configMap(ns, 'cfg'))?.data?.['a'], '1');
  });

  it('reports an unreachable endpoint, and reconnects when the spec is fixed', async () => {
    const [closed] = await freeLoopbackPorts(1);
    const ns = await env.namespace();
    await env.createSource(`moved-${ns}`, {
      endpoints: [`127.0.0.1:${closed}`],
      access: [{ namespaces: [ns], prefixes: [`/${ns}/`] }],
    });
    await env.put(`/${ns}/a`, '1');
    await env.createPrefixSync(ns, 'app', {
      sourceRef: { name: `moved-${ns}` },
      prefix: `/${ns}/`,
      target: { name: 'cfg' },
      debounce: '0s',
    });
    await waitFor(
      'source SourceUnavailable',
      async () => (await ready(`moved-${ns}`)) === 'False/SourceUnavailable',
    );
    await waitFor(
      'PrefixSync SourceUnavailable',
      async () => (await env.condition(ns, 'app')) === 'False/SourceUnavailable',
    );
    assert.equal(await env.configMap(ns, 'cfg'), undefined);
    await env.patchSource(`moved-${ns}`, { spec: { endpoints: env.etcd.endpoints } });
    await waitFor('Connected', async () => (await ready(`moved-${ns}`)) === 'True/Connected');
    await waitFor('synced', async () => (await env.configMap(ns, 'cfg'))?.data?.['a'] === '1');
  });

  describe('with TLS (mutual) and username/password from Secrets', () => {
    let dir: string;
    let certs: TestCertificates;
    let secure: EtcdCluster;

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'etcdsource-test-'));
      certs = await createTestCertificates(dir);
      secure = await EtcdCluster.start({
        tls: {
          certFile: certs.serverCertFile,
          keyFile: certs.serverKeyFile,
          trustedCaFile: certs.caFile,
          clientCertAuth: true,
        },
        etcdctlTls: { caFile: certs.caFile, certFile: certs.clientCertFile, keyFile: certs.clientKeyFile },
      });
      await secure.enableAuth({
        rootPassword: 'rootpw',
        roles: [{ name: 'reader', permissions: [{ type: 'readwrite', key: '/secure/', prefix: true }] }],
        users: [{ name: 'app', password: 'right', roles: ['reader'] }],
      });
    });
    after(async () => {
      await secure?.close();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    async function secret(name: string, data: Record<string, string | Buffer>): Promise<void> {
      const body = {
        metadata: { name },
        data: Object.fromEntries(
          Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
        ),
      };
      try {
        await env.core.replaceNamespacedSecret({ namespace: 'default', name, body });
      } catch {
        await env.core.createNamespacedSecret({ namespace: 'default', body });
      }
    }

    it('waits for its Secrets, reports refused credentials, and reconnects when a Secret is fixed', async () => {
      await env.createSource('secure', {
        endpoints: secure.endpoints,
        tls: {
          caSecretRef: { name: 'etcd-ca' },
          certSecretRef: { name: 'etcd-client' },
          serverName: 'localhost',
        },
        auth: { secretRef: { name: 'etcd-user' } },
        access: [{ namespaceSelector: {}, prefixes: ['/secure/'] }],
      });
      await waitFor('SecretNotFound', async () => (await ready('secure')) === 'False/SecretNotFound');
      const message = (await source('secure'))?.status?.conditions?.[0]?.message ?? '';
      assert.match(message, /etcd-ca/);

      await secret('etcd-ca', { 'ca.crt': certs.ca });
      await secret('etcd-client', { 'tls.crt': certs.clientCert, 'tls.key': certs.clientKey });
      await secret('etcd-user', { username: 'app', password: 'wrong' });
      await waitFor('AuthFailed', async () => (await ready('secure')) === 'False/AuthFailed');

      await secret('etcd-user', { username: 'app', password: 'right' });
      await waitFor('Connected', async () => (await ready('secure')) === 'True/Connected');

      const writer = new EtcdClient({
        endpoints: secure.endpoints,
        tls: { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey, serverName: 'localhost' },
        auth: { username: 'app', password: 'right' },
      });
      try {
        const rev = (await writer.kv.put('/secure/k', 'v')).revision;
        const ns = await env.namespace();
        await env.createPrefixSync(ns, 'app', {
          sourceRef: { name: 'secure' },
          prefix: '/secure/',
          target: { name: 'cfg' },
          debounce: '0s',
        });
        await waitFor(
          'synced over TLS with auth',
          async () => (await env.configMap(ns, 'cfg'))?.data?.['k'] === 'v',
        );
        const psync = await env.prefixSync(ns, 'app');
        assert.equal(psync?.status?.syncedRevision, rev.toString());
      } finally {
        await writer.close();
      }
    });
  });
});
