import { eventFromCore, eventToCore } from './event-conversion.js';
import { ageOf } from './human-duration.js';
import { isObject, objectAt, stringAt, type JsonObject } from './json.js';
import type { FieldGetter, ResourceType, TableColumn } from './resource-type.js';
import { PLAIN_STRATEGY } from './strategy.js';
import { crdStrategy } from './strategies/custom-resource.js';
import { namespaceStrategy } from './strategies/namespace.js';
import { secretStrategy } from './strategies/secret.js';
import { workloadStrategy } from './strategies/workload.js';

const CRUD_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function col(
  name: string,
  type: string,
  cell: (o: JsonObject, now: Date) => unknown,
  opts: { priority?: number; description?: string; format?: string } = {},
): TableColumn {
  return {
    name,
    type,
    format: opts.format ?? '',
    description: opts.description ?? name,
    priority: opts.priority ?? 0,
    cell,
  };
}

const AGE = col('Age', 'string', (o, now) => ageOf(objectAt(o, 'metadata')?.['creationTimestamp'], now), {
  description: 'CreationTimestamp is a timestamp representing the server time when this object was created.',
});

function num(o: JsonObject | undefined, key: string): number {
  const v = o?.[key];
  return typeof v === 'number' ? v : 0;
}

function countKeys(o: JsonObject, ...keys: string[]): number {
  return keys.reduce((n, k) => n + Object.keys(objectAt(o, k) ?? {}).length, 0);
}

function podSpec(o: JsonObject): JsonObject | undefined {
  return objectAt(objectAt(objectAt(o, 'spec') ?? {}, 'template') ?? {}, 'spec');
}

function containerList(o: JsonObject, field: 'name' | 'image'): string {
  const cs = podSpec(o)?.['containers'];
  return Array.isArray(cs) ? cs.map((c) => (isObject(c) ? (stringAt(c, field) ?? '') : '')).join(',') : '';
}

function selectorText(o: JsonObject): string {
  const labels = objectAt(objectAt(objectAt(o, 'spec') ?? {}, 'selector') ?? {}, 'matchLabels') ?? {};
  const parts = Object.entries(labels).map(([k, v]) => `${k}=${String(v)}`);
  return parts.length === 0 ? '<none>' : parts.join(',');
}

function workloadColumns(kind: 'Deployment' | 'StatefulSet' | 'DaemonSet'): TableColumn[] {
  const status = (o: JsonObject): JsonObject | undefined => objectAt(o, 'status');
  const wide = [
    col('Containers', 'string', (o) => containerList(o, 'name'), { priority: 1 }),
    col('Images', 'string', (o) => containerList(o, 'image'), { priority: 1 }),
    col('Selector', 'string', selectorText, { priority: 1 }),
  ];
  const replicas = (o: JsonObject): number => {
    const r = objectAt(o, 'spec')?.['replicas'];
    return typeof r === 'number' ? r : 1;
  };
  if (kind === 'Deployment') {
    return [
      col('Ready', 'string', (o) => `${num(status(o), 'readyReplicas')}/${replicas(o)}`),
      col('Up-to-date', 'integer', (o) => num(status(o), 'updatedReplicas')),
      col('Available', 'integer', (o) => num(status(o), 'availableReplicas')),
      AGE,
      ...wide,
    ];
  }
  if (kind === 'StatefulSet') {
    return [
      col('Ready', 'string', (o) => `${num(status(o), 'readyReplicas')}/${replicas(o)}`),
      AGE,
      ...wide.slice(0, 2),
    ];
  }
  const nodeSelector = (o: JsonObject): string => {
    const sel = objectAt(podSpec(o) ?? {}, 'nodeSelector') ?? {};
    const parts = Object.entries(sel).map(([k, v]) => `${k}=${String(v)}`);
    return parts.length === 0 ? '<none>' : parts.join(',');
  };
  return [
    col('Desired', 'integer', (o) => num(status(o), 'desiredNumberScheduled')),
    col('Current', 'integer', (o) => num(status(o), 'currentNumberScheduled')),
    col('Ready', 'integer', (o) => num(status(o), 'numberReady')),
    col('Up-to-date', 'integer', (o) => num(status(o), 'updatedNumberScheduled')),
    col('Available', 'integer', (o) => num(status(o), 'numberAvailable')),
    col('Node Selector', 'string', nodeSelector),
    AGE,
    ...wide,
  ];
}

/** `kubectl get cronjobs` columns (kube-apiserver 1.33's, without the wide ones). */
function cronJobColumns(): TableColumn[] {
  const spec = (o: JsonObject): JsonObject | undefined => objectAt(o, 'spec');
  const status = (o: JsonObject): JsonObject | undefined => objectAt(o, 'status');
  return [
    col('Schedule', 'string', (o) => stringAt(spec(o), 'schedule') ?? ''),
    col('Timezone', 'string', (o) => stringAt(spec(o), 'timeZone') ?? '<none>'),
    col('Suspend', 'boolean', (o) => spec(o)?.['suspend'] === true),
    col('Active', 'integer', (o) => {
      const active = status(o)?.['active'];
      return Array.isArray(active) ? active.length : 0;
    }),
    col('Last Schedule', 'string', (o, now) =>
      status(o)?.['lastScheduleTime'] ? ageOf(status(o)?.['lastScheduleTime'], now) : '<none>',
    ),
    AGE,
  ];
}

/** A Job's Status column: Complete, Failed or Running, from its conditions. */
function jobStatus(o: JsonObject): string {
  const conditions = objectAt(o, 'status')?.['conditions'];
  const list = Array.isArray(conditions) ? conditions.filter(isObject) : [];
  const holds = (type: string): boolean =>
    list.some((c) => stringAt(c, 'type') === type && stringAt(c, 'status') === 'True');
  return holds('Complete') ? 'Complete' : holds('Failed') ? 'Failed' : 'Running';
}

function pathGetter(...path: string[]): FieldGetter {
  return (o) => {
    let cur: unknown = o;
    for (const p of path) cur = isObject(cur) ? cur[p] : undefined;
    return cur === undefined || cur === null ? '' : JSON.stringify(cur).replace(/^"|"$/g, '');
  };
}

function eventObject(o: JsonObject): string {
  const io = objectAt(o, 'involvedObject') ?? objectAt(o, 'regarding') ?? {};
  return `${(stringAt(io, 'kind') ?? '').toLowerCase()}/${stringAt(io, 'name') ?? ''}`;
}

function lastSeen(o: JsonObject, now: Date): string {
  const when =
    o['lastTimestamp'] ??
    o['deprecatedLastTimestamp'] ??
    o['eventTime'] ??
    objectAt(o, 'metadata')?.['creationTimestamp'];
  return ageOf(when, now);
}

const EVENT_COLUMNS: TableColumn[] = [
  col('Last Seen', 'string', lastSeen),
  col('Type', 'string', (o) => stringAt(o, 'type') ?? ''),
  col('Reason', 'string', (o) => stringAt(o, 'reason') ?? ''),
  col('Object', 'string', eventObject),
  col('Message', 'string', (o) => stringAt(o, 'message') ?? stringAt(o, 'note') ?? ''),
];

const EVENT_FIELDS: Record<string, FieldGetter> = {
  'involvedObject.kind': pathGetter('involvedObject', 'kind'),
  'involvedObject.namespace': pathGetter('involvedObject', 'namespace'),
  'involvedObject.name': pathGetter('involvedObject', 'name'),
  'involvedObject.uid': pathGetter('involvedObject', 'uid'),
  'involvedObject.apiVersion': pathGetter('involvedObject', 'apiVersion'),
  'involvedObject.resourceVersion': pathGetter('involvedObject', 'resourceVersion'),
  'involvedObject.fieldPath': pathGetter('involvedObject', 'fieldPath'),
  reason: pathGetter('reason'),
  reportingComponent: pathGetter('reportingComponent'),
  source: pathGetter('source', 'component'),
  type: pathGetter('type'),
};

type Builtin = Pick<ResourceType, 'group' | 'version' | 'kind' | 'plural' | 'namespaced'> &
  Partial<ResourceType>;

function builtin(b: Builtin): ResourceType {
  return {
    listKind: `${b.kind}List`,
    singular: b.kind.toLowerCase(),
    shortNames: [],
    categories: [],
    verbs: CRUD_VERBS,
    hasStatus: false,
    generation: 'none',
    allowUnconditionalUpdate: true,
    allowCreateOnUpdate: false,
    returnDeletedObject: false,
    strategicMerge: true,
    fieldSelectors: {},
    columns: [AGE],
    strategy: PLAIN_STRATEGY,
    ...b,
  };
}

/** The built-in kinds the simulator serves, as kube-apiserver 1.33 describes them. */
export function builtinTypes(): ResourceType[] {
  return [
    builtin({
      group: '',
      version: 'v1',
      kind: 'Namespace',
      plural: 'namespaces',
      namespaced: false,
      shortNames: ['ns'],
      hasStatus: true,
      returnDeletedObject: true,
      strategy: namespaceStrategy,
      fieldSelectors: { 'status.phase': pathGetter('status', 'phase') },
      columns: [col('Status', 'string', (o) => stringAt(objectAt(o, 'status'), 'phase') ?? ''), AGE],
    }),
    builtin({
      group: '',
      version: 'v1',
      kind: 'ConfigMap',
      plural: 'configmaps',
      namespaced: true,
      shortNames: ['cm'],
      columns: [col('Data', 'integer', (o) => countKeys(o, 'data', 'binaryData')), AGE],
    }),
    builtin({
      group: '',
      version: 'v1',
      kind: 'Secret',
      plural: 'secrets',
      namespaced: true,
      strategy: secretStrategy,
      fieldSelectors: { type: pathGetter('type') },
      columns: [
        col('Type', 'string', (o) => stringAt(o, 'type') ?? ''),
        col('Data', 'integer', (o) => countKeys(o, 'data')),
        AGE,
      ],
    }),
    builtin({
      group: '',
      version: 'v1',
      kind: 'Event',
      plural: 'events',
      namespaced: true,
      shortNames: ['ev'],
      allowCreateOnUpdate: true,
      fieldSelectors: EVENT_FIELDS,
      columns: EVENT_COLUMNS,
    }),
    builtin({
      group: '',
      version: 'v1',
      kind: 'ServiceAccount',
      plural: 'serviceaccounts',
      namespaced: true,
      shortNames: ['sa'],
      columns: [AGE],
    }),
    builtin({
      group: '',
      version: 'v1',
      kind: 'Pod',
      plural: 'pods',
      namespaced: true,
      shortNames: ['po'],
      categories: ['all'],
      hasStatus: true,
      returnDeletedObject: true,
      fieldSelectors: {
        'spec.nodeName': pathGetter('spec', 'nodeName'),
        'status.phase': pathGetter('status', 'phase'),
      },
      columns: [col('Status', 'string', (o) => stringAt(objectAt(o, 'status'), 'phase') ?? 'Pending'), AGE],
    }),
    builtin({
      group: 'events.k8s.io',
      version: 'v1',
      kind: 'Event',
      plural: 'events',
      namespaced: true,
      shortNames: ['ev'],
      allowCreateOnUpdate: true,
      storage: { resource: '/events', toStorage: eventToCore, fromStorage: eventFromCore },
      fieldSelectors: EVENT_FIELDS,
      columns: EVENT_COLUMNS,
    }),
    builtin({
      group: 'coordination.k8s.io',
      version: 'v1',
      kind: 'Lease',
      plural: 'leases',
      namespaced: true,
      columns: [col('Holder', 'string', (o) => stringAt(objectAt(o, 'spec'), 'holderIdentity') ?? ''), AGE],
    }),
    // Kinds the operator's Helm chart installs (Service, RBAC, PodDisruptionBudget, NetworkPolicy), so
    // `kubectl apply` of the rendered chart works as on a real server. Stored as sent; nothing acts on them.
    builtin({
      group: '',
      version: 'v1',
      kind: 'Service',
      plural: 'services',
      namespaced: true,
      shortNames: ['svc'],
      categories: ['all'],
      hasStatus: true,
    }),
    ...(['ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'] as const).map((kind) =>
      builtin({
        group: 'rbac.authorization.k8s.io',
        version: 'v1',
        kind,
        plural: `${kind.toLowerCase()}s`,
        namespaced: kind.startsWith('Role'),
      }),
    ),
    builtin({
      group: 'policy',
      version: 'v1',
      kind: 'PodDisruptionBudget',
      plural: 'poddisruptionbudgets',
      namespaced: true,
      shortNames: ['pdb'],
      hasStatus: true,
      generation: 'spec',
    }),
    builtin({
      group: 'networking.k8s.io',
      version: 'v1',
      kind: 'NetworkPolicy',
      plural: 'networkpolicies',
      namespaced: true,
      shortNames: ['netpol'],
    }),
    ...(['Deployment', 'StatefulSet', 'DaemonSet'] as const).map((kind) =>
      builtin({
        group: 'apps',
        version: 'v1',
        kind,
        plural: `${kind.toLowerCase()}s`,
        namespaced: true,
        shortNames: [{ Deployment: 'deploy', StatefulSet: 'sts', DaemonSet: 'ds' }[kind]],
        categories: ['all'],
        hasStatus: true,
        generation: kind === 'Deployment' ? 'spec-or-annotations' : 'spec',
        strategy: workloadStrategy,
        columns: workloadColumns(kind),
      }),
    ),
    // CronJobs, which the operator may roll (the template of their next Job), and the Jobs they make
    // (here only to show that a rollout never touches them). No controller runs either: nothing is
    // scheduled, and status stays what clients write.
    builtin({
      group: 'batch',
      version: 'v1',
      kind: 'CronJob',
      plural: 'cronjobs',
      namespaced: true,
      shortNames: ['cj'],
      categories: ['all'],
      hasStatus: true,
      generation: 'spec',
      strategy: workloadStrategy,
      columns: cronJobColumns(),
    }),
    builtin({
      group: 'batch',
      version: 'v1',
      kind: 'Job',
      plural: 'jobs',
      namespaced: true,
      categories: ['all'],
      hasStatus: true,
      returnDeletedObject: true,
      generation: 'spec',
      strategy: workloadStrategy,
      columns: [
        col('Status', 'string', (o) => jobStatus(o)),
        col('Completions', 'string', (o) => {
          const want = objectAt(o, 'spec')?.['completions'];
          return `${num(objectAt(o, 'status'), 'succeeded')}/${typeof want === 'number' ? want : 1}`;
        }),
        AGE,
      ],
    }),
    // Workload history (StatefulSets and DaemonSets keep theirs here; the operator keeps the content
    // a rollback restores).
    builtin({
      group: 'apps',
      version: 'v1',
      kind: 'ControllerRevision',
      plural: 'controllerrevisions',
      namespaced: true,
    }),
    // The access reviews (access-reviews.ts): create-only, answered from the simulator's access table,
    // never stored.
    builtin({
      group: 'authentication.k8s.io',
      version: 'v1',
      kind: 'TokenReview',
      plural: 'tokenreviews',
      namespaced: false,
      verbs: ['create'],
    }),
    builtin({
      group: 'authorization.k8s.io',
      version: 'v1',
      kind: 'SubjectAccessReview',
      plural: 'subjectaccessreviews',
      namespaced: false,
      verbs: ['create'],
    }),
    builtin({
      group: 'apiextensions.k8s.io',
      version: 'v1',
      kind: 'CustomResourceDefinition',
      plural: 'customresourcedefinitions',
      namespaced: false,
      shortNames: ['crd', 'crds'],
      categories: ['api-extensions'],
      hasStatus: true,
      generation: 'non-metadata',
      allowUnconditionalUpdate: false,
      returnDeletedObject: true,
      strategy: crdStrategy,
      columns: [
        col('Created At', 'date', (o) => objectAt(o, 'metadata')?.['creationTimestamp'] ?? null, {
          description: 'CreationTimestamp',
        }),
      ],
    }),
  ];
}
