// A namespace-scoped install (the chart's watchNamespaces, `run --watch-namespaces`): the rendered
// RBAC against src/operator/permissions.ts, and the real Manager on real etcd and the API simulator
// behind a proxy that refuses whatever those Roles do not allow, as the API server's RBAC would.
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
  type V1CustomResourceDefinition,
  type V1Deployment,
} from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { parseRunArgs } from '../../../src/cli/run.js';
import { EtcdClient } from '../../../src/etcd/index.js';
import { EtcdCluster } from '../../../src/envtest/etcd/index.js';
import { KubeSim } from '../../../src/envtest/kube-sim/index.js';
import {
  Manager,
  OPERATOR_PERMISSIONS,
  scopedGrantsOf,
  type PermissionMode,
  type ScopedGrant,
} from '../../../src/operator/index.js';
import { waitFor } from '../../support/wait.js';
import { CHART, helms, run, template, type Manifest } from './support/helm.js';
import { RecordingProxy, authorize, grantsOf, type Rule } from './support/rbac.js';

const OPERATOR_NS = 'eco-system';
const GROUP = 'etcdconfig.dev';
const VERSION = 'v1alpha1';
const HASH_ANNOTATION = 'etcdconfig.dev/config-hash';
/** What a scoped install may still do across the cluster (docs/configuration.md says why). */
const CLUSTER_WIDE_IN_SCOPED_MODE = [
  'etcdconfig.dev clusteretcdsources',
  'etcdconfig.dev clusteretcdsources/status',
  ' namespaces',
  'authentication.k8s.io tokenreviews',
  'authorization.k8s.io subjectaccessreviews',
];

/** RBAC rules flattened to sorted `group resource verb` lines. */
function lines(rules: readonly Rule[]): string[] {
  return rules
    .flatMap((r) =>
      r.apiGroups.flatMap((g) => r.resources.flatMap((res) => r.verbs.map((v) => `${g} ${res} ${v}`))),
    )
    .sort();
}

/** The needs a scoped install grants at `where`, with the chart's optional modes `on`. */
function needs(where: ScopedGrant, on: Partial<Record<PermissionMode, boolean>>): string[] {
  return OPERATOR_PERMISSIONS.filter(
    (n) => scopedGrantsOf(n).includes(where) && (n.onlyWhen === undefined || on[n.onlyWhen] === true),
  )
    .flatMap((n) => n.verbs.map((v) => `${n.apiGroup} ${n.resource} ${v}`))
    .sort();
}

describe('a namespace-scoped install (watchNamespaces)', function () {
  // Helm runs, then etcd, the simulator and the operator on a loaded 2-core machine.
  this.timeout(240_000);
  let home: string;

  before(async function () {
    if (helms().length === 0) this.skip();
    home = await mkdtemp(join(tmpdir(), 'chart-scoped-'));
  });
  after(async () => {
    if (home) await rm(home, { recursive: true, force: true });
  });

  describe('the rendered chart', () => {
    const WATCHED = ['shop', 'pay'];
    let objs: Manifest[];
    before(async () => {
      const [helm] = helms();
      assert.ok(helm);
      objs = await template(helm, home, [
        '--set',
        `watchNamespaces={${WATCHED.join(',')}}`,
        '--set',
        'rollout.cronJobs.enabled=true',
      ]);
    });

    it('keeps in its ClusterRole only what permissions.ts keeps cluster-wide, and that is only the sources, namespaces and metrics reviews', () => {
      const { cluster } = grantsOf(objs);
      assert.deepEqual(lines(cluster), needs('cluster', { metricsSecure: true, rolloutCronJobs: true }));
      const resources = [...new Set(lines(cluster).map((l) => l.split(' ').slice(0, 2).join(' ')))];
      assert.deepEqual(
        resources.filter((r) => !CLUSTER_WIDE_IN_SCOPED_MODE.includes(r)),
        [],
        'cluster-wide grants beyond those chosen',
      );
    });

    it('grants in a Role of each watched namespace exactly the needs of the watched namespaces, bound to the operator', () => {
      const on = { metricsSecure: true, rolloutCronJobs: true };
      const sa = objs.find((o) => o.kind === 'ServiceAccount')?.metadata.name;
      for (const ns of WATCHED) {
        const role = objs.find((o) => o.kind === 'Role' && o.metadata.namespace === ns);
        assert.ok(role, `no Role in ${ns}`);
        assert.deepEqual(lines(role['rules'] as Rule[]), needs('watchedNamespaces', on));
        const binding = objs.find((o) => o.kind === 'RoleBinding' && o.metadata.namespace === ns) as
          | (Manifest & { roleRef: { name: string }; subjects: Array<{ name: string; namespace: string }> })
          | undefined;
        assert.equal(binding?.roleRef.name, role.metadata.name);
        assert.deepEqual(
          binding?.subjects.map((s) => [s.name, s.namespace]),
          [[sa, OPERATOR_NS]],
        );
      }
      assert.deepEqual(
        objs
          .filter((o) => o.kind === 'Role')
          .map((o) => o.metadata.namespace)
          .sort(),
        [OPERATOR_NS, ...WATCHED].sort(),
      );
    });

    it("grants in the release namespace's Role the Lease, the Secrets and the Events about ClusterEtcdSources", () => {
      const role = objs.find((o) => o.kind === 'Role' && o.metadata.namespace === OPERATOR_NS);
      assert.ok(role);
      assert.deepEqual(lines(role['rules'] as Rule[]), needs('operatorNamespace', {}));
    });

    it('passes --watch-namespaces, which run reads back as the list', () => {
      const deploy = objs.find((o) => o.kind === 'Deployment') as Manifest & {
        spec: { template: { spec: { containers: Array<{ args: string[] }> } } };
      };
      const args = deploy.spec.template.spec.containers[0]?.args ?? [];
      assert.ok(args.includes('--watch-namespaces=shop,pay'), args.join(' '));
      const parsed = parseRunArgs(args.slice(1), {});
      assert.ok(parsed !== 'help');
      assert.deepEqual(parsed.watchNamespaces, WATCHED);
    });

    it('refuses a namespace listed twice, or a name that cannot be a namespace', async () => {
      const [helm] = helms();
      assert.ok(helm);
      for (const [value, problem] of [
        ['{shop,shop}', /equal|unique/i],
        ['{Shop}', /does not match pattern/],
        ['{shop-}', /does not match pattern/],
      ] as const) {
        const result = await run(
          helm.path,
          ['template', 'eco', CHART, '--namespace', OPERATOR_NS, '--set', `watchNamespaces=${value}`],
          home,
        );
        assert.notEqual(result.code, 0, `${value} accepted`);
        assert.match(result.stderr, problem);
      }
    });
  });

  describe('the operator under those Roles, on etcd and the simulator', () => {
    let etcd: EtcdCluster | undefined;
    let sim: KubeSim | undefined;
    let proxy: RecordingProxy | undefined;
    let manager: Manager | undefined;
    let etcdClient: EtcdClient | undefined;

    after(async () => {
      await manager?.close();
      await etcdClient?.close();
      await proxy?.close();
      await sim?.close();
      await etcd?.close();
    });

    it('syncs and rolls out in the watched namespace, leaves another untouched, and never asks outside', async () => {
      const [helm] = helms();
      assert.ok(helm);
      const grants = grantsOf(await template(helm, home, ['--set', 'watchNamespaces={shop}']));

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
      // Two tenants the source would serve alike: only the watched one may be acted on.
      for (const ns of ['shop', 'other']) {
        await core.createNamespace({ body: { metadata: { name: ns, labels: { tenant: 'true' } } } });
      }
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
            access: [{ namespaceSelector: { matchLabels: { tenant: 'true' } }, prefixes: ['/config/'] }],
          },
        },
      });
      const web = (namespace: string): Promise<V1Deployment> =>
        apps.readNamespacedDeployment({ namespace, name: 'web' });
      for (const ns of ['shop', 'other']) {
        await apps.createNamespacedDeployment({
          namespace: ns,
          body: {
            metadata: { name: 'web' },
            spec: {
              selector: { matchLabels: { app: 'web' } },
              template: {
                metadata: { labels: { app: 'web' } },
                spec: {
                  containers: [
                    { name: 'web', image: 'web:1', envFrom: [{ configMapRef: { name: 'app-config' } }] },
                  ],
                },
              },
            },
          },
        });
        await custom.createNamespacedCustomObject({
          group: GROUP,
          version: VERSION,
          plural: 'prefixsyncs',
          namespace: ns,
          body: {
            apiVersion: `${GROUP}/${VERSION}`,
            kind: 'PrefixSync',
            metadata: { name: 'app' },
            spec: {
              sourceRef: { name: 'local' },
              prefix: `/config/${ns}/`,
              target: { name: 'app-config' },
              rollout: { mode: 'auto' },
              debounce: '0s',
            },
          },
        });
      }
      const otherWebBefore = await web('other');
      etcdClient = new EtcdClient({ endpoints: etcd.endpoints });
      await etcdClient.kv.put('/config/shop/greeting', 'hello');
      await etcdClient.kv.put('/config/other/greeting', 'hello');

      proxy = await RecordingProxy.start(sim.url, grants);
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
        watchNamespaces: ['shop'],
        leaderElection: true,
        leaseDurationMs: 4_000,
        renewDeadlineMs: 3_000,
        retryPeriodMs: 500,
      });
      await manager.start();

      const shopConfig = async (): Promise<string | undefined> =>
        (await core.readNamespacedConfigMap({ namespace: 'shop', name: 'app-config' })).data?.['greeting'];
      await waitFor(
        'the first sync in shop',
        async () => ((await shopConfig()) === 'hello' ? true : 'not yet'),
        60_000,
      );
      await etcdClient.kv.put('/config/shop/greeting', 'bonjour');
      await waitFor(
        'the rollout of shop/web',
        async () =>
          (await web('shop')).spec?.template.metadata?.annotations?.[HASH_ANNOTATION] ? true : 'not yet',
        60_000,
      );
      assert.equal(await shopConfig(), 'bonjour');
      await manager.close();

      // The unwatched PrefixSync: no status, no finalizer, no ConfigMap, its workload untouched.
      const other = (await custom.getNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        plural: 'prefixsyncs',
        namespace: 'other',
        name: 'app',
      })) as { metadata: { finalizers?: string[] }; status?: unknown };
      assert.equal(other.status, undefined);
      assert.deepEqual(other.metadata.finalizers ?? [], []);
      const otherMaps = await core.listNamespacedConfigMap({ namespace: 'other' });
      assert.deepEqual(
        otherMaps.items.map((c) => c.metadata?.name).filter((n) => n === 'app-config'),
        [],
      );
      // The simulator's workload controller writes status; the spec (generation) is what a rollout changes.
      const otherWeb = await web('other');
      assert.equal(otherWeb.metadata?.generation, otherWebBefore.metadata?.generation);
      assert.equal(otherWeb.spec?.template.metadata?.annotations?.[HASH_ANNOTATION], undefined);
      const otherEvents = await core.listNamespacedEvent({ namespace: 'other' });
      assert.deepEqual(
        otherEvents.items.map((e) => e.reason),
        [],
      );

      // Events about the (cluster-scoped) source went to the operator's namespace, not to default.
      const sourceEvents = async (namespace: string): Promise<string[]> =>
        (await core.listNamespacedEvent({ namespace })).items
          .filter((e) => e.involvedObject.kind === 'ClusterEtcdSource')
          .map((e) => e.reason ?? '');
      assert.notDeepEqual(await sourceEvents(OPERATOR_NS), []);
      assert.deepEqual(await sourceEvents('default'), []);

      const seen = proxy.resourceRequests();
      assert.deepEqual(
        seen.filter((r) => !authorize(r, grants)).map((r) => r.line),
        [],
        'requests the scoped Roles do not allow',
      );
      // Namespaced requests only in the watched namespace and the operator's own; across namespaces,
      // only the cluster-scoped kinds the docs name.
      assert.deepEqual(
        seen
          .filter((r) =>
            r.namespace === undefined
              ? !['clusteretcdsources', 'clusteretcdsources/status', 'namespaces'].includes(r.resource)
              : !['shop', OPERATOR_NS].includes(r.namespace),
          )
          .map((r) => r.line),
        [],
        'requests outside the watched namespaces',
      );
      const used = new Set(seen.map((r) => `${r.verb} ${r.apiGroup}/${r.resource} ${r.namespace ?? '*'}`));
      for (const expected of [
        'list etcdconfig.dev/prefixsyncs shop',
        'watch etcdconfig.dev/prefixsyncs shop',
        'list /configmaps shop',
        'watch /configmaps shop',
        'create /configmaps shop',
        'watch apps/deployments shop',
        'patch apps/deployments shop',
        'update etcdconfig.dev/prefixsyncs/status shop',
        'watch etcdconfig.dev/clusteretcdsources *',
        'create coordination.k8s.io/leases eco-system',
      ]) {
        assert.ok(
          used.has(expected),
          `the scenario never did ${expected}; seen: ${[...used].sort().join(', ')}`,
        );
      }
    });
  });
});
