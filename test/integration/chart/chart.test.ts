import { strict as assert } from 'node:assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppsV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { KubeSim } from '../../../src/envtest/kube-sim/index.js';
import { parseRunArgs, type RunArgs } from '../../../src/cli/run.js';
import { OPERATOR_PERMISSIONS, type PermissionMode } from '../../../src/operator/index.js';
import { validatorsFor } from '../../unit/api/support/crd-validator.js';
import {
  ALL_ON,
  CHART,
  KUBECTL,
  helms,
  parseManifests,
  run,
  template,
  type Manifest,
} from './support/helm.js';

const CRD_VALIDATORS = validatorsFor(join(CHART, 'crds'));

/** The ServiceMonitor CRD, reduced to what the API server needs to store one. */
const SERVICE_MONITOR_CRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'servicemonitors.monitoring.coreos.com' },
  spec: {
    group: 'monitoring.coreos.com',
    scope: 'Namespaced',
    names: {
      kind: 'ServiceMonitor',
      listKind: 'ServiceMonitorList',
      plural: 'servicemonitors',
      singular: 'servicemonitor',
    },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: { spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
          },
        },
      },
    ],
  },
};

/** Re-runs a kubectl command that may fail while new CRDs reach discovery (a 30 s deadline). */
async function waitForRun(attempt: () => ReturnType<typeof run>): ReturnType<typeof run> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const result = await attempt();
    if (result.code === 0 || Date.now() > deadline || !/no matches for kind|ensure CRDs/.test(result.stderr))
      return result;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Validates one rendered object against Kubernetes' (and Prometheus Operator's) schemas, or our CRDs. */
async function validate(obj: Manifest): Promise<void> {
  const crd = CRD_VALIDATORS.get(obj.kind);
  if (obj.apiVersion.startsWith('etcdconfig.dev/') && crd) {
    const { errors } = crd.validate(obj);
    assert.deepEqual(errors, [], `${obj.kind} ${obj.metadata.name} breaks its CRD schema`);
    return;
  }
  const [group, version] = obj.apiVersion.includes('/') ? obj.apiVersion.split('/') : ['', obj.apiVersion];
  // Prometheus Operator's kinds come from its own models package (same validator, its CRD schemas).
  const modulePath =
    group === 'monitoring.coreos.com'
      ? `@kubernetes-models/prometheus-operator/${group}/${version}`
      : group
        ? `kubernetes-models/${group}/${version}`
        : `kubernetes-models/${version}`;
  const models = (await import(modulePath)) as Record<string, new (o: unknown) => { validate(): void }>;
  const Model = models[obj.kind];
  if (!Model) throw new Error(`kubernetes-models has no ${obj.apiVersion} ${obj.kind}`);
  new Model(obj).validate();
}

function byKind(objs: Manifest[], kind: string): Manifest[] {
  return objs.filter((o) => o.kind === kind);
}

/** The one object of `kind` named `name`. */
function named(objs: Manifest[], kind: string, name: string): Manifest {
  const found = objs.filter((o) => o.kind === kind && o.metadata.name === name);
  assert.equal(found.length, 1, `expected one ${kind} ${name}, got ${found.length}`);
  return found[0] as Manifest;
}

function one(objs: Manifest[], kind: string): Manifest {
  const found = byKind(objs, kind);
  assert.equal(found.length, 1, `expected one ${kind}, got ${found.length}`);
  return found[0] as Manifest;
}

type Rule = { apiGroups: string[]; resources: string[]; verbs: string[] };

/** RBAC rules flattened to `group resource verb` lines, sorted. */
function grants(rules: Rule[]): string[] {
  return rules
    .flatMap((r) =>
      r.apiGroups.flatMap((g) => r.resources.flatMap((res) => r.verbs.map((v) => `${g} ${res} ${v}`))),
    )
    .sort();
}

/**
 * The needs of `scope` with the chart's optional modes `on` (by default as the default values have
 * them: secure /metrics on, the opt-in rollout kinds off).
 */
function needs(
  scope: 'cluster' | 'namespace',
  on: Partial<Record<PermissionMode, boolean>> = { metricsSecure: true },
): string[] {
  return OPERATOR_PERMISSIONS.filter(
    (n) => n.scope === scope && (n.onlyWhen === undefined || on[n.onlyWhen] === true),
  )
    .flatMap((n) => n.verbs.map((v) => `${n.apiGroup} ${n.resource} ${v}`))
    .sort();
}

interface Container {
  args: string[];
  env: Array<{ name: string; valueFrom?: { fieldRef?: { fieldPath: string } } }>;
  ports: Array<{ name: string; containerPort: number }>;
  livenessProbe: { httpGet: { path: string; port: string } };
  readinessProbe: { httpGet: { path: string; port: string } };
  resources: { requests?: object; limits?: object };
  securityContext: {
    allowPrivilegeEscalation: boolean;
    readOnlyRootFilesystem: boolean;
    runAsNonRoot: boolean;
    capabilities: { drop: string[] };
    seccompProfile: { type: string };
  };
}

interface PodSpec {
  serviceAccountName: string;
  automountServiceAccountToken: boolean;
  securityContext: { runAsNonRoot: boolean; runAsUser: number; seccompProfile: { type: string } };
  containers: Container[];
}

function podSpec(deploy: Manifest): PodSpec {
  return (deploy['spec'] as { template: { spec: PodSpec } }).template.spec;
}

for (const helm of helms()) {
  describe(`the Helm chart with ${helm.label}`, function () {
    // Each helm/kubectl run is a process start on a loaded 2-core machine.
    this.timeout(180_000);
    let home: string;

    before(async () => {
      home = await mkdtemp(join(tmpdir(), 'chart-helm-'));
    });
    after(async () => {
      await rm(home, { recursive: true, force: true });
    });

    it('passes helm lint, with default values and with every optional object on', async () => {
      for (const args of [[], ALL_ON]) {
        const result = await run(helm.path, ['lint', CHART, '--strict', ...args], home);
        assert.equal(result.code, 0, result.stdout + result.stderr);
        assert.match(result.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
      }
    });

    describe('with default values', () => {
      let objs: Manifest[];
      before(async () => {
        objs = await template(helm, home);
      });

      it('renders the operator, its identity, RBAC and metrics Service, and no optional object', () => {
        assert.deepEqual(objs.map((o) => o.kind).sort(), [
          'ClusterRole',
          'ClusterRole',
          'ClusterRoleBinding',
          'Deployment',
          'Role',
          'RoleBinding',
          'Service',
          'ServiceAccount',
        ]);
      });

      it('renders objects that Kubernetes schemas accept', async () => {
        for (const obj of objs) await validate(obj);
      });

      it('runs two replicas with leader election, probes on the probe port, and a hardened pod', () => {
        const deploy = one(objs, 'Deployment');
        assert.equal((deploy['spec'] as { replicas: number }).replicas, 2);
        const pod = podSpec(deploy);
        const [c] = pod.containers;
        assert.ok(c);
        assert.equal(c.args[0], 'run');
        assert.ok(c.args.includes('--leader-elect=true'));
        assert.ok(c.args.includes('--probe-addr=:8081') && c.args.includes('--metrics-addr=:8080'));
        assert.deepEqual(c.livenessProbe.httpGet, { path: '/healthz', port: 'probes' });
        assert.deepEqual(c.readinessProbe.httpGet, { path: '/readyz', port: 'probes' });
        assert.equal(c.ports.find((p) => p.name === 'probes')?.containerPort, 8081);
        assert.ok(c.resources.requests && c.resources.limits);
        assert.equal(pod.securityContext.runAsNonRoot, true);
        assert.ok(pod.securityContext.runAsUser > 0);
        assert.equal(pod.securityContext.seccompProfile.type, 'RuntimeDefault');
        assert.deepEqual(c.securityContext.capabilities.drop, ['ALL']);
        assert.equal(c.securityContext.allowPrivilegeEscalation, false);
        assert.equal(c.securityContext.readOnlyRootFilesystem, true);
        assert.equal(c.securityContext.seccompProfile.type, 'RuntimeDefault');
        assert.equal(pod.automountServiceAccountToken, true);
        assert.equal(pod.serviceAccountName, one(objs, 'ServiceAccount').metadata.name);
        const ns = c.env.find((e) => e.name === 'POD_NAMESPACE');
        assert.equal(ns?.valueFrom?.fieldRef?.fieldPath, 'metadata.namespace');
      });

      it('grants in its ClusterRole exactly the cluster-wide needs of src/operator/permissions.ts', () => {
        const role = named(objs, 'ClusterRole', 'eco-etcd-config-operator');
        assert.deepEqual(grants(role['rules'] as Rule[]), needs('cluster'));
      });

      it('grants in its Role, in the release namespace only, exactly the namespace needs', () => {
        const role = one(objs, 'Role');
        assert.equal(role.metadata.namespace, 'eco-system');
        assert.deepEqual(grants(role['rules'] as Rule[]), needs('namespace'));
      });

      it('binds both roles to the operator ServiceAccount', () => {
        const sa = one(objs, 'ServiceAccount').metadata.name;
        for (const kind of ['ClusterRoleBinding', 'RoleBinding']) {
          const binding = named(objs, kind, 'eco-etcd-config-operator') as Manifest & {
            subjects: Array<{ name: string; namespace: string }>;
          };
          assert.deepEqual(
            binding.subjects.map((s) => [s.name, s.namespace]),
            [[sa, 'eco-system']],
          );
        }
      });
    });

    describe('with every optional object on', () => {
      let objs: Manifest[];
      before(async () => {
        objs = await template(helm, home, ALL_ON);
      });

      it('adds the ServiceMonitor, PodDisruptionBudget, NetworkPolicy and the default ClusterEtcdSource', () => {
        for (const kind of ['ServiceMonitor', 'PodDisruptionBudget', 'NetworkPolicy', 'ClusterEtcdSource'])
          one(objs, kind);
      });

      it('renders objects that Kubernetes schemas and our CRD accept', async () => {
        for (const obj of objs) await validate(obj);
      });

      it('builds the ClusterEtcdSource from defaultSource values', () => {
        const source = one(objs, 'ClusterEtcdSource');
        assert.equal(source.metadata.name, 'platform-etcd');
        assert.deepEqual(source['spec'], {
          endpoints: ['https://etcd-0.etcd:2379', 'https://etcd-1.etcd:2379'],
          tls: {
            caSecretRef: { name: 'etcd-ca', key: 'ca.crt' },
            certSecretRef: { name: 'etcd-client-tls' },
            serverName: 'etcd.platform.svc',
          },
          auth: { secretRef: { name: 'etcd-credentials' } },
          access: [
            { namespaces: ['shop', 'shop-staging'], prefixes: ['/config/shop/'] },
            { namespaceSelector: { matchLabels: { tenant: 'true' } }, prefixes: ['/config/shared/'] },
          ],
        });
      });

      it('passes the shard selector and the replica count to the operator', () => {
        const deploy = one(objs, 'Deployment');
        assert.equal((deploy['spec'] as { replicas: number }).replicas, 3);
        assert.ok(podSpec(deploy).containers[0]?.args.includes('--shard-selector=shard=a'));
      });
    });

    it('passes the lease timings, as flags that `run` accepts', async () => {
      const argsOf = async (...set: string[]): Promise<string[]> => {
        const objs = await template(
          helm,
          home,
          set.flatMap((s) => ['--set', s]),
        );
        const args = podSpec(one(objs, 'Deployment')).containers[0]?.args ?? [];
        assert.equal(args[0], 'run');
        return args.slice(1);
      };
      const defaults = parseRunArgs(await argsOf(), {});
      assert.ok(defaults !== 'help');
      assert.deepEqual(
        [defaults.leaseDurationMs, defaults.renewDeadlineMs, defaults.retryPeriodMs],
        [15_000, 10_000, 2_000],
      );
      const set = parseRunArgs(
        await argsOf(
          'leaderElection.leaseDuration=1m',
          'leaderElection.renewDeadline=40s',
          'leaderElection.retryPeriod=5s',
        ),
        {},
      );
      assert.ok(set !== 'help');
      assert.deepEqual(
        [set.leaseDurationMs, set.renewDeadlineMs, set.retryPeriodMs],
        [60_000, 40_000, 5_000],
      );
    });

    describe('/metrics security', () => {
      interface Endpoint {
        port: string;
        scheme: string;
        bearerTokenFile?: string;
        tlsConfig?: {
          insecureSkipVerify?: boolean;
          ca?: { secret: { name: string; key: string } };
          serverName?: string;
        };
      }
      const render = (...set: string[]): Promise<Manifest[]> =>
        template(
          helm,
          home,
          ['metrics.serviceMonitor.enabled=true', ...set].flatMap((s) => ['--set', s]),
        );
      const endpointOf = (objs: Manifest[]): Endpoint =>
        (one(objs, 'ServiceMonitor')['spec'] as { endpoints: Endpoint[] }).endpoints[0] as Endpoint;
      const runArgs = (objs: Manifest[]): RunArgs => {
        const args = parseRunArgs(podSpec(one(objs, 'Deployment')).containers[0]?.args.slice(1) ?? [], {});
        assert.ok(args !== 'help');
        return args;
      };

      it('is secure by default: HTTPS with a self-signed certificate, scraped with the Prometheus token', async () => {
        const objs = await render();
        for (const obj of objs) await validate(obj);
        const args = runArgs(objs);
        assert.equal(args.metricsSecure, true);
        assert.equal(args.metricsCertDir, undefined);
        assert.deepEqual(endpointOf(objs), {
          port: 'metrics',
          path: '/metrics',
          honorLabels: true,
          interval: '30s',
          scheme: 'https',
          bearerTokenFile: '/var/run/secrets/kubernetes.io/serviceaccount/token',
          tlsConfig: { insecureSkipVerify: true },
        });
        // The operator may review tokens and access; a metrics-reader role exists, bound to nobody yet.
        const operatorRole = named(objs, 'ClusterRole', 'eco-etcd-config-operator');
        const ruleLines = grants(operatorRole['rules'] as Rule[]);
        assert.ok(ruleLines.includes('authentication.k8s.io tokenreviews create'));
        assert.ok(ruleLines.includes('authorization.k8s.io subjectaccessreviews create'));
        const reader = named(objs, 'ClusterRole', 'eco-etcd-config-operator-metrics-reader');
        assert.deepEqual(reader['rules'], [{ nonResourceURLs: ['/metrics'], verbs: ['get'] }]);
        assert.equal(
          byKind(objs, 'ClusterRoleBinding').length,
          1,
          'no metrics-reader binding without subjects',
        );
      });

      it('serves a certificate Secret (mounted, re-read) and lets the ServiceMonitor verify it with its CA', async () => {
        const objs = await render('metrics.tls.secretName=eco-metrics-tls');
        for (const obj of objs) await validate(obj);
        assert.equal(runArgs(objs).metricsCertDir, '/var/run/secrets/metrics-tls');
        const pod = podSpec(one(objs, 'Deployment')) as PodSpec & {
          volumes: Array<{ name: string; secret?: { secretName: string } }>;
          containers: Array<
            Container & { volumeMounts: Array<{ name: string; mountPath: string; readOnly?: boolean }> }
          >;
        };
        assert.equal(
          pod.volumes.find((v) => v.name === 'metrics-tls')?.secret?.secretName,
          'eco-metrics-tls',
        );
        assert.deepEqual(
          pod.containers[0]?.volumeMounts.find((m) => m.name === 'metrics-tls'),
          { name: 'metrics-tls', mountPath: '/var/run/secrets/metrics-tls', readOnly: true },
        );
        assert.deepEqual(endpointOf(objs).tlsConfig, {
          ca: { secret: { name: 'eco-metrics-tls', key: 'ca.crt' } },
          serverName: 'eco-etcd-config-operator-metrics.eco-system.svc',
        });
        const custom = await render(
          'metrics.tls.secretName=eco-metrics-tls',
          'metrics.tls.caKey=ca.pem',
          'metrics.tls.serverName=metrics.example.com',
        );
        assert.deepEqual(endpointOf(custom).tlsConfig, {
          ca: { secret: { name: 'eco-metrics-tls', key: 'ca.pem' } },
          serverName: 'metrics.example.com',
        });
      });

      it('scrapes with a token Secret through authorization when metrics.serviceMonitor.tokenSecret is set', async () => {
        const objs = await render('metrics.serviceMonitor.tokenSecret.name=prometheus-scraper-token');
        await validate(one(objs, 'ServiceMonitor'));
        const endpoint = endpointOf(objs) as Endpoint & { authorization?: object };
        assert.equal(endpoint.bearerTokenFile, undefined);
        assert.deepEqual(endpoint.authorization, {
          type: 'Bearer',
          credentials: { name: 'prometheus-scraper-token', key: 'token' },
        });
      });

      it('binds the metrics-reader ClusterRole to the ServiceAccounts named in metrics.reader', async () => {
        const objs = await render(
          'metrics.reader.serviceAccounts[0].name=prometheus-k8s',
          'metrics.reader.serviceAccounts[0].namespace=monitoring',
        );
        const binding = named(objs, 'ClusterRoleBinding', 'eco-etcd-config-operator-metrics-reader');
        await validate(binding);
        assert.deepEqual(binding['roleRef'], {
          apiGroup: 'rbac.authorization.k8s.io',
          kind: 'ClusterRole',
          name: 'eco-etcd-config-operator-metrics-reader',
        });
        assert.deepEqual(binding['subjects'], [
          { kind: 'ServiceAccount', name: 'prometheus-k8s', namespace: 'monitoring' },
        ]);
      });

      it('opts out with metrics.secure=false: plain HTTP, no review permissions, no reader role', async () => {
        const objs = await render('metrics.secure=false');
        for (const obj of objs) await validate(obj);
        assert.equal(runArgs(objs).metricsSecure, false);
        assert.deepEqual(endpointOf(objs), {
          port: 'metrics',
          path: '/metrics',
          honorLabels: true,
          interval: '30s',
          scheme: 'http',
        });
        assert.deepEqual(
          grants(named(objs, 'ClusterRole', 'eco-etcd-config-operator')['rules'] as Rule[]),
          needs('cluster', {}),
        );
        assert.deepEqual(
          byKind(objs, 'ClusterRole').map((o) => o.metadata.name),
          ['eco-etcd-config-operator'],
        );
      });

      it('refuses contradictory or malformed metrics values, saying which', async () => {
        const cases: Array<[string[], RegExp]> = [
          [
            ['--set', 'metrics.secure=false', '--set', 'metrics.tls.secretName=x'],
            /metrics.tls.secretName needs metrics.secure=true/,
          ],
          [
            [
              '--set',
              'metrics.secure=false',
              '--set',
              'metrics.reader.serviceAccounts[0].name=p',
              '--set',
              'metrics.reader.serviceAccounts[0].namespace=m',
            ],
            /metrics.reader.serviceAccounts needs metrics.secure=true/,
          ],
          [['--set-string', 'metrics.secure=yes'], /secure/],
          [['--set', 'metrics.reader.serviceAccounts[0].name=p'], /namespace/],
          [['--set', 'metrics.tls.secretName=Not_A_Name'], /secretName/],
        ];
        for (const [args, mentions] of cases) {
          const result = await run(helm.path, ['template', 'eco', CHART, ...args], home);
          assert.notEqual(result.code, 0, `accepted ${args.join(' ')}`);
          assert.match(result.stderr, mentions);
        }
      });
    });

    describe('opt-in rollout kinds', () => {
      const render = (...set: string[]): Promise<Manifest[]> =>
        template(
          helm,
          home,
          set.flatMap((s) => ['--set', s]),
        );
      const runArgs = (objs: Manifest[]): RunArgs => {
        const args = parseRunArgs(podSpec(one(objs, 'Deployment')).containers[0]?.args.slice(1) ?? [], {});
        assert.ok(args !== 'help');
        return args;
      };
      const clusterGrants = (objs: Manifest[]): string[] =>
        grants(named(objs, 'ClusterRole', 'eco-etcd-config-operator')['rules'] as Rule[]);

      it('are off by default: no flag switched on, no access to cronjobs or rollouts', async () => {
        const objs = await render();
        const args = runArgs(objs);
        assert.deepEqual([args.rolloutCronJobs, args.rolloutArgoRollouts], [false, false]);
        assert.deepEqual(
          clusterGrants(objs).filter((g) => /cronjobs|rollouts/.test(g)),
          [],
        );
      });

      it('rollout.cronJobs.enabled passes --rollout-cronjobs and grants exactly the CronJob needs', async () => {
        const objs = await render('rollout.cronJobs.enabled=true');
        for (const obj of objs) await validate(obj);
        const args = runArgs(objs);
        assert.deepEqual([args.rolloutCronJobs, args.rolloutArgoRollouts], [true, false]);
        assert.deepEqual(
          clusterGrants(objs),
          needs('cluster', { metricsSecure: true, rolloutCronJobs: true }),
        );
        assert.ok(clusterGrants(objs).includes('batch cronjobs patch'));
      });

      it('rollout.argoRollouts.enabled passes --rollout-argo-rollouts and grants exactly the Rollout needs', async () => {
        const objs = await render('rollout.argoRollouts.enabled=true', 'metrics.secure=false');
        for (const obj of objs) await validate(obj);
        const args = runArgs(objs);
        assert.deepEqual([args.rolloutCronJobs, args.rolloutArgoRollouts], [false, true]);
        assert.deepEqual(clusterGrants(objs), needs('cluster', { rolloutArgoRollouts: true }));
        assert.ok(clusterGrants(objs).includes('argoproj.io rollouts watch'));
      });

      it('secretTargets.enabled passes --secret-targets and grants exactly the Secret-target needs (off by default)', async () => {
        const defaults = await render();
        assert.equal(runArgs(defaults).secretTargets, false);
        assert.deepEqual(
          clusterGrants(defaults).filter((g) => / secrets /.test(g)),
          [],
        );
        const objs = await render('secretTargets.enabled=true');
        for (const obj of objs) await validate(obj);
        assert.equal(runArgs(objs).secretTargets, true);
        assert.deepEqual(clusterGrants(objs), needs('cluster', { metricsSecure: true, secretTargets: true }));
        assert.ok(clusterGrants(objs).includes(' secrets create'));
        // The watch is of the Secrets it manages (label-selected informer): drift is repaired at once.
        assert.ok(clusterGrants(objs).includes(' secrets watch'));
      });

      it('rollout.restartNonConsumers and rollout.maxConcurrent pass their flags (off and unlimited by default)', async () => {
        const defaults = runArgs(await render());
        assert.deepEqual([defaults.rolloutNonConsumers, defaults.maxConcurrentRollouts], [false, 0]);
        const set = runArgs(await render('rollout.restartNonConsumers=true', 'rollout.maxConcurrent=5'));
        assert.deepEqual([set.rolloutNonConsumers, set.maxConcurrentRollouts], [true, 5]);
      });

      it('refuses a value that is not a boolean, saying which', async () => {
        for (const [value, mentions] of [
          ['rollout.cronJobs.enabled=yes', /cronJobs/],
          ['rollout.argoRollouts=true', /argoRollouts/],
        ] as const) {
          const result = await run(helm.path, ['template', 'eco', CHART, '--set-string', value], home);
          assert.notEqual(result.code, 0, `accepted ${value}`);
          assert.match(result.stderr, mentions);
        }
      });
    });

    it('renders a valid ClusterEtcdSource from --set defaultSource.endpoints=<one endpoint>', async () => {
      const objs = await template(helm, home, ['--set', 'defaultSource.endpoints=etcd.platform.svc:2379']);
      const source = one(objs, 'ClusterEtcdSource');
      assert.deepEqual(source['spec'], { endpoints: ['etcd.platform.svc:2379'] });
      await validate(source);
    });

    it('gives the V8 heap heapPercentOfMemoryLimit of the memory limit (NODE_OPTIONS), and nothing without one', async () => {
      const nodeOptions = async (...set: string[]): Promise<string | undefined> => {
        const objs = await template(helm, home, set);
        const [c] = podSpec(one(objs, 'Deployment')).containers;
        return (c?.env as Array<{ name: string; value?: string }>).find((e) => e.name === 'NODE_OPTIONS')
          ?.value;
      };
      assert.equal(await nodeOptions(), '--max-old-space-size=384', '75 % of the default 512Mi');
      assert.equal(await nodeOptions('--set', 'resources.limits.memory=2Gi'), '--max-old-space-size=1536');
      assert.equal(
        await nodeOptions('--set', 'resources.limits.memory=1000Mi', '--set', 'heapPercentOfMemoryLimit=50'),
        '--max-old-space-size=500',
      );
      assert.equal(await nodeOptions('--set', 'heapPercentOfMemoryLimit=0'), undefined, 'turned off');
      assert.equal(
        await nodeOptions('--set', 'resources.limits.memory=536870912'),
        undefined,
        'bytes: left to Node',
      );
      assert.equal(await nodeOptions('--set', 'resources.limits=null'), undefined, 'no limit');
    });

    it('keeps the default ClusterEtcdSource on uninstall unless told not to (helm.sh/resource-policy)', async () => {
      const annotations = async (...set: string[]): Promise<unknown> => {
        const objs = await template(helm, home, ['--set', 'defaultSource.endpoints=etcd:2379', ...set]);
        return (one(objs, 'ClusterEtcdSource')['metadata'] as { annotations?: unknown }).annotations;
      };
      assert.deepEqual(await annotations(), { 'helm.sh/resource-policy': 'keep' });
      assert.equal(await annotations('--set', 'defaultSource.keepOnUninstall=false'), undefined);
    });

    // Only Helm 4 renders an install offline (--dry-run=client); Helm 3's NOTES are checked by the
    // install on the simulator below.
    if (helm.label === 'Helm 4')
      it('prints NOTES that tell the next step: create a PrefixSync and check its status', async () => {
        const install = (...extra: string[]) =>
          run(helm.path, ['install', 'eco', CHART, '-n', 'eco-system', '--dry-run=client', ...extra], home);
        const plain = await install();
        assert.equal(plain.code, 0, plain.stderr);
        const notes = plain.stdout.slice(plain.stdout.indexOf('NOTES:'));
        assert.match(notes, /create a ClusterEtcdSource/);
        assert.match(notes, /kind: PrefixSync/);
        assert.match(notes, /kubectl -n my-app get prefixsync my-app/);
        assert.match(notes, /bind the ClusterRole\s+eco-etcd-config-operator-metrics-reader/);
        const withSource = await install('--set', 'defaultSource.endpoints=etcd:2379');
        assert.equal(withSource.code, 0, withSource.stderr);
        assert.match(withSource.stdout, /kubectl get clusteretcdsource default/);
        assert.match(withSource.stdout, /no access rules yet/);
      });

    it('renders defaultSource.tls.enabled alone as TLS with the system CAs (tls: {})', async () => {
      const objs = await template(helm, home, [
        '--set',
        'defaultSource.endpoints=etcd.example.com:2379',
        '--set',
        'defaultSource.tls.enabled=true',
      ]);
      const source = one(objs, 'ClusterEtcdSource');
      assert.deepEqual(source['spec'], { endpoints: ['etcd.example.com:2379'], tls: {} });
      await validate(source);
    });

    it('accepts set-based shard selectors, and endpoints all https:// or all plain', async () => {
      const accepted = [
        ['--set-string', 'shardSelector=shard in (a\\,b)\\,!legacy\\,tier!=x'],
        ['--set', 'defaultSource.endpoints={https://a:2379,https://b:2379}'],
        ['--set', 'defaultSource.endpoints={a:2379,http://b:2379}'],
        ['--set-string', 'defaultSource.endpoints=https://a:2379\\,https://b:2379'],
        ['--set', 'leaderElection.leaseDuration=1m', '--set', 'leaderElection.renewDeadline=59.5s'],
      ];
      for (const args of accepted) {
        const result = await run(helm.path, ['template', 'eco', CHART, ...args], home);
        assert.equal(result.code, 0, `refused ${args.join(' ')}: ${result.stderr}`);
      }
    });

    it('refuses bad values through values.schema.json, saying which', async () => {
      const cases: Array<[string[], RegExp]> = [
        [['--set', 'replicaCount=two'], /replicaCount/],
        [['--set', 'logLevel=loud'], /logLevel/],
        [['--set', 'defaultSource.endpoints={etcd 0}'], /endpoints/],
        [['--set', 'defaultSource.access[0].prefixes={config}'], /prefixes/],
        [['--set', 'replicas=2'], /replicas/],
        [['--set', 'workers=0'], /workers/],
        [['--set', 'leaderElection.enabled=false'], /needs leaderElection.enabled=true/],
        [['--set', 'leaderElection.leaseDuration=1.5s'], /leaseDuration/],
        [['--set', 'leaderElection.retryPeriod=often'], /retryPeriod/],
        [['--set-string', 'shardSelector=a in (b'], /shardSelector/],
        [['--set-string', 'shardSelector=shard=a=b'], /shardSelector/],
        [['--set', 'defaultSource.endpoints={https://a:2379,b:2379}'], /endpoints/],
        [['--set-string', 'defaultSource.endpoints=a:2379\\,https://b:2379'], /endpoints/],
        [
          ['--set', 'leaderElection.renewDeadline=15s'],
          /leaderElection.renewDeadline \(15s\) must be less than leaderElection.leaseDuration \(15s\)/,
        ],
        [
          ['--set', 'leaderElection.leaseDuration=1m', '--set', 'leaderElection.renewDeadline=1m0.5s'],
          /renewDeadline \(1m0.5s\) must be less than/,
        ],
      ];
      for (const [args, mentions] of cases) {
        const result = await run(helm.path, ['template', 'eco', CHART, ...args], home);
        assert.notEqual(result.code, 0, `accepted ${args.join(' ')}`);
        assert.match(result.stderr, mentions);
      }
    });
  });
}

describe('the rendered chart applied to the API simulator with kubectl', function () {
  this.timeout(300_000);
  let sim: KubeSim;
  let dir: string;
  const kubectl = (...args: string[]) =>
    run(KUBECTL, ['--kubeconfig', join(dir, 'kubeconfig'), '--request-timeout=30s', ...args], dir);

  before(async function () {
    if (helms().length === 0) this.skip();
    dir = await mkdtemp(join(tmpdir(), 'chart-apply-'));
    sim = await KubeSim.start({ port: 0 });
    await sim.writeKubeconfig(join(dir, 'kubeconfig'));
  });
  after(async () => {
    await sim?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('installs the CRDs, then every object of the chart with every option on, and reads them back', async () => {
    const [helm] = helms();
    assert.ok(helm);
    const crds = await kubectl('apply', '-f', join(CHART, 'crds'));
    assert.equal(crds.code, 0, crds.stderr);
    // What Prometheus Operator installs for ServiceMonitors (its full schema is checked above).
    await writeFile(join(dir, 'servicemonitor-crd.yaml'), stringify(SERVICE_MONITOR_CRD));
    const monitoring = await kubectl('apply', '-f', join(dir, 'servicemonitor-crd.yaml'));
    assert.equal(monitoring.code, 0, monitoring.stderr);
    const ns = await kubectl('create', 'namespace', 'eco-system');
    assert.equal(ns.code, 0, ns.stderr);

    const objs = await template(helm, dir, ALL_ON);
    const file = join(dir, 'rendered.yaml');
    await writeFile(file, objs.map((o) => stringify(o)).join('---\n'));
    // kubectl waits for the new CRDs to show in discovery; retry while they do not yet.
    const applied = await waitForRun(() => kubectl('apply', '--validate=strict', '-f', file));
    assert.equal(applied.code, 0, applied.stderr);

    const all = await kubectl(
      'get',
      'clusterroles,clusterrolebindings,clusteretcdsources,deployments,services,serviceaccounts,roles,rolebindings,poddisruptionbudgets,networkpolicies,servicemonitors',
      '-n',
      'eco-system',
      '-o',
      'name',
    );
    assert.equal(all.code, 0, all.stderr);
    assert.equal(all.stdout.trim().split('\n').length, objs.length, all.stdout);
    const source = await kubectl('get', 'clusteretcdsource', 'platform-etcd', '-o', 'yaml');
    assert.equal(source.code, 0, source.stderr);
    const [back] = parseManifests(source.stdout);
    // As rendered, with the defaults the API server fills in from the CRD (each rule's onRevoke).
    const rendered = structuredClone(one(objs, 'ClusterEtcdSource')['spec']) as {
      access?: Record<string, unknown>[];
    };
    for (const rule of rendered.access ?? []) rule['onRevoke'] ??= 'Keep';
    assert.deepEqual(back?.['spec'], rendered);
    const role = await kubectl('-n', 'eco-system', 'get', 'role', 'eco-etcd-config-operator', '-o', 'yaml');
    assert.deepEqual(parseManifests(role.stdout)[0]?.['rules'], one(objs, 'Role')['rules']);
  });
});

for (const helm of helms()) {
  describe(`${helm.label} install and upgrade on the API simulator`, function () {
    this.timeout(300_000);
    let sim: KubeSim;
    let dir: string;
    const helmRun = (...args: string[]) =>
      run(helm.path, [...args, '--kubeconfig', join(dir, 'kubeconfig')], dir);

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'chart-install-'));
      sim = await KubeSim.start({ port: 0 });
      await sim.writeKubeconfig(join(dir, 'kubeconfig'));
    });
    after(async () => {
      await sim?.close();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it('installs the CRDs and the release, then an upgrade moves the default ClusterEtcdSource', async () => {
      const custom = sim.kubeConfig().makeApiClient(CustomObjectsApi);
      const source = async (): Promise<{ spec: { endpoints: string[] } }> =>
        (await custom.getClusterCustomObject({
          group: 'etcdconfig.dev',
          version: 'v1alpha1',
          plural: 'clusteretcdsources',
          name: 'default',
        })) as { spec: { endpoints: string[] } };
      const installed = await helmRun(
        'install',
        'eco',
        CHART,
        '-n',
        'eco-system',
        '--create-namespace',
        '--set',
        'defaultSource.endpoints=etcd-a:2379',
        '--set',
        'defaultSource.access[0].namespaces={shop}',
        '--set',
        'defaultSource.access[0].prefixes={/config/shop/}',
      );
      assert.equal(installed.code, 0, installed.stderr);
      assert.match(installed.stdout, /STATUS: deployed/);
      // NOTES: the next step and how to check it.
      assert.match(installed.stdout, /kubectl get clusteretcdsource default/);
      assert.match(installed.stdout, /kind: PrefixSync/);
      // The example is one the release's access rule allows (namespace shop, /config/shop/).
      assert.match(installed.stdout, /kubectl -n shop get prefixsync my-app/);
      assert.deepEqual((await source()).spec.endpoints, ['etcd-a:2379']);
      const apps = sim.kubeConfig().makeApiClient(AppsV1Api);
      const deploy = await apps.readNamespacedDeployment({
        namespace: 'eco-system',
        name: 'eco-etcd-config-operator',
      });
      assert.equal(deploy.spec?.replicas, 2);

      const upgraded = await helmRun(
        'upgrade',
        'eco',
        CHART,
        '-n',
        'eco-system',
        '--reuse-values',
        '--set',
        'defaultSource.endpoints=etcd-b:2379',
      );
      assert.equal(upgraded.code, 0, upgraded.stderr);
      assert.deepEqual((await source()).spec.endpoints, ['etcd-b:2379']);
      const list = await helmRun('list', '-n', 'eco-system', '-o', 'json');
      const releases = JSON.parse(list.stdout) as Array<{ name: string; revision: string; status: string }>;
      assert.deepEqual(
        releases.map((r) => [r.name, String(r.revision), r.status]),
        [['eco', '2', 'deployed']],
      );
    });
  });
}
