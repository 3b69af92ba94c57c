// Good and bad sample objects that the CRD schemas (with CEL) and the spec validators must agree on.
// A bad sample names, per layer, the field path that layer must refuse it at; a layer it leaves out
// must accept the sample (so the layers' differences are written down, not accidental).
import type { ClusterEtcdSource, PrefixSync } from '../../../../src/api/index.js';

/** One sample object and what each layer must say about it. */
export interface Sample {
  name: string;
  object: Record<string, unknown>;
  /** Absent for a good sample. Otherwise the path each refusing layer must report. */
  refused?: { schema?: string; validator?: string };
  /** Set when the CRD refuses it only by x-kubernetes-list-type uniqueness (reported apart from schema rules). */
  refusedFor?: 'list-type';
  /** The sample is about metadata.name: sent to the API simulator under its own name, not a generated one. */
  keepsName?: boolean;
}

const API_VERSION = 'etcdconfig.dev/v1alpha1';

/** What the object looks like on the wire: fields set to undefined are absent. */
function json(value: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
}

/** A PrefixSync whose spec is a valid minimal spec with `spec` shallowly overridden. */
export function prefixSync(
  spec: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return json({
    apiVersion: API_VERSION,
    kind: 'PrefixSync',
    metadata: { name: 'app', namespace: 'default' },
    spec: { sourceRef: { name: 'local' }, prefix: '/config/app/', target: { name: 'app-config' }, ...spec },
    ...extra,
  });
}

/** A ClusterEtcdSource whose spec is a valid minimal spec with `spec` shallowly overridden. */
export function clusterEtcdSource(
  spec: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return json({
    apiVersion: API_VERSION,
    kind: 'ClusterEtcdSource',
    metadata: { name: 'local' },
    spec: {
      endpoints: ['127.0.0.1:2379'],
      access: [{ namespaces: ['default'], prefixes: ['/config/'] }],
      ...spec,
    },
    ...extra,
  });
}

/**
 * PrefixSyncs that together set every field of the schema, typed so that the compiler refuses a field
 * the TypeScript types lack; the schema test refuses a field the CRD lacks, and checks that every
 * field of the CRD appears here.
 */
export const FULL_PREFIX_SYNCS: PrefixSync[] = [
  {
    apiVersion: API_VERSION,
    kind: 'PrefixSync',
    metadata: { name: 'payments', namespace: 'shop' },
    spec: {
      sourceRef: { name: 'platform-etcd' },
      prefix: '/config/payments/',
      target: {
        name: 'payments-config',
        format: 'yaml',
        key: 'application.yaml',
        versioned: true,
        keepVersions: 5,
        values: 'JSON',
      },
      keys: { separator: '_', onInvalid: 'Skip' },
      rollout: {
        mode: 'targets',
        targets: [
          { kind: 'Deployment', name: 'payments-api' },
          { kind: 'StatefulSet', name: 'payments-ledger' },
        ],
        progressDeadline: '5m',
        onFailure: 'Rollback',
        minInterval: '30s',
        strategy: 'Ordered',
      },
      debounce: '2s',
      suspend: false,
      deletionPolicy: 'Delete',
      validation: {
        minKeys: 5,
        maxRemoved: '25%',
        rules: [
          { rule: "'region' in data", message: 'every payments config names its region' },
          { rule: 'data.all(k, size(data[k]) < 4096)', message: 'no value is larger than 4 KiB' },
        ],
        schemas: [
          {
            keys: '*.json',
            schema: {
              type: 'object',
              required: ['port'],
              properties: { port: { type: 'integer', minimum: 1, maximum: 65535 } },
            },
          },
        ],
      },
      pinRevision: 1200,
    },
    status: {
      observedGeneration: 3,
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          observedGeneration: 3,
          lastTransitionTime: '2026-11-30T12:00:00Z',
          reason: 'Synced',
          message: 'ConfigMap payments-config holds /config/payments/ at revision 1234',
        },
      ],
      syncedRevision: '1234',
      sources: [
        { sourceRef: { name: 'platform-etcd' }, prefix: '/config/defaults/', revision: '1234' },
        { sourceRef: { name: 'regional-etcd' }, prefix: '/config/eu/', revision: '88' },
      ],
      contentHash: 'sha256-4f2a9c',
      keyCount: 12,
      byteCount: 2048,
      lastSyncTime: '2026-11-30T12:00:00Z',
      lastRolloutTime: '2026-11-30T12:00:01Z',
      rolledOut: [{ kind: 'Deployment', name: 'payments-api', hash: 'sha256-4f2a9c' }],
      held: {
        revision: '1240',
        contentHash: 'sha256-77e1b0',
        reason: 'ChangeHeld',
        message: 'revision 1240 removes 6 of 12 keys (50%), more than maxRemoved 25%',
      },
      skippedKeys: ['/config/payments/bad key'],
      skippedKeyCount: 1,
      pinnedRevision: '1200',
      rollout: {
        revision: '1234',
        contentHash: 'sha256-4f2a9c',
        phase: 'Progressing',
        startTime: '2026-11-30T12:00:01Z',
        completionTime: '2026-11-30T12:00:09Z',
        message: 'waiting for Deployment payments-api: 1 of 3 updated replicas available',
        rollback: true,
      },
      lastGood: { revision: '1100', contentHash: 'sha256-1b2c3d' },
      rolledBack: {
        revision: '1230',
        contentHash: 'sha256-9e8d7c',
        restored: { revision: '1100', contentHash: 'sha256-1b2c3d' },
        message: 'Deployment payments-api exceeded its progress deadline',
        changedKeys: ['timeout'],
        forceSync: '2026-11-30',
      },
      onRevoke: 'Delete',
    },
  },
  {
    apiVersion: API_VERSION,
    kind: 'PrefixSync',
    metadata: { name: 'search', namespace: 'shop' },
    spec: {
      sourceRef: { name: 'platform-etcd' },
      prefix: '/config/search/',
      target: {
        name: 'search-config',
        format: 'env',
        key: 'search.env',
        kind: 'Secret',
        metadata: {
          labels: { 'app.kubernetes.io/part-of': 'search' },
          annotations: { 'argocd.argoproj.io/tracking-id': 'search:/Secret:shop/search-config' },
        },
        immutable: true,
        adopt: true,
      },
      keys: { case: 'Upper' },
      rollout: {
        mode: 'auto',
        selector: {
          matchLabels: { 'app.kubernetes.io/part-of': 'search' },
          matchExpressions: [{ key: 'tier', operator: 'In', values: ['frontend', 'backend'] }],
        },
      },
    },
  },
  {
    apiVersion: API_VERSION,
    kind: 'PrefixSync',
    metadata: { name: 'edge', namespace: 'shop' },
    spec: {
      sourceRef: { name: 'platform-etcd' },
      prefix: '/config/edge/',
      target: {
        name: 'edge-config',
        format: 'template',
        template: { inline: { 'nginx.conf': 'server_name {{ "server/name" | get }};' } },
      },
    },
  },
  {
    apiVersion: API_VERSION,
    kind: 'PrefixSync',
    metadata: { name: 'gateway', namespace: 'shop' },
    spec: {
      sourceRef: { name: 'platform-etcd' },
      prefix: '/config/gateway/',
      target: {
        name: 'gateway-config',
        format: 'template',
        template: { configMapRef: { name: 'gateway-templates' } },
      },
    },
  },
];

/** A PrefixSync of several sources (spec.sources), with every field of a source set. */
FULL_PREFIX_SYNCS.push({
  apiVersion: API_VERSION,
  kind: 'PrefixSync',
  metadata: { name: 'overlay', namespace: 'shop' },
  spec: {
    sourceRef: { name: 'platform-etcd' },
    sources: [
      { prefix: '/config/defaults/', include: ['*.conf', 'db/**'], exclude: ['secret/**'] },
      {
        prefix: '/config/eu/',
        sourceRef: { name: 'regional-etcd' },
        rewrite: [{ trimPrefix: 'app/' }, { replace: { regex: '^v1/(.*)$', with: '$1' } }],
      },
    ],
    target: { name: 'overlay-config' },
  },
});

/** ClusterEtcdSources that together set every field of the schema (see {@link FULL_PREFIX_SYNCS}). */
export const FULL_CLUSTER_ETCD_SOURCES: ClusterEtcdSource[] = [
  {
    apiVersion: API_VERSION,
    kind: 'ClusterEtcdSource',
    metadata: { name: 'platform-etcd' },
    spec: {
      endpoints: ['https://etcd-0.etcd.platform.svc:2379', 'https://etcd-1.etcd.platform.svc:2379'],
      tls: {
        caSecretRef: { name: 'etcd-ca', key: 'ca.pem' },
        certSecretRef: { name: 'etcd-client-tls' },
        serverName: 'etcd.platform.svc',
      },
      auth: { secretRef: { name: 'etcd-credentials' } },
      access: [
        { namespaces: ['shop', 'checkout'], prefixes: ['/config/payments/', '/config/search/'] },
        {
          namespaceSelector: {
            matchLabels: { 'etcdconfig.dev/tenant': 'yes' },
            matchExpressions: [{ key: 'environment', operator: 'NotIn', values: ['sandbox'] }],
          },
          prefixes: ['/config/shared/'],
          onRevoke: 'Delete',
        },
      ],
      limits: { maxMirrorBytes: '512Mi' },
    },
    status: {
      observedGeneration: 1,
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          observedGeneration: 1,
          lastTransitionTime: '2026-11-30T12:00:00Z',
          reason: 'Connected',
          message: 'connected to etcd cluster cdf818194e3a8c32 (3 members)',
        },
      ],
      clusterId: 'cdf818194e3a8c32',
      memberCount: 3,
      revision: '98765',
      endpoints: 'https://etcd-0.etcd:2379,https://etcd-1.etcd:2379',
    },
  },
];

const long = (n: number): string => 'a'.repeat(n);
const manyTargets = Array.from({ length: 33 }, (_, i) => ({ kind: 'Deployment', name: `w${i}` }));

/** PrefixSync samples. */
export const PREFIX_SYNC_SAMPLES: Sample[] = [
  { name: 'minimal spec (defaults fill the rest)', object: prefixSync() },
  {
    name: 'a 63-character name',
    object: prefixSync({}, { metadata: { name: long(63), namespace: 'default' } }),
    keepsName: true,
  },
  {
    name: 'a 64-character name (too long for the label on its ConfigMap)',
    object: prefixSync({}, { metadata: { name: long(64), namespace: 'default' } }),
    refused: { schema: 'metadata.name', validator: 'metadata.name' },
    keepsName: true,
  },
  ...FULL_PREFIX_SYNCS.map((o, i) => ({
    name: `full sample ${i}`,
    object: o as unknown as Record<string, unknown>,
  })),
  {
    name: 'json document, debounce 0s, suspended, Delete',
    object: prefixSync({
      target: { name: 'cfg', format: 'json', key: 'config.json' },
      debounce: '0s',
      suspend: true,
      deletionPolicy: 'Delete',
    }),
  },
  {
    name: 'properties with the root prefix and the longest debounce',
    object: prefixSync({
      prefix: '/',
      target: { name: 'c', format: 'properties', key: 'app.properties' },
      debounce: '10m',
    }),
  },
  { name: 'compound debounce 1m30s', object: prefixSync({ debounce: '1m30s' }) },
  { name: 'fractional debounce 1.5s', object: prefixSync({ debounce: '1.5s' }) },
  { name: 'bare 0 debounce', object: prefixSync({ debounce: '0' }) },
  {
    name: 'rollout mode none spelled out, empty targets',
    object: prefixSync({ rollout: { mode: 'none', targets: [] } }),
  },
  { name: 'rollout auto without selector', object: prefixSync({ rollout: { mode: 'auto' } }) },
  {
    name: 'auto with an Exists requirement',
    object: prefixSync({
      rollout: { mode: 'auto', selector: { matchExpressions: [{ key: 'app', operator: 'Exists' }] } },
    }),
  },
  {
    name: 'a dotted ConfigMap name and key',
    object: prefixSync({ target: { name: 'app.v2.config', format: 'yaml', key: 'app.v2.yaml' } }),
  },
  { name: 'a 512-character prefix', object: prefixSync({ prefix: `/${long(510)}/` }) },
  { name: 'empty validation (minKeys defaults to 1)', object: prefixSync({ validation: {} }) },
  {
    name: 'minKeys 0, maxRemoved as a count, Skip invalid keys',
    object: prefixSync({ validation: { minKeys: 0, maxRemoved: 10 }, keys: { onInvalid: 'Skip' } }),
  },
  { name: 'maxRemoved 0 (no key may go)', object: prefixSync({ validation: { maxRemoved: 0 } }) },
  { name: 'maxRemoved "0%"', object: prefixSync({ validation: { maxRemoved: '0%' } }) },
  { name: 'maxRemoved "100%"', object: prefixSync({ validation: { maxRemoved: '100%' } }) },
  { name: 'maxRemoved "007%" (leading zeros)', object: prefixSync({ validation: { maxRemoved: '007%' } }) },
  {
    name: 'the largest minKeys and maxRemoved',
    object: prefixSync({ validation: { minKeys: 2147483647, maxRemoved: 2147483647 } }),
  },
  {
    name: '32 rules and 32 schemas of the longest lengths',
    object: prefixSync({
      validation: {
        rules: Array.from({ length: 32 }, () => ({ rule: long(4096), message: long(512) })),
        schemas: Array.from({ length: 32 }, (_, i) => ({ keys: `${i}?${long(249)}*`, schema: {} })),
      },
    }),
  },
  {
    name: 'a schema for every key, with any JSON Schema keywords',
    object: prefixSync({
      validation: {
        schemas: [
          { keys: '*', schema: { $schema: 'https://json-schema.org/draft/2020-12/schema', oneOf: [] } },
        ],
      },
    }),
  },
  { name: 'pinned at revision 1', object: prefixSync({ pinRevision: 1 }) },
  { name: 'pinned at revision 2^53-1', object: prefixSync({ pinRevision: Number.MAX_SAFE_INTEGER }) },
  { name: 'dots inside a segment', object: prefixSync({ prefix: '/config/app.v2/..hidden/' }) },

  // --- prefix
  {
    name: 'prefix without leading slash',
    object: prefixSync({ prefix: 'no-leading-slash' }),
    refused: { schema: 'spec.prefix', validator: 'spec.prefix' },
  },
  {
    name: 'prefix without trailing slash',
    object: prefixSync({ prefix: '/config/app' }),
    refused: { schema: 'spec.prefix', validator: 'spec.prefix' },
  },
  {
    name: 'prefix with an empty segment',
    object: prefixSync({ prefix: '/config//app/' }),
    refused: { schema: 'spec.prefix', validator: 'spec.prefix' },
  },
  {
    name: 'prefix with a .. segment',
    object: prefixSync({ prefix: '/config/../secrets/' }),
    refused: { schema: 'spec.prefix', validator: 'spec.prefix' },
  },
  {
    name: 'prefix with a . segment',
    object: prefixSync({ prefix: '/config/./app/' }),
    refused: { schema: 'spec.prefix', validator: 'spec.prefix' },
  },
  {
    name: 'prefix with a newline',
    object: prefixSync({ prefix: '/config/a\n/' }),
    refused: { schema: 'spec.prefix', validator: 'spec.prefix' },
  },
  {
    name: 'prefix of 513 characters',
    object: prefixSync({ prefix: `/${long(511)}/` }),
    refused: { schema: 'spec.prefix', validator: 'spec.prefix' },
  },
  {
    name: 'empty prefix',
    object: prefixSync({ prefix: '' }),
    refused: { schema: 'spec.prefix', validator: 'spec.prefix' },
  },
  {
    name: 'missing prefix',
    object: prefixSync({ prefix: undefined }),
    refused: { schema: 'spec', validator: 'spec.prefix' },
  },

  // --- sources
  {
    name: 'two sources, one on another ClusterEtcdSource, with filters and rewrites',
    object: prefixSync({
      prefix: undefined,
      sources: [
        { prefix: '/config/defaults/', include: ['**/*.conf'], exclude: ['secret/**'] },
        {
          prefix: '/config/prod/',
          sourceRef: { name: 'other' },
          rewrite: [{ trimPrefix: 'v1/' }, { replace: { regex: '^(.*)\\.yaml$', with: '$1' } }],
        },
      ],
    }),
  },
  {
    name: 'both prefix and sources',
    object: prefixSync({ sources: [{ prefix: '/config/other/' }] }),
    refused: { schema: 'spec', validator: 'spec.sources' },
  },
  {
    name: 'an empty sources list',
    object: prefixSync({ prefix: undefined, sources: [] }),
    refused: { schema: 'spec.sources', validator: 'spec.sources' },
  },
  {
    name: 'a source prefix without its trailing slash',
    object: prefixSync({ prefix: undefined, sources: [{ prefix: '/config/app' }] }),
    refused: { schema: 'spec.sources[0].prefix', validator: 'spec.sources[0].prefix' },
  },
  {
    name: 'a source without a prefix',
    object: prefixSync({ prefix: undefined, sources: [{ include: ['*'] }] }),
    refused: { schema: 'spec.sources[0].prefix', validator: 'spec.sources[0].prefix' },
  },
  {
    name: 'an empty include glob',
    object: prefixSync({ prefix: undefined, sources: [{ prefix: '/config/app/', include: [''] }] }),
    refused: { schema: 'spec.sources[0].include[0]', validator: 'spec.sources[0].include[0]' },
  },
  {
    name: 'a rewrite with both trimPrefix and replace',
    object: prefixSync({
      prefix: undefined,
      sources: [
        { prefix: '/config/app/', rewrite: [{ trimPrefix: 'a/', replace: { regex: 'b', with: 'c' } }] },
      ],
    }),
    refused: { schema: 'spec.sources[0].rewrite[0]', validator: 'spec.sources[0].rewrite[0]' },
  },
  {
    name: 'a replace without its with',
    object: prefixSync({
      prefix: undefined,
      sources: [{ prefix: '/config/app/', rewrite: [{ replace: { regex: 'b' } }] }],
    }),
    refused: {
      schema: 'spec.sources[0].rewrite[0].replace.with',
      validator: 'spec.sources[0].rewrite[0].replace.with',
    },
  },
  {
    name: 'pinned with a source on another ClusterEtcdSource',
    object: prefixSync({
      prefix: undefined,
      pinRevision: 5,
      sources: [{ prefix: '/config/app/', sourceRef: { name: 'other' } }],
    }),
    refused: { schema: 'spec.pinRevision', validator: 'spec.pinRevision' },
  },

  // --- source and target
  {
    name: 'missing sourceRef',
    object: prefixSync({ sourceRef: undefined }),
    refused: { schema: 'spec.sourceRef', validator: 'spec.sourceRef.name' },
  },
  {
    name: 'sourceRef name with capitals',
    object: prefixSync({ sourceRef: { name: 'Local' } }),
    refused: { schema: 'spec.sourceRef.name', validator: 'spec.sourceRef.name' },
  },
  {
    name: 'missing target',
    object: prefixSync({ target: undefined }),
    refused: { schema: 'spec.target', validator: 'spec.target' },
  },
  {
    name: 'target name with an underscore',
    object: prefixSync({ target: { name: 'app_config' } }),
    refused: { schema: 'spec.target.name', validator: 'spec.target.name' },
  },
  {
    name: 'target name of 254 characters',
    object: prefixSync({ target: { name: long(254) } }),
    refused: { schema: 'spec.target.name', validator: 'spec.target.name' },
  },
  {
    name: 'target name ending in a dash',
    object: prefixSync({ target: { name: 'config-' } }),
    refused: { schema: 'spec.target.name', validator: 'spec.target.name' },
  },
  {
    name: 'rendered format without key',
    object: prefixSync({ target: { name: 'c', format: 'yaml' } }),
    refused: { schema: 'spec.target.key', validator: 'spec.target.key' },
  },
  {
    name: 'files format with a key',
    object: prefixSync({ target: { name: 'c', format: 'files', key: 'x' } }),
    refused: { schema: 'spec.target.key', validator: 'spec.target.key' },
  },
  {
    name: 'defaulted files format with a key',
    object: prefixSync({ target: { name: 'c', key: 'x' } }),
    refused: { schema: 'spec.target.key', validator: 'spec.target.key' },
  },
  {
    name: 'key with a slash',
    object: prefixSync({ target: { name: 'c', format: 'env', key: 'a/b' } }),
    refused: { schema: 'spec.target.key', validator: 'spec.target.key' },
  },
  {
    name: "key starting with '..'",
    object: prefixSync({ target: { name: 'c', format: 'env', key: '..env' } }),
    refused: { schema: 'spec.target.key', validator: 'spec.target.key' },
  },
  {
    name: "key '.'",
    object: prefixSync({ target: { name: 'c', format: 'env', key: '.' } }),
    refused: { schema: 'spec.target.key', validator: 'spec.target.key' },
  },
  {
    name: 'template format without template',
    object: prefixSync({ target: { name: 'c', format: 'template' } }),
    refused: { schema: 'spec.target.template', validator: 'spec.target.template' },
  },
  {
    name: 'template format with a key',
    object: prefixSync({
      target: { name: 'c', format: 'template', key: 'x', template: { inline: { a: 'b' } } },
    }),
    refused: { schema: 'spec.target.key', validator: 'spec.target.key' },
  },
  {
    name: 'template with a rendered format',
    object: prefixSync({
      target: { name: 'c', format: 'yaml', key: 'a.yaml', template: { inline: { a: 'b' } } },
    }),
    refused: { schema: 'spec.target.template', validator: 'spec.target.template' },
  },
  {
    name: 'template with both inline and configMapRef',
    object: prefixSync({
      target: {
        name: 'c',
        format: 'template',
        template: { inline: { a: 'b' }, configMapRef: { name: 't' } },
      },
    }),
    refused: { schema: 'spec.target.template', validator: 'spec.target.template' },
  },
  {
    name: 'template with neither inline nor configMapRef',
    object: prefixSync({ target: { name: 'c', format: 'template', template: {} } }),
    refused: { schema: 'spec.target.template', validator: 'spec.target.template' },
  },
  {
    name: 'inline templates empty',
    object: prefixSync({ target: { name: 'c', format: 'template', template: { inline: {} } } }),
    refused: { schema: 'spec.target.template.inline', validator: 'spec.target.template.inline' },
  },
  {
    name: 'inline template under an invalid ConfigMap key',
    object: prefixSync({ target: { name: 'c', format: 'template', template: { inline: { 'a/b': 'x' } } } }),
    refused: { schema: 'spec.target.template.inline', validator: 'spec.target.template.inline' },
  },
  {
    name: 'template configMapRef with an invalid name',
    object: prefixSync({
      target: { name: 'c', format: 'template', template: { configMapRef: { name: 'Bad_Name' } } },
    }),
    refused: {
      schema: 'spec.target.template.configMapRef.name',
      validator: 'spec.target.template.configMapRef.name',
    },
  },
  {
    name: 'unknown format',
    object: prefixSync({ target: { name: 'c', format: 'toml', key: 'a.toml' } }),
    refused: { schema: 'spec.target.format', validator: 'spec.target.format' },
  },
  {
    name: 'separator /',
    object: prefixSync({ keys: { separator: '/' } }),
    refused: { schema: 'spec.keys.separator', validator: 'spec.keys.separator' },
  },
  {
    name: 'onInvalid Ignore',
    object: prefixSync({ keys: { onInvalid: 'Ignore' } }),
    refused: { schema: 'spec.keys.onInvalid', validator: 'spec.keys.onInvalid' },
  },
  {
    name: 'keys.case Lower',
    object: prefixSync({ target: { name: 'c', format: 'env', key: 'e' }, keys: { case: 'Lower' } }),
    refused: { schema: 'spec.keys.case', validator: 'spec.keys.case' },
  },
  {
    name: 'keys.case Upper with format yaml',
    object: prefixSync({ target: { name: 'c', format: 'yaml', key: 'a.yaml' }, keys: { case: 'Upper' } }),
    refused: { schema: 'spec.keys.case', validator: 'spec.keys.case' },
  },
  {
    name: 'target.values Number',
    object: prefixSync({ target: { name: 'c', format: 'json', key: 'a.json', values: 'Number' } }),
    refused: { schema: 'spec.target.values', validator: 'spec.target.values' },
  },
  {
    name: 'target.values Auto with format env',
    object: prefixSync({ target: { name: 'c', format: 'env', key: 'e', values: 'Auto' } }),
    refused: { schema: 'spec.target.values', validator: 'spec.target.values' },
  },

  // --- validation and pinRevision
  {
    name: 'validation as a list',
    object: prefixSync({ validation: [{ minKeys: 1 }] }),
    refused: { schema: 'spec.validation', validator: 'spec.validation' },
  },
  {
    name: 'negative minKeys',
    object: prefixSync({ validation: { minKeys: -1 } }),
    refused: { schema: 'spec.validation.minKeys', validator: 'spec.validation.minKeys' },
  },
  {
    name: 'fractional minKeys',
    object: prefixSync({ validation: { minKeys: 1.5 } }),
    refused: { schema: 'spec.validation.minKeys', validator: 'spec.validation.minKeys' },
  },
  {
    name: 'minKeys as a string',
    object: prefixSync({ validation: { minKeys: '3' } }),
    refused: { schema: 'spec.validation.minKeys', validator: 'spec.validation.minKeys' },
  },
  {
    name: 'minKeys above 2^31-1',
    object: prefixSync({ validation: { minKeys: 2147483648 } }),
    refused: { schema: 'spec.validation.minKeys', validator: 'spec.validation.minKeys' },
  },
  {
    name: 'negative maxRemoved',
    object: prefixSync({ validation: { maxRemoved: -1 } }),
    refused: { schema: 'spec.validation.maxRemoved', validator: 'spec.validation.maxRemoved' },
  },
  {
    name: 'fractional maxRemoved',
    object: prefixSync({ validation: { maxRemoved: 2.5 } }),
    refused: { schema: 'spec.validation.maxRemoved', validator: 'spec.validation.maxRemoved' },
  },
  {
    name: 'maxRemoved "101%"',
    object: prefixSync({ validation: { maxRemoved: '101%' } }),
    refused: { schema: 'spec.validation.maxRemoved', validator: 'spec.validation.maxRemoved' },
  },
  {
    name: 'maxRemoved "25" (a count as a string)',
    object: prefixSync({ validation: { maxRemoved: '25' } }),
    refused: { schema: 'spec.validation.maxRemoved', validator: 'spec.validation.maxRemoved' },
  },
  {
    name: 'maxRemoved "2.5%"',
    object: prefixSync({ validation: { maxRemoved: '2.5%' } }),
    refused: { schema: 'spec.validation.maxRemoved', validator: 'spec.validation.maxRemoved' },
  },
  {
    name: 'maxRemoved "-5%"',
    object: prefixSync({ validation: { maxRemoved: '-5%' } }),
    refused: { schema: 'spec.validation.maxRemoved', validator: 'spec.validation.maxRemoved' },
  },
  {
    name: 'maxRemoved as a boolean',
    object: prefixSync({ validation: { maxRemoved: true } }),
    refused: { schema: 'spec.validation.maxRemoved', validator: 'spec.validation.maxRemoved' },
  },
  {
    name: 'rules as an object',
    object: prefixSync({ validation: { rules: { rule: 'true', message: 'always' } } }),
    refused: { schema: 'spec.validation.rules', validator: 'spec.validation.rules' },
  },
  {
    name: 'a rule without message',
    object: prefixSync({ validation: { rules: [{ rule: "'a' in data" }] } }),
    refused: { schema: 'spec.validation.rules[0].message', validator: 'spec.validation.rules[0].message' },
  },
  {
    name: 'an empty rule',
    object: prefixSync({ validation: { rules: [{ rule: '', message: 'm' }] } }),
    refused: { schema: 'spec.validation.rules[0].rule', validator: 'spec.validation.rules[0].rule' },
  },
  {
    name: 'an empty rule message',
    object: prefixSync({ validation: { rules: [{ rule: 'true', message: '' }] } }),
    refused: { schema: 'spec.validation.rules[0].message', validator: 'spec.validation.rules[0].message' },
  },
  {
    name: 'a rule of 4097 characters',
    object: prefixSync({ validation: { rules: [{ rule: long(4097), message: 'm' }] } }),
    refused: { schema: 'spec.validation.rules[0].rule', validator: 'spec.validation.rules[0].rule' },
  },
  {
    name: 'a rule message of 513 characters',
    object: prefixSync({ validation: { rules: [{ rule: 'true', message: long(513) }] } }),
    refused: { schema: 'spec.validation.rules[0].message', validator: 'spec.validation.rules[0].message' },
  },
  {
    name: 'a rule with messageExpression (not supported)',
    object: prefixSync({
      validation: { rules: [{ rule: 'true', message: 'm', messageExpression: "'x'" }] },
    }),
    refused: {
      schema: 'spec.validation.rules[0].messageExpression',
      validator: 'spec.validation.rules[0].messageExpression',
    },
  },
  {
    name: '33 rules',
    object: prefixSync({
      validation: { rules: Array.from({ length: 33 }, () => ({ rule: 'true', message: 'm' })) },
    }),
    refused: { schema: 'spec.validation.rules', validator: 'spec.validation.rules' },
  },
  {
    name: 'a schema without keys',
    object: prefixSync({ validation: { schemas: [{ schema: { type: 'object' } }] } }),
    refused: { schema: 'spec.validation.schemas[0].keys', validator: 'spec.validation.schemas[0].keys' },
  },
  {
    name: 'a schema with empty keys',
    object: prefixSync({ validation: { schemas: [{ keys: '', schema: {} }] } }),
    refused: { schema: 'spec.validation.schemas[0].keys', validator: 'spec.validation.schemas[0].keys' },
  },
  {
    name: 'a key glob with a slash',
    object: prefixSync({ validation: { schemas: [{ keys: 'db/*.json', schema: {} }] } }),
    refused: { schema: 'spec.validation.schemas[0].keys', validator: 'spec.validation.schemas[0].keys' },
  },
  {
    name: 'a key glob of 254 characters',
    object: prefixSync({ validation: { schemas: [{ keys: long(254), schema: {} }] } }),
    refused: { schema: 'spec.validation.schemas[0].keys', validator: 'spec.validation.schemas[0].keys' },
  },
  {
    name: 'a key glob without its schema',
    object: prefixSync({ validation: { schemas: [{ keys: '*.json' }] } }),
    refused: { schema: 'spec.validation.schemas[0].schema', validator: 'spec.validation.schemas[0].schema' },
  },
  {
    name: 'a schema that is a string',
    object: prefixSync({ validation: { schemas: [{ keys: '*.json', schema: 'object' }] } }),
    refused: { schema: 'spec.validation.schemas[0].schema', validator: 'spec.validation.schemas[0].schema' },
  },
  {
    name: '33 schemas',
    object: prefixSync({
      validation: { schemas: Array.from({ length: 33 }, () => ({ keys: '*', schema: {} })) },
    }),
    refused: { schema: 'spec.validation.schemas', validator: 'spec.validation.schemas' },
  },
  {
    name: 'pinRevision 0',
    object: prefixSync({ pinRevision: 0 }),
    refused: { schema: 'spec.pinRevision', validator: 'spec.pinRevision' },
  },
  {
    name: 'pinRevision as a decimal string',
    object: prefixSync({ pinRevision: '1200' }),
    refused: { schema: 'spec.pinRevision', validator: 'spec.pinRevision' },
  },
  {
    name: 'pinRevision 2^53 (not exact as a JSON number)',
    object: prefixSync({ pinRevision: 2 ** 53 }),
    refused: { schema: 'spec.pinRevision', validator: 'spec.pinRevision' },
  },

  // --- rollout
  {
    name: 'mode targets without targets',
    object: prefixSync({ rollout: { mode: 'targets' } }),
    refused: { schema: 'spec.rollout.targets', validator: 'spec.rollout.targets' },
  },
  {
    name: 'mode targets with empty targets',
    object: prefixSync({ rollout: { mode: 'targets', targets: [] } }),
    refused: { schema: 'spec.rollout.targets', validator: 'spec.rollout.targets' },
  },
  {
    name: 'targets with defaulted mode none',
    object: prefixSync({ rollout: { targets: [{ kind: 'Deployment', name: 'web' }] } }),
    refused: { schema: 'spec.rollout.targets', validator: 'spec.rollout.targets' },
  },
  {
    name: 'targets with mode auto',
    object: prefixSync({ rollout: { mode: 'auto', targets: [{ kind: 'Deployment', name: 'web' }] } }),
    refused: { schema: 'spec.rollout.targets', validator: 'spec.rollout.targets' },
  },
  {
    name: 'selector with mode targets',
    object: prefixSync({
      rollout: { mode: 'targets', targets: [{ kind: 'Deployment', name: 'web' }], selector: {} },
    }),
    refused: { schema: 'spec.rollout.selector', validator: 'spec.rollout.selector' },
  },
  {
    name: 'duplicate rollout target',
    object: prefixSync({
      rollout: {
        mode: 'targets',
        targets: [
          { kind: 'Deployment', name: 'web' },
          { kind: 'Deployment', name: 'web' },
        ],
      },
    }),
    refused: { schema: 'spec.rollout.targets[1]', validator: 'spec.rollout.targets[1]' },
    refusedFor: 'list-type',
  },
  {
    name: 'versioned target without a rollout',
    object: prefixSync({ target: { name: 'cfg', versioned: true } }),
    refused: { schema: 'spec.target', validator: 'spec.target.versioned' },
  },
  {
    name: 'keepVersions without versioned',
    object: prefixSync({ target: { name: 'cfg', keepVersions: 2 }, rollout: { mode: 'auto' } }),
    refused: { schema: 'spec.target.keepVersions', validator: 'spec.target.keepVersions' },
  },
  {
    name: 'keepVersions 0',
    object: prefixSync({
      target: { name: 'cfg', versioned: true, keepVersions: 0 },
      rollout: { mode: 'auto' },
    }),
    refused: { schema: 'spec.target.keepVersions', validator: 'spec.target.keepVersions' },
  },
  {
    name: 'versioned target name too long for its versions',
    object: prefixSync({ target: { name: 'a'.repeat(243), versioned: true }, rollout: { mode: 'auto' } }),
    refused: { schema: 'spec.target.name', validator: 'spec.target.name' },
  },
  {
    name: 'target kind neither ConfigMap nor Secret',
    object: prefixSync({ target: { name: 'cfg', kind: 'Token' } }),
    refused: { schema: 'spec.target.kind', validator: 'spec.target.kind' },
  },
  {
    name: 'versioned Secret target',
    object: prefixSync({
      target: { name: 'cfg', kind: 'Secret', versioned: true },
      rollout: { mode: 'auto' },
    }),
    refused: { schema: 'spec.target.versioned', validator: 'spec.target.versioned' },
  },
  {
    name: 'Secret target with onFailure Rollback',
    object: prefixSync({
      target: { name: 'cfg', kind: 'Secret' },
      rollout: { mode: 'auto', onFailure: 'Rollback' },
    }),
    refused: { schema: 'spec.rollout.onFailure', validator: 'spec.rollout.onFailure' },
  },
  {
    name: 'target label in the operator domain',
    object: prefixSync({
      target: { name: 'cfg', metadata: { labels: { 'etcdconfig.dev/prefixsync': 'x' } } },
    }),
    refused: { schema: 'spec.target.metadata.labels', validator: 'spec.target.metadata.labels' },
  },
  {
    name: 'target annotation in a subdomain of the operator domain',
    object: prefixSync({
      target: { name: 'cfg', metadata: { annotations: { 'x.etcdconfig.dev/content-hash': 'x' } } },
    }),
    refused: { schema: 'spec.target.metadata.annotations', validator: 'spec.target.metadata.annotations' },
  },
  {
    name: 'target immutable not a boolean',
    object: prefixSync({ target: { name: 'cfg', immutable: 'yes' } }),
    refused: { schema: 'spec.target.immutable', validator: 'spec.target.immutable' },
  },
  {
    name: 'Ordered strategy with mode auto',
    object: prefixSync({ rollout: { mode: 'auto', strategy: 'Ordered' } }),
    refused: { schema: 'spec.rollout.strategy', validator: 'spec.rollout.strategy' },
  },
  {
    name: 'rollout onFailure not in the enum',
    object: prefixSync({ rollout: { mode: 'auto', onFailure: 'Retry' } }),
    refused: { schema: 'spec.rollout.onFailure', validator: 'spec.rollout.onFailure' },
  },
  {
    name: 'rollout progressDeadline below 1s',
    object: prefixSync({ rollout: { mode: 'auto', progressDeadline: '500ms' } }),
    refused: { schema: 'spec.rollout.progressDeadline', validator: 'spec.rollout.progressDeadline' },
  },
  {
    name: 'rollout progressDeadline not a duration',
    object: prefixSync({ rollout: { mode: 'auto', progressDeadline: 'ten minutes' } }),
    refused: { schema: 'spec.rollout.progressDeadline', validator: 'spec.rollout.progressDeadline' },
  },
  {
    name: 'rollout minInterval over 1h',
    object: prefixSync({ rollout: { mode: 'auto', minInterval: '61m' } }),
    refused: { schema: 'spec.rollout.minInterval', validator: 'spec.rollout.minInterval' },
  },
  {
    name: 'rollout target of kind Pod',
    object: prefixSync({ rollout: { mode: 'targets', targets: [{ kind: 'Pod', name: 'web' }] } }),
    refused: { schema: 'spec.rollout.targets[0].kind', validator: 'spec.rollout.targets[0].kind' },
  },
  {
    name: 'rollout target without name',
    object: prefixSync({ rollout: { mode: 'targets', targets: [{ kind: 'Deployment' }] } }),
    refused: { schema: 'spec.rollout.targets[0].name', validator: 'spec.rollout.targets[0].name' },
  },
  {
    name: '33 rollout targets',
    object: prefixSync({ rollout: { mode: 'targets', targets: manyTargets } }),
    refused: { schema: 'spec.rollout.targets', validator: 'spec.rollout.targets' },
  },
  {
    name: 'unknown rollout mode',
    object: prefixSync({ rollout: { mode: 'always' } }),
    refused: { schema: 'spec.rollout.mode', validator: 'spec.rollout.mode' },
  },
  {
    name: 'In requirement without values',
    object: prefixSync({
      rollout: { mode: 'auto', selector: { matchExpressions: [{ key: 'app', operator: 'In' }] } },
    }),
    refused: {
      schema: 'spec.rollout.selector.matchExpressions[0].values',
      validator: 'spec.rollout.selector.matchExpressions[0].values',
    },
  },
  {
    name: 'Exists requirement with values',
    object: prefixSync({
      rollout: {
        mode: 'auto',
        selector: { matchExpressions: [{ key: 'app', operator: 'Exists', values: ['x'] }] },
      },
    }),
    refused: {
      schema: 'spec.rollout.selector.matchExpressions[0].values',
      validator: 'spec.rollout.selector.matchExpressions[0].values',
    },
  },
  {
    name: 'matchLabels key with a space',
    object: prefixSync({ rollout: { mode: 'auto', selector: { matchLabels: { 'my app': 'x' } } } }),
    refused: { validator: 'spec.rollout.selector.matchLabels' },
  },
  {
    name: 'matchLabels value with a slash',
    object: prefixSync({ rollout: { mode: 'auto', selector: { matchLabels: { app: 'a/b' } } } }),
    refused: { validator: 'spec.rollout.selector.matchLabels[app]' },
  },

  // --- debounce, suspend, deletionPolicy, unknown fields
  {
    name: 'debounce in words',
    object: prefixSync({ debounce: '1 second' }),
    refused: { schema: 'spec.debounce', validator: 'spec.debounce' },
  },
  {
    name: 'debounce without unit',
    object: prefixSync({ debounce: '5' }),
    refused: { schema: 'spec.debounce', validator: 'spec.debounce' },
  },
  {
    name: 'negative debounce',
    object: prefixSync({ debounce: '-1s' }),
    refused: { schema: 'spec.debounce', validator: 'spec.debounce' },
  },
  {
    name: 'debounce of 10m1s',
    object: prefixSync({ debounce: '10m1s' }),
    refused: { schema: 'spec.debounce', validator: 'spec.debounce' },
  },
  {
    name: 'debounce of 1h',
    object: prefixSync({ debounce: '1h' }),
    refused: { schema: 'spec.debounce', validator: 'spec.debounce' },
  },
  {
    name: 'suspend as a string',
    object: prefixSync({ suspend: 'yes' }),
    refused: { schema: 'spec.suspend', validator: 'spec.suspend' },
  },
  {
    name: 'deletionPolicy Orphan',
    object: prefixSync({ deletionPolicy: 'Orphan' }),
    refused: { schema: 'spec.deletionPolicy', validator: 'spec.deletionPolicy' },
  },
  {
    name: 'a misspelt field',
    object: prefixSync({ prefixes: ['/a/'] }),
    refused: { schema: 'spec.prefixes' },
  },
  {
    name: 'no spec at all',
    object: prefixSync({}, { spec: undefined }),
    refused: { schema: 'spec', validator: 'spec' },
  },
  {
    name: 'a held change with an unknown reason',
    object: prefixSync(
      {},
      { status: { held: { revision: '7', contentHash: 'h', reason: 'Held', message: 'm' } } },
    ),
    refused: { schema: 'status.held.reason' },
  },
  {
    name: 'a held change without its content hash',
    object: prefixSync({}, { status: { held: { revision: '7', reason: 'ChangeHeld', message: 'm' } } }),
    refused: { schema: 'status.held.contentHash' },
  },
  {
    name: 'a non-decimal pinnedRevision',
    object: prefixSync({}, { status: { pinnedRevision: 'v7' } }),
    refused: { schema: 'status.pinnedRevision' },
  },
  {
    name: '21 skipped keys listed',
    object: prefixSync({}, { status: { skippedKeys: Array.from({ length: 21 }, (_, i) => `/k${i}`) } }),
    refused: { schema: 'status.skippedKeys' },
  },
  {
    name: 'a non-decimal syncedRevision',
    object: prefixSync({}, { status: { syncedRevision: '0x10' } }),
    refused: { schema: 'status.syncedRevision' },
  },
  {
    name: 'a condition with a bad status',
    object: prefixSync(
      {},
      {
        status: {
          conditions: [
            {
              type: 'Ready',
              status: 'Yes',
              lastTransitionTime: '2026-11-30T12:00:00Z',
              reason: 'Synced',
              message: '',
            },
          ],
        },
      },
    ),
    refused: { schema: 'status.conditions[0].status' },
  },
  {
    name: 'two Ready conditions',
    object: prefixSync(
      {},
      {
        status: {
          conditions: [0, 1].map(() => ({
            type: 'Ready',
            status: 'True',
            lastTransitionTime: '2026-11-30T12:00:00Z',
            reason: 'Synced',
            message: '',
          })),
        },
      },
    ),
    refused: { schema: 'status.conditions[1]' },
    refusedFor: 'list-type',
  },
];

/** ClusterEtcdSource samples. */
export const CLUSTER_ETCD_SOURCE_SAMPLES: Sample[] = [
  { name: 'minimal spec', object: clusterEtcdSource() },
  ...FULL_CLUSTER_ETCD_SOURCES.map((o, i) => ({
    name: `full sample ${i}`,
    object: o as unknown as Record<string, unknown>,
  })),
  { name: 'no access rules (allows nothing)', object: clusterEtcdSource({ access: undefined }) },
  {
    name: 'bare endpoints with tls use TLS for all',
    object: clusterEtcdSource({
      endpoints: ['10.0.0.1:2379', '10.0.0.2:2379'],
      tls: { caSecretRef: { name: 'ca' } },
    }),
  },
  {
    name: 'http endpoints without tls',
    object: clusterEtcdSource({ endpoints: ['http://127.0.0.1:2379', '127.0.0.1:2380'] }),
  },
  { name: 'IPv6 endpoint', object: clusterEtcdSource({ endpoints: ['[::1]:2379'] }) },
  {
    name: 'empty tls (system CAs)',
    object: clusterEtcdSource({ endpoints: ['https://etcd.example.com:2379'], tls: {} }),
  },
  {
    name: 'selector {} for every namespace',
    object: clusterEtcdSource({ access: [{ namespaceSelector: {}, prefixes: ['/'] }] }),
  },

  {
    name: 'access rule onRevoke not in the enum',
    object: clusterEtcdSource({ access: [{ namespaces: ['a'], prefixes: ['/a/'], onRevoke: 'Purge' }] }),
    refused: { schema: 'spec.access[0].onRevoke', validator: 'spec.access[0].onRevoke' },
  },
  {
    name: 'no endpoints',
    object: clusterEtcdSource({ endpoints: [] }),
    refused: { schema: 'spec.endpoints', validator: 'spec.endpoints' },
  },
  {
    name: 'missing endpoints',
    object: clusterEtcdSource({ endpoints: undefined }),
    refused: { schema: 'spec.endpoints', validator: 'spec.endpoints' },
  },
  {
    name: 'endpoint without port',
    object: clusterEtcdSource({ endpoints: ['localhost'] }),
    refused: { schema: 'spec.endpoints[0]', validator: 'spec.endpoints[0]' },
  },
  {
    name: 'endpoint with another scheme',
    object: clusterEtcdSource({ endpoints: ['grpc://a:2379'] }),
    refused: { schema: 'spec.endpoints[0]', validator: 'spec.endpoints[0]' },
  },
  {
    name: 'endpoint with a path',
    object: clusterEtcdSource({ endpoints: ['https://a:2379/v3'] }),
    refused: { schema: 'spec.endpoints[0]', validator: 'spec.endpoints[0]' },
  },
  {
    name: 'port 70000',
    object: clusterEtcdSource({ endpoints: ['a:70000'] }),
    refused: { validator: 'spec.endpoints[0]' },
  },
  {
    name: 'port 0',
    object: clusterEtcdSource({ endpoints: ['a:0'] }),
    refused: { validator: 'spec.endpoints[0]' },
  },
  {
    name: 'the same endpoint twice',
    object: clusterEtcdSource({ endpoints: ['a:2379', 'a:2379'] }),
    refused: { schema: 'spec.endpoints[1]', validator: 'spec.endpoints[1]' },
    refusedFor: 'list-type',
  },
  {
    name: 'the same host and port in two spellings',
    object: clusterEtcdSource({ endpoints: ['https://a:2379', 'A:2379'], tls: {} }),
    refused: { validator: 'spec.endpoints[1]' },
  },
  {
    name: 'http:// endpoint with tls',
    object: clusterEtcdSource({ endpoints: ['http://a:2379'], tls: {} }),
    refused: { schema: 'spec.endpoints', validator: 'spec.endpoints[0]' },
  },
  {
    name: 'https and plaintext mixed without tls',
    object: clusterEtcdSource({ endpoints: ['https://a:2379', 'b:2379'] }),
    refused: { schema: 'spec.endpoints', validator: 'spec.endpoints' },
  },
  {
    name: '17 endpoints',
    object: clusterEtcdSource({ endpoints: Array.from({ length: 17 }, (_, i) => `e${i}:2379`) }),
    refused: { schema: 'spec.endpoints', validator: 'spec.endpoints' },
  },
  {
    name: 'CA secret without name',
    object: clusterEtcdSource({ tls: { caSecretRef: { key: 'ca.pem' } } }),
    refused: { schema: 'spec.tls.caSecretRef.name', validator: 'spec.tls.caSecretRef.name' },
  },
  {
    name: 'CA secret key with a slash',
    object: clusterEtcdSource({ tls: { caSecretRef: { name: 'ca', key: 'a/b' } } }),
    refused: { schema: 'spec.tls.caSecretRef.key', validator: 'spec.tls.caSecretRef.key' },
  },
  {
    name: 'cert secret with capitals',
    object: clusterEtcdSource({ tls: { certSecretRef: { name: 'Client' } } }),
    refused: { schema: 'spec.tls.certSecretRef.name', validator: 'spec.tls.certSecretRef.name' },
  },
  {
    name: 'auth without secretRef',
    object: clusterEtcdSource({ auth: {} }),
    refused: { schema: 'spec.auth.secretRef', validator: 'spec.auth.secretRef.name' },
  },
  {
    name: 'rule with namespaces and a selector',
    object: clusterEtcdSource({ access: [{ namespaces: ['a'], namespaceSelector: {}, prefixes: ['/a/'] }] }),
    refused: { schema: 'spec.access[0]', validator: 'spec.access[0]' },
  },
  {
    name: 'rule with neither namespaces nor selector',
    object: clusterEtcdSource({ access: [{ prefixes: ['/a/'] }] }),
    refused: { schema: 'spec.access[0]', validator: 'spec.access[0]' },
  },
  {
    name: 'rule without prefixes',
    object: clusterEtcdSource({ access: [{ namespaces: ['a'] }] }),
    refused: { schema: 'spec.access[0].prefixes', validator: 'spec.access[0].prefixes' },
  },
  {
    name: 'rule with a relative prefix',
    object: clusterEtcdSource({ access: [{ namespaces: ['a'], prefixes: ['config/'] }] }),
    refused: { schema: 'spec.access[0].prefixes[0]', validator: 'spec.access[0].prefixes[0]' },
  },
  {
    name: 'rule with a .. prefix',
    object: clusterEtcdSource({ access: [{ namespaces: ['a'], prefixes: ['/a/../'] }] }),
    refused: { schema: 'spec.access[0].prefixes[0]', validator: 'spec.access[0].prefixes[0]' },
  },
  {
    name: 'namespace with capitals',
    object: clusterEtcdSource({ access: [{ namespaces: ['Default'], prefixes: ['/a/'] }] }),
    refused: { schema: 'spec.access[0].namespaces[0]', validator: 'spec.access[0].namespaces[0]' },
  },
  {
    name: 'empty namespaces',
    object: clusterEtcdSource({ access: [{ namespaces: [], prefixes: ['/a/'] }] }),
    refused: { schema: 'spec.access[0].namespaces', validator: 'spec.access[0].namespaces' },
  },
  {
    name: 'a namespace twice',
    object: clusterEtcdSource({ access: [{ namespaces: ['a', 'a'], prefixes: ['/a/'] }] }),
    refused: { schema: 'spec.access[0].namespaces[1]', validator: 'spec.access[0].namespaces[1]' },
    refusedFor: 'list-type',
  },
  {
    name: 'a prefix twice',
    object: clusterEtcdSource({ access: [{ namespaces: ['a'], prefixes: ['/a/', '/a/'] }] }),
    refused: { schema: 'spec.access[0].prefixes[1]', validator: 'spec.access[0].prefixes[1]' },
    refusedFor: 'list-type',
  },
  {
    name: 'DoesNotExist with values',
    object: clusterEtcdSource({
      access: [
        {
          namespaceSelector: { matchExpressions: [{ key: 'a', operator: 'DoesNotExist', values: ['b'] }] },
          prefixes: ['/a/'],
        },
      ],
    }),
    refused: {
      schema: 'spec.access[0].namespaceSelector.matchExpressions[0].values',
      validator: 'spec.access[0].namespaceSelector.matchExpressions[0].values',
    },
  },
  {
    name: 'a misspelt tls field',
    object: clusterEtcdSource({ tls: { caSecret: { name: 'ca' } } }),
    refused: { schema: 'spec.tls.caSecret' },
  },
  { name: 'a mirror budget in Mi', object: clusterEtcdSource({ limits: { maxMirrorBytes: '256Mi' } }) },
  { name: 'a mirror budget in bytes', object: clusterEtcdSource({ limits: { maxMirrorBytes: 1048576 } }) },
  { name: 'a fractional mirror budget', object: clusterEtcdSource({ limits: { maxMirrorBytes: '1.5Gi' } }) },
  { name: 'a decimal mirror budget', object: clusterEtcdSource({ limits: { maxMirrorBytes: '500M' } }) },
  {
    name: 'a mirror budget of 0 (mirrors nothing)',
    object: clusterEtcdSource({ limits: { maxMirrorBytes: 0 } }),
  },
  { name: 'empty limits (the default budget)', object: clusterEtcdSource({ limits: {} }) },
  {
    name: 'a negative mirror budget',
    object: clusterEtcdSource({ limits: { maxMirrorBytes: -1 } }),
    refused: { schema: 'spec.limits.maxMirrorBytes', validator: 'spec.limits.maxMirrorBytes' },
  },
  {
    name: 'a mirror budget in words',
    object: clusterEtcdSource({ limits: { maxMirrorBytes: 'lots' } }),
    refused: { schema: 'spec.limits.maxMirrorBytes', validator: 'spec.limits.maxMirrorBytes' },
  },
  {
    name: 'a mirror budget with an exponent',
    object: clusterEtcdSource({ limits: { maxMirrorBytes: '1e9' } }),
    refused: { schema: 'spec.limits.maxMirrorBytes', validator: 'spec.limits.maxMirrorBytes' },
  },
  {
    name: 'a mirror budget in milli',
    object: clusterEtcdSource({ limits: { maxMirrorBytes: '100m' } }),
    refused: { schema: 'spec.limits.maxMirrorBytes', validator: 'spec.limits.maxMirrorBytes' },
  },
  {
    name: 'a fractional number of bytes',
    object: clusterEtcdSource({ limits: { maxMirrorBytes: 1.5 } }),
    refused: { schema: 'spec.limits.maxMirrorBytes', validator: 'spec.limits.maxMirrorBytes' },
  },
  {
    name: 'a mirror budget over 1 TiB as an integer',
    object: clusterEtcdSource({ limits: { maxMirrorBytes: 2 ** 40 + 1 } }),
    refused: { schema: 'spec.limits.maxMirrorBytes', validator: 'spec.limits.maxMirrorBytes' },
  },
  {
    // A pattern cannot bound the number a quantity string stands for; the operator refuses it.
    name: 'a mirror budget over 1 TiB as a quantity',
    object: clusterEtcdSource({ limits: { maxMirrorBytes: '2Ti' } }),
    refused: { validator: 'spec.limits.maxMirrorBytes' },
  },
  {
    name: 'limits that are not an object',
    object: clusterEtcdSource({ limits: '256Mi' }),
    refused: { schema: 'spec.limits', validator: 'spec.limits' },
  },
  {
    name: 'a non-hex clusterId',
    object: clusterEtcdSource({}, { status: { clusterId: 'xyz' } }),
    refused: { schema: 'status.clusterId' },
  },
  {
    name: 'a negative memberCount',
    object: clusterEtcdSource({}, { status: { memberCount: -1 } }),
    refused: { schema: 'status.memberCount' },
  },
];
