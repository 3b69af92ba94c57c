// The PrefixSync reconciler's early steps with in-memory fakes: what reaches status before etcd is read.
import { strict as assert } from 'node:assert';
import type { V1ConfigMap } from '@kubernetes/client-node';
import type { ClusterEtcdSource, PrefixSync } from '../../../src/api/index.js';
import { PrefixSyncReconciler, SourceConnections, type ResourceApi } from '../../../src/controller/index.js';
import { NotFoundError, type EventSubject } from '../../../src/kube/index.js';
import { silentLogger } from '../../../src/observability/index.js';
import { TerminalError, type ReconcileContext } from '../../../src/runtime/index.js';
import { prefixSync } from './fixtures.js';

function harness(
  psync: PrefixSync,
  sources: Record<string, ClusterEtcdSource>,
  labels: Record<string, string> = {},
  timing: { resyncPeriodMs?: number; random?: () => number } = {},
) {
  let current = structuredClone(psync);
  const events: string[] = [];
  const api: ResourceApi<PrefixSync> = {
    get: () => Promise.resolve(structuredClone(current)),
    replaceStatus: (obj) => {
      current = { ...current, status: structuredClone(obj.status) };
      return Promise.resolve(structuredClone(current));
    },
    patchMerge: (_key, patch) => {
      const meta = (patch as { metadata: { finalizers?: string[] } }).metadata;
      current = { ...current, metadata: { ...current.metadata, finalizers: meta.finalizers ?? [] } };
      return Promise.resolve(structuredClone(current));
    },
  };
  const notFound = (): Promise<never> => Promise.reject(new NotFoundError('not found', 404, 'NotFound'));
  const connections = new SourceConnections();
  const reconciler = new PrefixSyncReconciler({
    prefixSyncs: api,
    configMaps: {
      get: notFound,
      create: (cm: V1ConfigMap) => Promise.resolve(cm),
      replace: (cm: V1ConfigMap) => Promise.resolve(cm),
      delete: () => Promise.resolve(),
    },
    workloads: {
      get: notFound,
      list: () => Promise.resolve({ items: [], resourceVersion: '1' }),
      patchPodTemplateAnnotations: notFound,
    },
    history: {
      get: notFound,
      list: () => Promise.resolve([]),
      create: (r) => Promise.resolve(r),
      delete: () => Promise.resolve(),
    },
    sources: (name) => sources[name],
    namespaceLabels: () => labels,
    managedConfigMaps: () => [],
    connections,
    events: {
      record: (_s: EventSubject, type, reason, message) => events.push(`${type}/${reason}: ${message}`),
    },
    now: () => new Date('2026-01-01T00:00:00Z'),
    ...timing,
  });
  const ctx: ReconcileContext = {
    signal: new AbortController().signal,
    logger: silentLogger,
    reconcileId: 'r1',
  };
  return {
    reconcile: () => reconciler.reconcile({ namespace: 'team', name: 'app' }, ctx),
    status: () => current.status,
    finalizers: () => current.metadata.finalizers,
    events,
    close: () => connections.close(),
  };
}

function source(access: ClusterEtcdSource['spec']['access']): ClusterEtcdSource {
  return {
    apiVersion: 'etcdconfig.dev/v1alpha1',
    kind: 'ClusterEtcdSource',
    metadata: { name: 'main' },
    spec: { endpoints: ['127.0.0.1:1'], access },
  };
}

const ready = (h: { status: () => PrefixSync['status'] }): string | undefined => {
  const c = h.status()?.conditions?.find((x) => x.type === 'Ready');
  return c && `${c.status}/${c.reason}: ${c.message}`;
};

describe('PrefixSyncReconciler (fakes)', () => {
  it('an invalid spec is a terminal InvalidSpec condition naming the field, with a Warning Event', async () => {
    const h = harness(prefixSync({ prefix: 'no-slash' }), {
      main: source([{ namespaces: ['team'], prefixes: ['/'] }]),
    });
    await assert.rejects(h.reconcile(), TerminalError);
    assert.match(ready(h) ?? '', /^False\/InvalidSpec: .*spec\.prefix/);
    assert.equal(h.status()?.observedGeneration, 3);
    assert.match(h.events[0] ?? '', /^Warning\/InvalidSpec/);
    assert.deepEqual(h.finalizers(), ['etcdconfig.dev/configmap']);
    await h.close();
  });

  it('SourceNotFound when the source does not exist', async () => {
    const h = harness(prefixSync(), {});
    await h.reconcile();
    assert.match(ready(h) ?? '', /^False\/SourceNotFound: ClusterEtcdSource main not found/);
    await h.close();
  });

  it('nothing is allowed unless a rule allows it', async () => {
    const none = harness(prefixSync(), { main: source(undefined) });
    await none.reconcile();
    assert.match(ready(none) ?? '', /^False\/PrefixForbidden: .*namespace team .*\/app\//);
    const otherNs = harness(prefixSync(), { main: source([{ namespaces: ['other'], prefixes: ['/'] }]) });
    await otherNs.reconcile();
    assert.match(ready(otherNs) ?? '', /^False\/PrefixForbidden/);
    const narrower = harness(prefixSync(), {
      main: source([{ namespaces: ['team'], prefixes: ['/app/sub/'] }]),
    });
    await narrower.reconcile();
    assert.match(ready(narrower) ?? '', /^False\/PrefixForbidden/);
    const bySelector = harness(
      prefixSync(),
      { main: source([{ namespaceSelector: { matchLabels: { env: 'prod' } }, prefixes: ['/'] }]) },
      { env: 'prod' },
    );
    await bySelector.reconcile();
    assert.match(
      ready(bySelector) ?? '',
      /^Unknown\/Pending: waiting for ClusterEtcdSource main/,
      'allowed, then waits for the connection',
    );
    await Promise.all([none, otherNs, narrower, bySelector].map((h) => h.close()));
  });

  it('a suspended PrefixSync says Suspended and writes nothing', async () => {
    const h = harness(prefixSync({ suspend: true }), {
      main: source([{ namespaces: ['team'], prefixes: ['/'] }]),
    });
    await h.reconcile();
    assert.match(ready(h) ?? '', /^False\/Suspended/);
    await h.close();
  });

  it('resyncs after the period plus up to a tenth of it, so that PrefixSyncs synced together spread out', async () => {
    const delays: number[] = [];
    for (const random of [0, 0.5, 0.999]) {
      const h = harness(
        prefixSync({ suspend: true }),
        { main: source([{ namespaces: ['team'], prefixes: ['/'] }]) },
        {},
        { resyncPeriodMs: 600_000, random: () => random },
      );
      delays.push((await h.reconcile()).requeueAfterMs ?? -1);
      await h.close();
    }
    assert.deepEqual(delays, [600_000, 630_000, 659_940]);
  });
});
