// The ClusterEtcdSource controller during an etcd outage, timed: a stopped or frozen member turns the
// source Ready=False within the bounds promised (issue 10), it recovers within seconds, and the
// condition says how the connection failed (refused, DNS, timeout, TLS handshake).
//
// The source controller is wired here as the operator wires it — reconciler, work queue, the client's
// connectivity changes fed back to the queue (`requeue`) — against real etcd and the Kubernetes API
// simulator, with the operator's default probe interval and timeouts (the other controller tests probe
// every 300 ms, which would hide how long detection takes).
import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CustomObjectsApi, type KubeConfig, type V1Secret } from '@kubernetes/client-node';
import {
  API_VERSION,
  CLUSTER_ETCD_SOURCE,
  GROUP,
  VERSION,
  type ClusterEtcdSource,
  type ClusterEtcdSourceSpec,
  type Condition,
} from '../../../src/api/index.js';
import {
  DEFAULT_PROBE_INTERVAL_MS,
  EtcdSourceReconciler,
  SourceConnections,
  clusterEtcdSourceResource,
} from '../../../src/controller/index.js';
import {
  EtcdCluster,
  KubeSim,
  createTestCertificates,
  etcdVersionsUnderTest,
  freeLoopbackPorts,
  installCrds,
  type TestCertificates,
} from '../../../src/envtest/index.js';
import { DEFAULT_PROBE_TIMEOUT_MS } from '../../../src/controller/etcdsource/reconciler.js';
import { EtcdClient } from '../../../src/etcd/index.js';
import { Controller } from '../../../src/runtime/index.js';
import { waitFor } from './support.js';

/** The etcd client's keepalive: a frozen member must show within two of its periods (issue 10). */
const KEEPALIVE_TIME_MS = 10_000;
/** A stopped member (connection refused) must show within about this long. */
const STOP_BOUND_MS = 5_000;
/** A frozen member must show within two keepalive periods. Expected ≤ probe interval + probe timeout. */
const FREEZE_BOUND_MS = 2 * KEEPALIVE_TIME_MS;
/** A source whose etcd is back must show Ready within this long (expected about one second). */
const RECOVERY_BOUND_MS = 5_000;
/** Same as the operator (src/controller/connections/session-connections.ts DEFAULT_ETCD_CLIENT_OPTIONS). */
const CLIENT_OPTIONS = { connectTimeoutMs: 2_000, requestTimeoutMs: 5_000 };

/** The ClusterEtcdSource resource, as client-node's CustomObjectsApi addresses it. */
const SOURCE_RESOURCE = { group: GROUP, version: VERSION, plural: CLUSTER_ETCD_SOURCE.plural };
/** How long a fresh source on a healthy member may take to show Ready=True/Connected. */
const CONNECT_TIMEOUT_MS = 30_000;

/** The source controller as the operator runs it, on the simulator. */
class SourceController {
  readonly connections = new SourceConnections({ clientOptions: CLIENT_OPTIONS });
  readonly secrets = new Map<string, V1Secret>();
  private readonly controller: Controller;

  constructor(kc: KubeConfig) {
    const queue: { controller?: Controller } = {};
    const reconciler = new EtcdSourceReconciler({
      sources: clusterEtcdSourceResource(kc).api,
      secrets: (name) => this.secrets.get(name),
      namespace: 'default',
      connections: this.connections,
      events: { record: () => undefined },
      requeue: (source) => queue.controller?.enqueue({ name: source }),
    });
    this.controller = new Controller({ name: 'clusteretcdsource', reconciler, workers: 2 });
    queue.controller = this.controller;
    this.controller.start();
  }

  /** What the source informer does on a change of the source. */
  enqueue(name: string): void {
    this.controller.enqueue({ name });
  }

  async close(): Promise<void> {
    await this.controller.stop();
    await this.connections.close();
  }
}

describe('ClusterEtcdSource controller during an etcd outage (real etcd + simulator)', function () {
  this.timeout(120_000);
  let sim: KubeSim;
  let kc: KubeConfig;
  let custom: CustomObjectsApi;
  let sources: SourceController;
  let counter = 0;

  before(async () => {
    sim = await KubeSim.start();
    kc = sim.kubeConfig();
    await installCrds(kc);
    custom = kc.makeApiClient(CustomObjectsApi);
    sources = new SourceController(kc);
  });
  after(async () => {
    await sources?.close();
    await sim?.close();
  });

  it('uses the operator defaults (10 s probe interval, 5 s probe timeout), so timings are real', () => {
    assert.equal(DEFAULT_PROBE_INTERVAL_MS, 10_000);
    assert.equal(DEFAULT_PROBE_TIMEOUT_MS, 5_000);
  });

  async function createSource(
    spec: Partial<ClusterEtcdSourceSpec> & { endpoints: string[] },
  ): Promise<string> {
    const name = `outage-${++counter}-${Math.random().toString(36).slice(2, 7)}`;
    const body: ClusterEtcdSource = {
      apiVersion: API_VERSION,
      kind: CLUSTER_ETCD_SOURCE.kind,
      metadata: { name },
      spec: { access: [], ...spec },
    };
    await custom.createClusterCustomObject({ ...SOURCE_RESOURCE, body });
    sources.enqueue(name);
    return name;
  }

  /** A source on `endpoints`, once it reads Ready=True/Connected: the starting point of an outage. */
  async function connectedSource(endpoints: string[]): Promise<string> {
    const name = await createSource({ endpoints });
    await waitReady(name, 'True/Connected', CONNECT_TIMEOUT_MS);
    return name;
  }

  async function readSource(name: string): Promise<ClusterEtcdSource> {
    return (await custom.getClusterCustomObject({ ...SOURCE_RESOURCE, name })) as ClusterEtcdSource;
  }

  async function readyCondition(name: string): Promise<Condition | undefined> {
    return (await readSource(name)).status?.conditions?.find((c) => c.type === 'Ready');
  }

  /** Waits for Ready to read `status/reason`; returns the condition and how long it took from `since`. */
  async function waitReady(
    name: string,
    expected: string,
    boundMs: number,
    since = Date.now(),
  ): Promise<{ condition: Condition; ms: number }> {
    const condition = await waitFor(
      `${name} Ready ${expected}`,
      async () => {
        const c = await readyCondition(name);
        return c && `${c.status}/${c.reason}` === expected ? c : undefined;
      },
      Math.max(0, since + boundMs - Date.now()),
    );
    const ms = Date.now() - since;
    if (process.env['TEST_TIMINGS']) console.log(`      ${name}: ${expected} after ${ms} ms`);
    return { condition, ms };
  }

  for (const binaries of etcdVersionsUnderTest()) {
    describe(`on etcd ${binaries.version}`, () => {
      let etcd: EtcdCluster;

      before(async () => {
        etcd = await EtcdCluster.start({ etcdBin: binaries.etcdBin, etcdctlBin: binaries.etcdctlBin });
      });
      after(async () => {
        await etcd?.close();
      });

      it(`turns Ready=False within ${STOP_BOUND_MS / 1000} s of its member stopping (connection refused), and Ready=True within ${RECOVERY_BOUND_MS / 1000} s of its restart`, async () => {
        const name = await connectedSource(etcd.endpoints);
        const member = etcd.members[0]!;

        const stopped = Date.now();
        await member.kill();
        const down = await waitReady(name, 'False/SourceUnavailable', STOP_BOUND_MS, stopped);
        assert.equal(down.condition.message, `etcd unreachable: connection refused by ${member.endpoint}`);

        await member.restart();
        await waitReady(name, 'True/Connected', RECOVERY_BOUND_MS);
      });

      it(`turns Ready=False within ${FREEZE_BOUND_MS / 1000} s (2 keepalive periods) of its member freezing (SIGSTOP), and Ready=True within ${RECOVERY_BOUND_MS / 1000} s of it resuming`, async () => {
        const name = await connectedSource(etcd.endpoints);
        const member = etcd.members[0]!;

        await member.pause();
        const frozen = Date.now();
        try {
          const down = await waitReady(name, 'False/SourceUnavailable', FREEZE_BOUND_MS, frozen);
          assert.equal(
            down.condition.message,
            `etcd unreachable: no answer from ${member.endpoint} within ${DEFAULT_PROBE_TIMEOUT_MS / 1000}s (timeout)`,
          );
        } finally {
          await member.resume();
        }
        await waitReady(name, 'True/Connected', RECOVERY_BOUND_MS);
      });
    });
  }

  describe('on a 3-member cluster', () => {
    let cluster: EtcdCluster;

    before(async () => {
      cluster = await EtcdCluster.start({ members: 3 });
    });
    after(async () => {
      await cluster?.close();
    });

    it('stays Ready while its first endpoint is frozen: a probe asks every endpoint at once', async () => {
      const name = await connectedSource(cluster.endpoints);
      const [frozen, ...others] = cluster.members;
      await frozen!.pause();
      const writer = new EtcdClient({ endpoints: others.map((m) => m.endpoint) });
      try {
        // The write needs the other two (a new leader if the frozen one led); a status showing its
        // revision comes from a probe made after the freeze.
        const written = await waitFor('a write without the frozen member', async () => {
          try {
            return (await writer.kv.put(`/${name}/after-freeze`, 'x')).revision;
          } catch {
            return undefined;
          }
        });
        const status = await waitFor(
          'a probe after the freeze',
          async () => {
            const c = await readyCondition(name);
            const source = await readSource(name);
            return BigInt(source.status?.revision ?? '0') >= written ? { c, source } : undefined;
          },
          DEFAULT_PROBE_INTERVAL_MS + DEFAULT_PROBE_TIMEOUT_MS + 5_000,
        );
        assert.equal(`${status.c?.status}/${status.c?.reason}`, 'True/Connected');
        assert.equal(status.source.status?.memberCount, 3);
      } finally {
        await writer.close();
        await frozen!.resume();
      }
    });
  });

  describe('names how the connection failed', () => {
    it('a refused endpoint: SourceUnavailable, "connection refused by <endpoint>"', async () => {
      const [closed] = await freeLoopbackPorts(1);
      const name = await createSource({ endpoints: [`127.0.0.1:${closed}`] });
      const { condition } = await waitReady(name, 'False/SourceUnavailable', 10_000);
      assert.equal(condition.message, `etcd unreachable: connection refused by 127.0.0.1:${closed}`);
    });

    it('a host name that does not resolve: SourceUnavailable, "cannot resolve the host name of <endpoint>"', async () => {
      const name = await createSource({ endpoints: ['does-not-exist.invalid:2379'] });
      const { condition } = await waitReady(name, 'False/SourceUnavailable', 10_000);
      assert.equal(
        condition.message,
        'etcd unreachable: cannot resolve the host name of does-not-exist.invalid:2379 (DNS lookup failed)',
      );
    });

    describe('over TLS', () => {
      let dir: string;
      let certs: TestCertificates;
      let secure: EtcdCluster;

      before(async () => {
        dir = await mkdtemp(join(tmpdir(), 'etcdsource-outage-'));
        certs = await createTestCertificates(dir);
        secure = await EtcdCluster.start({
          tls: { certFile: certs.serverCertFile, keyFile: certs.serverKeyFile },
          etcdctlTls: { caFile: certs.caFile },
        });
      });
      after(async () => {
        await secure?.close();
        if (dir) await rm(dir, { recursive: true, force: true });
      });

      /**
       * A source on the TLS member that trusts `ca`, found in Secret `secretName` (as the Secret
       * informer would hand it over), and checks the server's certificate for `serverName` when given.
       */
      async function tlsSource(secretName: string, ca: Buffer, serverName?: string): Promise<string> {
        sources.secrets.set(secretName, {
          metadata: { name: secretName, namespace: 'default' },
          data: { 'ca.crt': ca.toString('base64') },
        });
        return createSource({
          endpoints: secure.endpoints,
          tls: { caSecretRef: { name: secretName }, ...(serverName === undefined ? {} : { serverName }) },
        });
      }

      it('a server certificate from another CA: TLSFailed with the handshake error', async () => {
        const other = await createTestCertificates(await mkdtemp(join(dir, 'other-')));
        const name = await tlsSource('wrong-ca', other.ca);
        const { condition } = await waitReady(name, 'False/TLSFailed', 10_000);
        assert.equal(
          condition.message,
          `TLS handshake with ${secure.endpoints[0]} failed: unable to verify the first certificate`,
        );
      });

      it('a server name the certificate does not list: TLSFailed with the handshake error', async () => {
        const name = await tlsSource('right-ca', certs.ca, 'etcd.example');
        const { condition } = await waitReady(name, 'False/TLSFailed', 10_000);
        assert.equal(
          condition.message,
          `TLS handshake with ${secure.endpoints[0]} failed: Hostname/IP does not match certificate's ` +
            "altnames: Host: etcd.example. is not in the cert's altnames: DNS:localhost, IP Address:127.0.0.1",
        );
      });

      it('the right CA and name: Connected (the TLS cases above fail for the reason they name)', async () => {
        const name = await tlsSource('right-ca', certs.ca, 'localhost');
        await waitReady(name, 'True/Connected', 10_000);
      });
    });
  });
});
