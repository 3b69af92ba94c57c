// What the operator may do in the Kubernetes API, and why: the single source of the chart's ClusterRole
// and Role. Each need names the call sites that need it (`file#callee`, as found by the type checker);
// test/unit/chart keeps this list, the rendered chart and the code in agreement, so a new call without a
// permission, or a permission no code uses, fails the build.

/** An RBAC verb the operator uses. */
export type PermissionVerb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete';

/** One RBAC need of the operator. */
export interface PermissionNeed {
  /** API group; `''` is the core group. */
  readonly apiGroup: string;
  /** Resource, or `resource/subresource`. */
  readonly resource: string;
  readonly verbs: readonly PermissionVerb[];
  /** `cluster`: ClusterRole (any namespace); `namespace`: Role in the operator's own namespace only. */
  readonly scope: 'cluster' | 'namespace';
  /** What the operator does with it, in a user's words. */
  readonly why: string;
  /** The code that needs it: `src/<file>#<callee>` call sites of the operator's code. */
  readonly calls: readonly string[];
  /**
   * Needs that no call shows because the API server derives them from a request's content: the
   * `text` must occur in `file` for the need to stay.
   */
  readonly evidence?: { readonly file: string; readonly text: string };
  /**
   * Set when only one mode of the operator needs it, which the chart grants only then:
   * `metricsSecure` — /metrics served behind TokenReview and SubjectAccessReview (`--metrics-secure`,
   * the chart's `metrics.secure`); `rolloutCronJobs` — rollouts of CronJobs (`--rollout-cronjobs`,
   * `rollout.cronJobs.enabled`); `rolloutArgoRollouts` — rollouts of Argo Rollouts
   * (`--rollout-argo-rollouts`, `rollout.argoRollouts.enabled`); `secretTargets` — PrefixSyncs that
   * write Secrets (`--secret-targets`, `secretTargets.enabled`). Unset: always needed.
   */
  readonly onlyWhen?: PermissionMode;
  /**
   * Where a namespace-scoped install (`--watch-namespaces`, the chart's `watchNamespaces`) grants it;
   * default {@link scopedGrantsOf}: a Role in each watched namespace for a `cluster` need, the operator
   * namespace's Role for a `namespace` one. Set to keep a need cluster-wide in that mode too.
   */
  readonly whenScoped?: readonly ScopedGrant[];
}

/**
 * Where a namespace-scoped install grants a need: `cluster` (still its ClusterRole), `watchedNamespaces`
 * (a Role in each watched namespace), `operatorNamespace` (the Role in the operator's own namespace).
 */
export type ScopedGrant = 'cluster' | 'watchedNamespaces' | 'operatorNamespace';

/** Where a namespace-scoped install grants `need` (its `whenScoped`, or the default by its scope). */
export function scopedGrantsOf(need: PermissionNeed): readonly ScopedGrant[] {
  return need.whenScoped ?? (need.scope === 'cluster' ? ['watchedNamespaces'] : ['operatorNamespace']);
}

/** An optional mode of the operator that needs permissions of its own (see `PermissionNeed.onlyWhen`). */
export type PermissionMode = 'metricsSecure' | 'rolloutCronJobs' | 'rolloutArgoRollouts' | 'secretTargets';

const PSYNC_RECONCILER = 'src/controller/prefixsync/reconciler.ts';
const PSYNC_ROLLOUT = 'src/controller/prefixsync/rollout.ts';
const PSYNC_ROLLOUT_STEP = 'src/controller/prefixsync/rollout-step.ts';
const PSYNC_PROGRESS = 'src/controller/prefixsync/rollout-progress.ts';
const PSYNC_HISTORY = 'src/controller/prefixsync/content-history.ts';
const PSYNC_TARGETS = 'src/controller/prefixsync/target-configmaps.ts';
const SECRET_VIEW = 'src/controller/prefixsync/secret-view.ts';
const SOURCE_RECONCILER = 'src/controller/etcdsource/reconciler.ts';
const RESOURCES = 'src/controller/shared/resources.ts';
const READ_THROUGH = 'src/controller/shared/read-through.ts';
const CUSTOM = 'src/kube/custom-resources.ts';
const INFORMERS = 'src/controller/shared/informers.ts';
const PSYNC_SETUP = 'src/controller/prefixsync/setup.ts';
const SOURCE_SETUP = 'src/controller/etcdsource/setup.ts';
const INFORMER = 'src/kube/informer.ts';
/** Where every informer (and the Lease watch) opens its watch. */
const INFORMER_WATCH = 'src/kube/watch-request.ts#req.watcher.watch';
const REVIEWS = 'src/kube/access-reviews.ts';
const WORKLOADS = 'src/kube/workloads.ts';
const ARGO = 'src/kube/argo-rollouts.ts';
/** Where a namespaced kind's informer is made over the watched namespaces (one per namespace when scoped). */
const WATCHED_INFORMER = `${INFORMERS}#inWatchedNamespaces(env)`;
/** The informer of a workload kind, made for the kinds the operator rolls. */
const WORKLOAD_INFORMER = [
  `${INFORMERS}#registry.informer(WORKLOAD_INFORMER_KEYS[kind])`,
  `${PSYNC_SETUP}#workloadInformer(informers)`,
  WATCHED_INFORMER,
  `${INFORMER}#this.source.list`,
  INFORMER_WATCH,
];
const METRICS_ACCESS = 'src/operator/metrics-access.ts';

/** Every permission the operator needs: nothing more (a test checks each is used), nothing less. */
export const OPERATOR_PERMISSIONS: readonly PermissionNeed[] = [
  {
    apiGroup: 'etcdconfig.dev',
    resource: 'prefixsyncs',
    verbs: ['get', 'list', 'watch', 'patch'],
    scope: 'cluster',
    why: 'watch PrefixSyncs in every namespace (informer), re-read one before a sync, add and remove the etcdconfig.dev/configmap finalizer (JSON merge patch)',
    calls: [
      `${INFORMERS}#registry.informer(INFORMER_KEYS.prefixSyncs)`,
      `${PSYNC_SETUP}#prefixSyncInformer(informers)`,
      WATCHED_INFORMER,
      `${INFORMER}#this.source.list`,
      INFORMER_WATCH,
      `${CUSTOM}#this.http.listAll`,
      `${CUSTOM}#this.http.list`,
      `${PSYNC_RECONCILER}#this.options.prefixSyncs.get`,
      `${READ_THROUGH}#api.get`,
      `${RESOURCES}#raw.get`,
      `${CUSTOM}#this.http.get`,
      'src/controller/prefixsync/finalizer.ts#api.patchMerge',
      `${READ_THROUGH}#api.patchMerge`,
      `${RESOURCES}#raw.patchMerge`,
      `${CUSTOM}#this.http.patchMerge`,
    ],
  },
  {
    apiGroup: 'etcdconfig.dev',
    resource: 'prefixsyncs/status',
    verbs: ['update'],
    scope: 'cluster',
    why: 'write status (conditions, syncedRevision, contentHash, ...) once per reconcile',
    calls: [
      'src/controller/prefixsync/report.ts#this.deps.prefixSyncs.replaceStatus',
      `${READ_THROUGH}#api.replaceStatus`,
      `${RESOURCES}#raw.replaceStatus`,
      `${CUSTOM}#this.http.updateStatus`,
    ],
  },
  {
    apiGroup: 'etcdconfig.dev',
    resource: 'prefixsyncs/finalizers',
    verbs: ['update'],
    scope: 'cluster',
    why: "the ConfigMap names its PrefixSync as owner with blockOwnerDeletion: true, which the OwnerReferencesPermissionEnforcement admission plugin allows only to who may update the owner's finalizers",
    calls: [
      `${PSYNC_TARGETS}#api.create`,
      `${READ_THROUGH}#api.create`,
      `${PSYNC_TARGETS}#api.replace`,
      `${READ_THROUGH}#api.replace`,
    ],
    evidence: { file: 'src/controller/prefixsync/desired-configmap.ts', text: 'blockOwnerDeletion: true' },
  },
  {
    apiGroup: 'etcdconfig.dev',
    resource: 'clusteretcdsources',
    verbs: ['get', 'list', 'watch'],
    scope: 'cluster',
    whenScoped: ['cluster'],
    why: 'watch ClusterEtcdSources (informer: endpoints, TLS and access rules) and re-read one before probing it',
    calls: [
      `${INFORMERS}#registry.informer(INFORMER_KEYS.sources)`,
      `${PSYNC_SETUP}#sourceInformer(informers)`,
      `${SOURCE_SETUP}#sourceInformer(informers)`,
      `${INFORMER}#this.source.list`,
      INFORMER_WATCH,
      `${CUSTOM}#this.http.listAll`,
      `${SOURCE_RECONCILER}#this.options.sources.get`,
      `${RESOURCES}#raw.get`,
      `${CUSTOM}#this.http.get`,
    ],
  },
  {
    apiGroup: 'etcdconfig.dev',
    resource: 'clusteretcdsources/status',
    verbs: ['update'],
    scope: 'cluster',
    whenScoped: ['cluster'],
    why: 'write the Ready condition, clusterId, memberCount and revision',
    calls: [
      `${SOURCE_RECONCILER}#this.options.sources.replaceStatus`,
      `${RESOURCES}#raw.replaceStatus`,
      `${CUSTOM}#this.http.updateStatus`,
    ],
  },
  {
    apiGroup: '',
    resource: 'configmaps',
    verbs: ['get', 'list', 'watch', 'create', 'update', 'delete'],
    scope: 'cluster',
    why: "write each PrefixSync's ConfigMap in its namespace (create, or replace with resourceVersion), watch the ConfigMaps it manages (label selector) to repair drift, delete them under deletionPolicy Delete",
    calls: [
      `${INFORMERS}#registry.informer(INFORMER_KEYS.managedConfigMaps)`,
      `${PSYNC_SETUP}#managedConfigMapInformer(informers)`,
      WATCHED_INFORMER,
      // The template ConfigMaps (`target.template.configMapRef`), every one of the watched namespaces.
      'src/controller/prefixsync/template-configmaps.ts#registry.informer(TEMPLATE_CONFIGMAPS_INFORMER_KEY)',
      'src/controller/prefixsync/template-configmaps.ts#inWatchedNamespaces(env)',
      `${PSYNC_SETUP}#templateConfigMapInformer(informers)`,
      `${INFORMER}#this.source.list`,
      INFORMER_WATCH,
      'src/kube/config-maps.ts#this.http.listAll',
      'src/kube/config-maps.ts#this.http.list',
      `${PSYNC_TARGETS}#this.get`,
      `${PSYNC_TARGETS}#api.get`,
      `${READ_THROUGH}#api.get`,
      'src/kube/config-maps.ts#this.http.get',
      `${PSYNC_TARGETS}#api.create`,
      `${READ_THROUGH}#api.create`,
      'src/kube/config-maps.ts#this.http.create',
      `${PSYNC_TARGETS}#api.replace`,
      `${READ_THROUGH}#api.replace`,
      'src/kube/config-maps.ts#this.http.update',
      `${PSYNC_TARGETS}#this.api.delete`,
      `${PSYNC_TARGETS}#api.delete`,
      `${READ_THROUGH}#api.delete`,
      'src/kube/config-maps.ts#this.http.delete',
    ],
  },
  {
    apiGroup: '',
    resource: 'namespaces',
    verbs: ['list', 'watch'],
    scope: 'cluster',
    whenScoped: ['cluster'],
    why: 'read namespace labels for access rules with a namespaceSelector (informer)',
    calls: [
      `${INFORMERS}#registry.informer(INFORMER_KEYS.namespaces)`,
      `${PSYNC_SETUP}#namespaceInformer(informers)`,
      `${INFORMER}#this.source.list`,
      INFORMER_WATCH,
      'src/kube/core-sources.ts#this.api.listNamespace',
    ],
  },
  {
    apiGroup: '',
    resource: 'events',
    verbs: ['create', 'patch'],
    scope: 'cluster',
    whenScoped: ['watchedNamespaces', 'operatorNamespace'],
    why: "record Events on PrefixSyncs (in their namespaces) and on ClusterEtcdSources (in default; in the operator's namespace when namespace-scoped); a repeat patches count and lastTimestamp",
    calls: [
      'src/kube/event-recorder.ts#this.sink.create',
      'src/kube/events.ts#this.http.create',
      'src/kube/event-recorder.ts#this.sink.patchRepeat',
      'src/kube/events.ts#this.http.patchMerge',
    ],
  },
  {
    apiGroup: 'apps',
    resource: 'deployments',
    verbs: ['get', 'list', 'watch', 'patch'],
    scope: 'cluster',
    why: 'rollout: find (mode auto) or read (mode targets, also when nothing is due, to report a missing one or one that does not use the ConfigMap) the workloads using a ConfigMap, patch their pod-template config-hash annotations, and read them until the rollout completes; watch them in every namespace (informer) so that a target created or fixed later, and a rollout progressing, is seen at once',
    calls: [
      `${PSYNC_ROLLOUT_STEP}#rollOut`,
      `${PSYNC_ROLLOUT_STEP}#findTargets`,
      `${PSYNC_ROLLOUT}#findTargets`,
      `${PSYNC_ROLLOUT}#api.get`,
      `${PSYNC_ROLLOUT_STEP}#followRollout`,
      `${PSYNC_PROGRESS}#api.get`,
      `${PSYNC_ROLLOUT_STEP}#deps.workloads.get`,
      'src/kube/workloads.ts#this.api.readNamespacedDeployment',
      `${PSYNC_ROLLOUT}#api.list`,
      'src/controller/prefixsync/retention.ts#workloads.list',
      'src/kube/workloads.ts#listWorkloads',
      'src/kube/workloads.ts#listAppsWorkloads',
      'src/kube/workloads.ts#api.listNamespacedDeployment',
      `${PSYNC_ROLLOUT}#patchHash`,
      `${PSYNC_ROLLOUT}#api.patchPodTemplateAnnotations`,
      'src/kube/workloads.ts#this.api.patchNamespacedDeployment',
      `${INFORMERS}#registry.informer(WORKLOAD_INFORMER_KEYS[kind])`,
      `${PSYNC_SETUP}#workloadInformer(informers)`,
      WATCHED_INFORMER,
      `${INFORMER}#this.source.list`,
      INFORMER_WATCH,
      'src/kube/workloads.ts#api.listDeploymentForAllNamespaces',
    ],
  },
  {
    apiGroup: 'apps',
    resource: 'statefulsets',
    verbs: ['get', 'list', 'watch', 'patch'],
    scope: 'cluster',
    why: 'rollout of StatefulSets and their informer, as for Deployments',
    calls: [
      `${PSYNC_ROLLOUT_STEP}#rollOut`,
      `${PSYNC_ROLLOUT}#findTargets`,
      `${PSYNC_ROLLOUT_STEP}#followRollout`,
      `${PSYNC_ROLLOUT_STEP}#deps.workloads.get`,
      'src/kube/workloads.ts#this.api.readNamespacedStatefulSet',
      'src/controller/prefixsync/retention.ts#workloads.list',
      'src/kube/workloads.ts#listWorkloads',
      'src/kube/workloads.ts#listAppsWorkloads',
      'src/kube/workloads.ts#api.listNamespacedStatefulSet',
      'src/kube/workloads.ts#this.api.patchNamespacedStatefulSet',
      `${INFORMERS}#registry.informer(WORKLOAD_INFORMER_KEYS[kind])`,
      `${PSYNC_SETUP}#workloadInformer(informers)`,
      WATCHED_INFORMER,
      `${INFORMER}#this.source.list`,
      INFORMER_WATCH,
      'src/kube/workloads.ts#api.listStatefulSetForAllNamespaces',
    ],
  },
  {
    apiGroup: 'apps',
    resource: 'daemonsets',
    verbs: ['get', 'list', 'watch', 'patch'],
    scope: 'cluster',
    why: 'rollout of DaemonSets and their informer, as for Deployments',
    calls: [
      `${PSYNC_ROLLOUT_STEP}#rollOut`,
      `${PSYNC_ROLLOUT}#findTargets`,
      `${PSYNC_ROLLOUT_STEP}#followRollout`,
      `${PSYNC_ROLLOUT_STEP}#deps.workloads.get`,
      'src/kube/workloads.ts#this.api.readNamespacedDaemonSet',
      'src/controller/prefixsync/retention.ts#workloads.list',
      'src/kube/workloads.ts#listWorkloads',
      'src/kube/workloads.ts#listAppsWorkloads',
      'src/kube/workloads.ts#api.listNamespacedDaemonSet',
      'src/kube/workloads.ts#this.api.patchNamespacedDaemonSet',
      `${INFORMERS}#registry.informer(WORKLOAD_INFORMER_KEYS[kind])`,
      `${PSYNC_SETUP}#workloadInformer(informers)`,
      WATCHED_INFORMER,
      `${INFORMER}#this.source.list`,
      INFORMER_WATCH,
      'src/kube/workloads.ts#api.listDaemonSetForAllNamespaces',
    ],
  },
  {
    apiGroup: 'batch',
    resource: 'cronjobs',
    verbs: ['get', 'list', 'watch', 'patch'],
    scope: 'cluster',
    onlyWhen: 'rolloutCronJobs',
    why: "rollout of CronJobs (--rollout-cronjobs): as for Deployments, but the patch sets the annotations of the job template's pod template, so the next Job runs the new content; running Jobs are left alone (the operator never touches Jobs)",
    calls: [
      `${PSYNC_ROLLOUT_STEP}#rollOut`,
      `${PSYNC_ROLLOUT}#findTargets`,
      `${PSYNC_ROLLOUT_STEP}#followRollout`,
      `${PSYNC_ROLLOUT_STEP}#deps.workloads.get`,
      `${WORKLOADS}#this.batch.readNamespacedCronJob`,
      `${WORKLOADS}#listWorkloads`,
      `${WORKLOADS}#listCronJobs`,
      `${WORKLOADS}#api.listNamespacedCronJob`,
      `${WORKLOADS}#this.batch.patchNamespacedCronJob`,
      ...WORKLOAD_INFORMER,
      `${WORKLOADS}#api.listCronJobForAllNamespaces`,
    ],
  },
  {
    apiGroup: 'argoproj.io',
    resource: 'rollouts',
    verbs: ['get', 'list', 'watch', 'patch'],
    scope: 'cluster',
    onlyWhen: 'rolloutArgoRollouts',
    why: "rollout of Argo Rollouts (--rollout-argo-rollouts): as for Deployments (a JSON merge patch of spec.template), followed through the Rollout's own status; a list of at most one Rollout tells a missing Rollout from a missing CRD",
    calls: [
      `${PSYNC_ROLLOUT_STEP}#rollOut`,
      `${PSYNC_ROLLOUT}#findTargets`,
      `${PSYNC_ROLLOUT_STEP}#followRollout`,
      `${PSYNC_ROLLOUT_STEP}#deps.workloads.get`,
      `${WORKLOADS}#this.rollouts.get`,
      `${ARGO}#this.api.getNamespacedCustomObject`,
      `${ARGO}#this.isServed`,
      `${ARGO}#this.api.listNamespacedCustomObject`,
      `${WORKLOADS}#listWorkloads`,
      `${WORKLOADS}#apis.rollouts.list`,
      `${WORKLOADS}#this.rollouts.patchMerge`,
      `${ARGO}#this.api.patchNamespacedCustomObject`,
      ...WORKLOAD_INFORMER,
      `${ARGO}#this.api.listClusterCustomObject`,
    ],
  },
  {
    apiGroup: '',
    resource: 'secrets',
    verbs: ['get', 'list', 'watch', 'create', 'update', 'delete'],
    scope: 'cluster',
    onlyWhen: 'secretTargets',
    why: 'Secret targets (--secret-targets): write the Secret a PrefixSync with target.kind Secret names, in its namespace (create, replace with resourceVersion, delete and re-create an immutable one), watch the Secrets the operator manages (managed-by label selector) to repair drift at once, list the Secrets labelled as written for that PrefixSync to let go of former ones, delete them under deletionPolicy Delete',
    calls: [
      `${INFORMERS}#registry.informer(INFORMER_KEYS.managedSecrets)`,
      `${PSYNC_SETUP}#managedSecretInformer(informers)`,
      WATCHED_INFORMER,
      `${INFORMER}#this.source.list`,
      INFORMER_WATCH,
      'src/kube/core-sources.ts#this.api.listSecretForAllNamespaces',
      'src/kube/core-sources.ts#this.api.listNamespacedSecret',
      `${SECRET_VIEW}#api.get`,
      'src/kube/secrets.ts#this.http.get',
      `${SECRET_VIEW}#api.list`,
      'src/kube/secrets.ts#this.http.list',
      `${SECRET_VIEW}#api.create`,
      'src/kube/secrets.ts#this.http.create',
      `${SECRET_VIEW}#api.replace`,
      'src/kube/secrets.ts#this.http.update',
      `${SECRET_VIEW}#api.delete`,
      'src/kube/secrets.ts#this.http.delete',
      `${PSYNC_TARGETS}#api.get`,
      `${PSYNC_TARGETS}#api.create`,
      `${PSYNC_TARGETS}#api.replace`,
      `${PSYNC_TARGETS}#api.delete`,
    ],
  },
  {
    apiGroup: 'apps',
    resource: 'controllerrevisions',
    verbs: ['get', 'list', 'create', 'delete'],
    scope: 'cluster',
    why: 'rollout.onFailure Rollback: keep the last good contents of a PrefixSync (at most 3, owned by it, in its namespace) as immutable ControllerRevisions, read one back to roll back, prune older ones, and delete them all when access is revoked under onRevoke Delete',
    calls: [
      'src/controller/prefixsync/retention.ts#history.keep',
      `${PSYNC_HISTORY}#this.api.create`,
      'src/kube/controller-revisions.ts#this.api.createNamespacedControllerRevision',
      'src/controller/prefixsync/rollback.ts#deps.history.load',
      `${PSYNC_HISTORY}#this.api.get`,
      'src/kube/controller-revisions.ts#this.api.readNamespacedControllerRevision',
      `${PSYNC_HISTORY}#this.prune`,
      'src/controller/prefixsync/retention.ts#history.purge',
      `${PSYNC_HISTORY}#this.api.list`,
      'src/kube/controller-revisions.ts#this.api.listNamespacedControllerRevision',
      `${PSYNC_HISTORY}#this.api.delete`,
      'src/kube/controller-revisions.ts#this.api.deleteNamespacedControllerRevision',
    ],
  },
  {
    apiGroup: 'coordination.k8s.io',
    resource: 'leases',
    verbs: ['get', 'list', 'watch', 'create', 'update'],
    scope: 'namespace',
    why: "leader election: read, create and renew (replace with resourceVersion) the Lease in the operator's namespace, and watch it (fieldSelector on its name) so that a standby sees each renewal at once",
    calls: [
      `${INFORMER}#this.source.list`,
      INFORMER_WATCH,
      'src/runtime/lease-watch.ts#this.api.listNamespacedLease',
      'src/runtime/leader-elector.ts#this.leases.get',
      'src/kube/leases.ts#this.http.get',
      'src/runtime/leader-elector.ts#this.leases.create',
      'src/kube/leases.ts#this.http.create',
      'src/runtime/leader-elector.ts#this.leases.replace',
      'src/kube/leases.ts#this.http.update',
    ],
  },
  {
    apiGroup: 'authentication.k8s.io',
    resource: 'tokenreviews',
    verbs: ['create'],
    scope: 'cluster',
    whenScoped: ['cluster'],
    onlyWhen: 'metricsSecure',
    why: 'secure /metrics (--metrics-secure): find out who a scraper is from its bearer token (TokenReview); nothing is stored',
    calls: [
      `${METRICS_ACCESS}#this.reviewer.reviewToken`,
      `${REVIEWS}#this.authentication.createTokenReview`,
    ],
  },
  {
    apiGroup: 'authorization.k8s.io',
    resource: 'subjectaccessreviews',
    verbs: ['create'],
    scope: 'cluster',
    whenScoped: ['cluster'],
    onlyWhen: 'metricsSecure',
    why: 'secure /metrics (--metrics-secure): ask RBAC whether that scraper may get the non-resource URL /metrics (SubjectAccessReview); nothing is stored',
    calls: [
      `${METRICS_ACCESS}#this.reviewer.reviewAccess`,
      `${REVIEWS}#this.authorization.createSubjectAccessReview`,
    ],
  },
  {
    apiGroup: '',
    resource: 'secrets',
    verbs: ['list', 'watch'],
    scope: 'namespace',
    why: "TLS material and etcd credentials named by ClusterEtcdSources, read only from the operator's own namespace (informer)",
    calls: [
      `${INFORMERS}#registry.informer(INFORMER_KEYS.operatorSecrets)`,
      `${SOURCE_SETUP}#operatorSecretInformer(informers)`,
      `${INFORMER}#this.source.list`,
      INFORMER_WATCH,
      'src/kube/core-sources.ts#this.api.listNamespacedSecret',
    ],
  },
];

/**
 * Call sites in the operator's code that the operator never reaches (methods of the kube layer kept
 * for tests and tools), with the reason; they need no permission.
 */
export const UNREACHED_CALLS: Readonly<Record<string, string>> = {
  'src/kube/events.ts#this.http.listAll': 'EventClient.list: the operator never lists Events',
  'src/kube/events.ts#this.http.list': 'EventClient.list: the operator never lists Events',
  [`${CUSTOM}#this.http.create`]: 'the operator never creates custom resources',
  [`${CUSTOM}#this.http.delete`]: 'the operator never deletes custom resources',
  [`${CUSTOM}#this.http.update`]: 'the operator replaces only the status of custom resources',
};
