import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import {
  OPERATOR_PERMISSIONS,
  UNREACHED_CALLS,
  scopedGrantsOf,
  type PermissionNeed,
} from '../../../src/operator/index.js';
import { REPO_ROOT, findKubeCallSites, type KubeCallSite } from './support/kube-call-sites.js';

/** What one client-node call asks of RBAC, read from the generated method's name. */
interface DerivedRequest {
  readonly apiGroup: string;
  /** Undefined for custom objects: any CRD plural of ours (the client is bound at construction). */
  readonly resource: string | undefined;
  readonly subresource: string | undefined;
  readonly verb: string;
  /** Whether the request spans namespaces (a ClusterRole is needed). */
  readonly allNamespaces: boolean;
}

const GROUP_OF_CLASS: Record<string, string> = {
  CoreV1Api: '',
  AppsV1Api: 'apps',
  BatchV1Api: 'batch',
  CoordinationV1Api: 'coordination.k8s.io',
  AuthenticationV1Api: 'authentication.k8s.io',
  AuthorizationV1Api: 'authorization.k8s.io',
  CustomObjectsApi: 'etcdconfig.dev',
};
const VERB_OF_PREFIX: Record<string, string> = {
  read: 'get',
  get: 'get',
  list: 'list',
  create: 'create',
  replace: 'update',
  patch: 'patch',
  delete: 'delete',
};

/** Files whose CustomObjectsApi calls are bound to another group's resource than ours. */
const CUSTOM_OBJECTS_OF_FILE: Record<string, { apiGroup: string; resource: string }> = {
  'src/kube/argo-rollouts.ts': { apiGroup: 'argoproj.io', resource: 'rollouts' },
};

/** What each verb-named request of the kube layer's transport asks of RBAC. */
const VERB_OF_TRANSPORT_METHOD: Record<string, { verb: string; subresource?: string; allNamespaces?: true }> =
  {
    get: { verb: 'get' },
    list: { verb: 'list' },
    listAll: { verb: 'list', allNamespaces: true },
    create: { verb: 'create' },
    update: { verb: 'update' },
    updateStatus: { verb: 'update', subresource: 'status' },
    patchMerge: { verb: 'patch' },
    delete: { verb: 'delete' },
  };

/** The resource each client of the transport is bound to (undefined: any CRD plural of ours). */
const RESOURCE_OF_TRANSPORT_FILE: Record<string, { apiGroup: string; resource: string | undefined }> = {
  'src/kube/config-maps.ts': { apiGroup: '', resource: 'configmaps' },
  'src/kube/secrets.ts': { apiGroup: '', resource: 'secrets' },
  'src/kube/events.ts': { apiGroup: '', resource: 'events' },
  'src/kube/leases.ts': { apiGroup: 'coordination.k8s.io', resource: 'leases' },
  'src/kube/custom-resources.ts': { apiGroup: 'etcdconfig.dev', resource: undefined },
};

/** Whether the test can read what `site` asks of RBAC (a client-node method or a transport request). */
function derivable(site: KubeCallSite): boolean {
  return site.clientNodeMethod !== undefined || site.transportMethod !== undefined;
}

function crdPlurals(): string[] {
  return ['etcdconfig.dev_clusteretcdsources.yaml', 'etcdconfig.dev_prefixsyncs.yaml'].map((f) => {
    const [doc] = parseAllDocuments(readFileSync(join(REPO_ROOT, 'crds', f), 'utf8'));
    return (doc?.toJS() as { spec: { names: { plural: string } } }).spec.names.plural;
  });
}

function derive(site: KubeCallSite): DerivedRequest {
  const cls = (site.clientNodeClass ?? '').replace(/^Object/, '');
  if (cls === 'Watch' || site.transportMethod === 'watch') {
    return { apiGroup: '*', resource: undefined, subresource: undefined, verb: 'watch', allNamespaces: true };
  }
  if (site.transportMethod !== undefined) {
    const request = VERB_OF_TRANSPORT_METHOD[site.transportMethod];
    const bound = RESOURCE_OF_TRANSPORT_FILE[site.key.split('#')[0] ?? ''];
    if (!request || !bound) throw new Error(`cannot read ${site.key}: teach this test its request`);
    return {
      ...bound,
      subresource: request.subresource,
      verb: request.verb,
      allNamespaces: request.allNamespaces ?? false,
    };
  }
  const method = site.clientNodeMethod ?? '';
  const group = GROUP_OF_CLASS[cls];
  const match =
    /^(read|get|list|create|replace|patch|delete)(Namespaced|Cluster)?([A-Z]\w*?)(Status)?(ForAllNamespaces)?$/.exec(
      method,
    );
  if (group === undefined || !match)
    throw new Error(`cannot read ${cls}.${method}: teach this test its request`);
  const [, prefix = '', , kind = '', status, forAll] = match;
  const foreign = kind === 'CustomObject' ? CUSTOM_OBJECTS_OF_FILE[site.key.split('#')[0] ?? ''] : undefined;
  return {
    apiGroup: foreign?.apiGroup ?? group,
    resource: foreign?.resource ?? (kind === 'CustomObject' ? undefined : `${kind.toLowerCase()}s`),
    subresource: status ? 'status' : undefined,
    verb: VERB_OF_PREFIX[prefix] ?? prefix,
    allNamespaces: forAll !== undefined,
  };
}

function covers(need: PermissionNeed, req: DerivedRequest, plurals: readonly string[]): boolean {
  if (req.apiGroup !== '*' && req.apiGroup !== need.apiGroup) return false;
  const [resource = '', subresource] = need.resource.split('/');
  if (req.resource !== undefined ? req.resource !== resource : !plurals.includes(resource)) return false;
  if (req.verb !== 'watch' && req.subresource !== subresource) return false;
  if (req.allNamespaces && need.scope !== 'cluster') return false;
  return (need.verbs as readonly string[]).includes(req.verb);
}

describe('src/operator/permissions.ts against the code', function () {
  // The type checker reads the whole operator; slow on a loaded 2-core machine.
  this.timeout(180_000);
  let sites: KubeCallSite[];
  const listed = new Set(OPERATOR_PERMISSIONS.flatMap((n) => n.calls));
  const plurals = crdPlurals();

  before(() => {
    sites = findKubeCallSites();
  });

  it('finds the Kubernetes calls of the operator (the scan works at all)', () => {
    assert.ok(sites.length > 30, `only ${sites.length} call sites found`);
    assert.ok(sites.some((s) => s.key === 'src/kube/config-maps.ts#this.http.create'));
    assert.ok(sites.some((s) => s.key.startsWith('src/runtime/leader-elector.ts#')));
  });

  it('lists every Kubernetes call site of the operator under a permission or as unreached', () => {
    const unlisted = sites.map((s) => s.key).filter((k) => !listed.has(k) && !(k in UNREACHED_CALLS));
    assert.deepEqual(unlisted, [], 'new Kubernetes calls: add them to a need in src/operator/permissions.ts');
  });

  it('names only call sites that exist (a permission nobody uses fails)', () => {
    const found = new Set(sites.map((s) => s.key));
    const stale = [...listed, ...Object.keys(UNREACHED_CALLS)].filter((k) => !found.has(k));
    assert.deepEqual(stale, [], 'these call sites are gone: drop them (and any permission only they needed)');
  });

  it('grants every client-node call and transport request the permission it asks for, in a need that lists it', () => {
    const wrong: string[] = [];
    for (const site of sites.filter((s) => derivable(s) && listed.has(s.key))) {
      const req = derive(site);
      const needs = OPERATOR_PERMISSIONS.filter((n) => n.calls.includes(site.key));
      if (!needs.some((n) => covers(n, req, plurals))) {
        wrong.push(
          `${site.key} needs ${req.verb} ${req.apiGroup}/${req.resource ?? '<crd>'}${req.subresource ? `/${req.subresource}` : ''}`,
        );
      }
    }
    assert.deepEqual(wrong, []);
  });

  it('uses every verb it grants: each comes from a listed call (or an informer, or documented evidence)', () => {
    const unused: string[] = [];
    for (const need of OPERATOR_PERMISSIONS) {
      const justified = new Set<string>();
      for (const key of need.calls) {
        const site = sites.find((s) => s.key === key);
        if (key.includes('#informer(')) for (const v of ['list', 'watch']) justified.add(v);
        if (site !== undefined && derivable(site)) {
          const req = derive(site);
          if (req.verb === 'watch' || covers(need, req, plurals)) justified.add(req.verb);
        }
      }
      if (need.evidence) {
        const text = readFileSync(join(REPO_ROOT, need.evidence.file), 'utf8');
        if (text.includes(need.evidence.text)) for (const v of need.verbs) justified.add(v);
      }
      for (const verb of need.verbs) if (!justified.has(verb)) unused.push(`${verb} ${need.resource}`);
    }
    assert.deepEqual(unused, [], 'permissions no listed call needs');
  });

  it('keeps informer-only kinds (list/watch) behind an informer the manager starts', () => {
    const informers = sites.filter((s) => s.key.includes('#informer('));
    for (const inf of informers) {
      assert.ok(
        OPERATOR_PERMISSIONS.some(
          (n) => n.calls.includes(inf.key) && n.verbs.includes('list') && n.verbs.includes('watch'),
        ),
        `${inf.key}: no need grants list and watch for it`,
      );
    }
  });

  it('reads Secrets only in its own namespace, unless Secret targets are on (and then watches only the managed ones)', () => {
    const secrets = OPERATOR_PERMISSIONS.filter((n) => n.resource === 'secrets');
    assert.deepEqual(
      secrets.filter((n) => n.onlyWhen === undefined).map((n) => n.scope),
      ['namespace'],
    );
    const targets = secrets.filter((n) => n.scope === 'cluster');
    assert.deepEqual(
      targets.map((n) => n.onlyWhen),
      ['secretTargets'],
    );
    // Its one watch outside its namespace is the informer of the Secrets it manages (label selector).
    const watching = targets.filter((n) => n.verbs.includes('watch'));
    assert.ok(
      watching.every((n) =>
        n.calls.includes(
          'src/controller/shared/informers.ts#registry.informer(INFORMER_KEYS.managedSecrets)',
        ),
      ),
    );
  });

  describe('in a namespace-scoped install (watchNamespaces)', () => {
    /** Resources with no namespace: no Role can grant them. */
    const CLUSTER_SCOPED = ['clusteretcdsources', 'namespaces', 'tokenreviews', 'subjectaccessreviews'];
    const resourceOf = (n: PermissionNeed): string => n.resource.split('/')[0] ?? '';

    it('keeps cluster-wide only ClusterEtcdSources (and their status), Namespaces and the metrics reviews', () => {
      const clusterWide = OPERATOR_PERMISSIONS.filter((n) => scopedGrantsOf(n).includes('cluster'));
      assert.deepEqual(clusterWide.map((n) => n.resource).sort(), [
        'clusteretcdsources',
        'clusteretcdsources/status',
        'namespaces',
        'subjectaccessreviews',
        'tokenreviews',
      ]);
      // Read-only but for the sources' status, and never anywhere else too.
      assert.deepEqual(
        clusterWide.filter(
          (n) =>
            n.resource !== 'clusteretcdsources/status' &&
            n.verbs.some((v) => !['get', 'list', 'watch', 'create'].includes(v)),
        ),
        [],
      );
      assert.ok(clusterWide.every((n) => scopedGrantsOf(n).length === 1));
    });

    it('grants every other need in Roles: the namespaced kinds in the watched namespaces, the Lease and the Secrets it reads in its own', () => {
      for (const need of OPERATOR_PERMISSIONS) {
        const grants = scopedGrantsOf(need);
        if (CLUSTER_SCOPED.includes(resourceOf(need))) assert.deepEqual(grants, ['cluster'], need.resource);
        else assert.ok(!grants.includes('cluster'), `${need.resource} stays cluster-wide`);
        if (need.scope === 'namespace') assert.deepEqual(grants, ['operatorNamespace'], need.resource);
      }
      // Events about ClusterEtcdSources go to the operator namespace instead of default.
      const events = OPERATOR_PERMISSIONS.find((n) => n.resource === 'events');
      assert.ok(events);
      assert.deepEqual(scopedGrantsOf(events), ['watchedNamespaces', 'operatorNamespace']);
    });
  });
});
