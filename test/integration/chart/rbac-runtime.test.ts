// The chart's RBAC against what the operator really asks for: the real Manager runs against real etcd and
// the API simulator through a recording proxy, through a PrefixSync's whole life (sync, change, rollout,
// deletion) and a leader election; every request it made must be allowed by the rendered ClusterRole and
// Role, exactly as the API server's RBAC authorizer would decide it.
import { strict as assert } from 'node:assert';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ApiextensionsV1Api,
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  type V1ConfigMap,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { EtcdClient } from '../../../src/etcd/index.js';
import { EtcdCluster } from '../../../src/envtest/etcd/index.js';
import { KubeSim } from '../../../src/envtest/kube-sim/index.js';
import { Manager } from '../../../src/operator/index.js';
import { waitFor } from '../../support/wait.js';
import { CHART, helms, template, type Manifest } from './support/helm.js';
import { RecordingProxy, authorize, grantsOf } from './support/rbac.js';

const OPERATOR_NS = 'eco-system';
const APP_NS = 'shop';
const GROUP = 'etcdconfig.dev';
const VERSION = 'v1alpha1';
/** Each step of the PrefixSync lifecycle may take long on a loaded 2-core machine. */
const LIFECYCLE_WAIT_MS = 90_000;

describe('the chart RBAC against the requests of the running operator', function () {
  // etcd, the simulator and the operator's whole PrefixSync lifecycle on a loaded 2-core machine.
  this.timeout(300_000);
  let dir: string;
  let etcd: EtcdCluster | undefined;
  let sim: KubeSim | undefined;
  let proxy: RecordingProxy | undefined;
  let manager: Manager | undefined;
  let etcdClient: EtcdClient | undefined;

  before(async function () {
    if (helms().length === 0) this.skip();
    dir = await mkdtemp(join(tmpdir(), 'chart-rbac-'));
  });
  after(async () => {
    await manager?.close();
    await etcdClient?.close();
    await proxy?.close();
    await sim?.close();
    await etcd?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('allows every request of a PrefixSync lifecycle and a leader election, and nothing is refused', async () => {
    const [helm] = helms();
    assert.ok(helm);
    const objs: Manifest[] = await template(helm, dir, ['--namespace', OPERATOR_NS]);
    const grants = grantsOf(objs);
    assert.deepEqual(
      grants.roles.map((r) => r.namespace),
      [OPERATOR_NS],
    );

    etcd = await EtcdCluster.start();
    sim = await KubeSim.start({ port: 0 });
    const admin = sim.kubeConfig();
    const crdApi = admin.makeApiClient(ApiextensionsV1Api);
    const crdDir = join(CHART, 'crds');
    for (const file of await readdir(crdDir)) {
      for (const doc of parseAllDocuments(await readFile(join(crdDir, file), 'utf8'))) {
        await crdApi.createCustomResourceDefinition({ body: doc.toJS() as V1CustomResourceDefinition });
      }
    }
    const core = admin.makeApiClient(CoreV1Api);
    const apps = admin.makeApiClient(AppsV1Api);
    const custom = admin.makeApiClient(CustomObjectsApi);
    await core.createNamespace({ body: { metadata: { name: OPERATOR_NS } } });
    await core.createNamespace({ body: { metadata: { name: APP_NS, labels: { tenant: 'true' } } } });
    await core.createNamespacedSecret({
      namespace: OPERATOR_NS,
      body: { metadata: { name: 'unrelated' }, stringData: { a: 'b' } },
    });
    await custom.createClusterCustomObject({
      group: GROUP,
      version: VERSION,
      plural: 'clusteretcdsources',
      body: {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: 'ClusterEtcdSource',
        metadata: { name: 'local' },
        spec: {
          endpoints: etcd.endpoints,
          access: [{ namespaceSelector: { matchLabels: { tenant: 'true' } }, prefixes: ['/config/shop/'] }],
        },
      },
    });
    await apps.createNamespacedDeployment({
      namespace: APP_NS,
      body: {
        metadata: { name: 'web' },
        spec: {
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: {
              containers: [
                { name: 'web', image: 'web:1', volumeMounts: [{ name: 'c', mountPath: '/etc/web' }] },
              ],
              volumes: [{ name: 'c', configMap: { name: 'shop-config' } }],
            },
          },
        },
      },
    });
    etcdClient = new EtcdClient({ endpoints: etcd.endpoints });
    await etcdClient.kv.put('/config/shop/greeting', 'hello');

    // The operator sees the API only through the recording proxy.
    proxy = await RecordingProxy.start(sim.url);
    const operatorConfig = new KubeConfig();
    operatorConfig.loadFromOptions({
      clusters: [{ name: 'proxy', server: proxy.url, skipTLSVerify: true }],
      users: [{ name: 'operator', token: 'operator' }],
      contexts: [{ name: 'proxy', cluster: 'proxy', user: 'operator' }],
      currentContext: 'proxy',
    });
    manager = new Manager({
      kubeConfig: operatorConfig,
      namespace: OPERATOR_NS,
      leaderElection: true,
      leaseDurationMs: 4_000,
      renewDeadlineMs: 3_000,
      retryPeriodMs: 500,
    });
    await manager.start();

    await custom.createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      plural: 'prefixsyncs',
      namespace: APP_NS,
      body: {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: 'PrefixSync',
        metadata: { name: 'shop' },
        spec: {
          sourceRef: { name: 'local' },
          prefix: '/config/shop/',
          target: { name: 'shop-config' },
          rollout: { mode: 'auto' },
          debounce: '0s',
          deletionPolicy: 'Delete',
        },
      },
    });
    const configMap = (): Promise<V1ConfigMap> =>
      core.readNamespacedConfigMap({ namespace: APP_NS, name: 'shop-config' });
    await waitFor(
      'the first sync',
      async () => ((await configMap()).data?.['greeting'] === 'hello' ? true : undefined),
      LIFECYCLE_WAIT_MS,
    );

    await etcdClient.kv.put('/config/shop/greeting', 'bonjour');
    await waitFor(
      'the rollout of web',
      async () => {
        const web = await apps.readNamespacedDeployment({ namespace: APP_NS, name: 'web' });
        return web.spec?.template.metadata?.annotations?.['etcdconfig.dev/config-hash'] ? true : undefined;
      },
      LIFECYCLE_WAIT_MS,
    );
    assert.equal((await configMap()).data?.['greeting'], 'bonjour');

    await custom.deleteNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      plural: 'prefixsyncs',
      namespace: APP_NS,
      name: 'shop',
    });
    await waitFor(
      'the ConfigMap deleted with its PrefixSync',
      async () => {
        try {
          await configMap();
          return undefined;
        } catch {
          return true;
        }
      },
      LIFECYCLE_WAIT_MS,
    );
    await manager.close(); // releases the Lease

    const seen = proxy.resourceRequests();
    const refused = seen.filter((r) => !authorize(r, grants));
    assert.deepEqual(
      refused.map((r) => r.line),
      [],
      'requests the chart does not allow',
    );

    // The lifecycle above touched the core of what the ClusterRole and Role grant.
    const used = new Set(seen.map((r) => `${r.verb} ${r.apiGroup}/${r.resource}`));
    for (const expected of [
      'list etcdconfig.dev/prefixsyncs',
      'watch etcdconfig.dev/prefixsyncs',
      'patch etcdconfig.dev/prefixsyncs',
      'update etcdconfig.dev/prefixsyncs/status',
      'update etcdconfig.dev/clusteretcdsources/status',
      'create /configmaps',
      'update /configmaps',
      'delete /configmaps',
      'list /namespaces',
      'list /secrets',
      'create /events',
      'list apps/deployments',
      'patch apps/deployments',
      'create coordination.k8s.io/leases',
      'update coordination.k8s.io/leases',
    ]) {
      assert.ok(
        used.has(expected),
        `the scenario never did ${expected}; seen: ${[...used].sort().join(', ')}`,
      );
    }
    // What src/operator/permissions.ts lists as unreached did not happen either.
    const unreached = seen.filter(
      (r) =>
        (r.apiGroup === GROUP && ['create', 'delete', 'deletecollection'].includes(r.verb)) ||
        (r.apiGroup === GROUP && r.verb === 'update' && !r.resource.endsWith('/status')) ||
        (r.apiGroup === GROUP && r.resource === 'clusteretcdsources' && r.verb === 'patch') ||
        (r.resource === 'events' && ['list', 'watch', 'get'].includes(r.verb)),
    );
    assert.deepEqual(
      unreached.map((r) => r.line),
      [],
    );
    // Secrets were only ever read in the operator's namespace.
    assert.deepEqual(
      [...new Set(seen.filter((r) => r.resource === 'secrets').map((r) => r.namespace))],
      [OPERATOR_NS],
    );
  });
});
