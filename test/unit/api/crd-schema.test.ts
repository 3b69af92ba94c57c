// The CRD YAML is the source of truth: these tests keep it a structural schema a real API server accepts,
// self-documenting (kubectl explain), bounded (CEL cost), and in agreement with src/api/v1alpha1.
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import {
  CATEGORY,
  CLUSTER_ETCD_SOURCE,
  ClusterEtcdSourceConditionType,
  ClusterEtcdSourceReason,
  BYTE_QUANTITY_MAX_LENGTH,
  BYTE_QUANTITY_PATTERN,
  DEFAULT_CA_SECRET_KEY,
  DEFAULT_MAX_MIRROR_BYTES,
  MAX_MIRROR_BYTES_LIMIT,
  DEFAULT_DEBOUNCE,
  DEFAULT_DELETION_POLICY,
  DEFAULT_INVALID_KEY_POLICY,
  DEFAULT_KEY_SEPARATOR,
  DEFAULT_KEY_CASE,
  DEFAULT_TARGET_VALUES,
  defaultKeySeparator,
  KEY_CASES,
  TARGET_VALUES,
  DEFAULT_MIN_KEYS,
  DEFAULT_ROLLOUT_MODE,
  DEFAULT_SUSPEND,
  DEFAULT_TARGET_FORMAT,
  DELETION_POLICIES,
  GROUP,
  HELD_REASONS,
  INVALID_KEY_POLICIES,
  KEY_GLOB_MAX_LENGTH,
  KEY_SEPARATORS,
  LABEL_SELECTOR_OPERATORS,
  MAX_ACCESS_RULES,
  MAX_ENDPOINTS,
  MAX_GUARD_KEY_COUNT,
  MAX_PIN_REVISION,
  MAX_ROLLOUT_TARGETS,
  MAX_SKIPPED_KEYS_LISTED,
  MAX_VALIDATION_RULES,
  MAX_VALIDATION_SCHEMAS,
  PREFIX_MAX_LENGTH,
  PREFIX_SYNC,
  PREFIX_SYNC_NAME_MAX_LENGTH,
  PrefixSyncConditionType,
  PrefixSyncReason,
  ROLLOUT_MODES,
  SKIPPED_KEY_MAX_LENGTH,
  TARGET_FORMATS,
  VALIDATION_MESSAGE_MAX_LENGTH,
  VALIDATION_RULE_MAX_LENGTH,
  VERSION,
  WORKLOAD_KINDS,
} from '../../../src/api/index.js';
import { loadCrds } from './support/crd-validator.js';
import type { Crd, SchemaNode } from './support/crd-validator.js';
import { evalColumnPath, nodeAt, schemaSites, valuePaths } from './support/schema-walk.js';
import { FULL_CLUSTER_ETCD_SOURCES, FULL_PREFIX_SYNCS } from './support/samples.js';

const CRDS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../crds');
const crds = loadCrds(CRDS);

function crdOf(kind: string): Crd {
  const crd = crds.find((c) => c.spec.names.kind === kind);
  assert.ok(crd, `no CRD for ${kind} in ${CRDS}`);
  return crd;
}
const schemaOf = (kind: string): SchemaNode => crdOf(kind).spec.versions[0]!.schema.openAPIV3Schema;

const ALLOWED_RULE_REASONS = [
  'FieldValueInvalid',
  'FieldValueForbidden',
  'FieldValueRequired',
  'FieldValueDuplicate',
];
const ROOT_METADATA = new Set(['metadata', 'apiVersion', 'kind']);

describe('crds/', () => {
  it('holds exactly the two CRDs of etcdconfig.dev', () => {
    assert.deepEqual(crds.map((c) => c.metadata.name).sort(), [
      `${CLUSTER_ETCD_SOURCE.plural}.${GROUP}`,
      `${PREFIX_SYNC.plural}.${GROUP}`,
    ]);
  });

  for (const names of [PREFIX_SYNC, CLUSTER_ETCD_SOURCE]) {
    describe(names.kind, () => {
      const crd = crdOf(names.kind);
      const version = crd.spec.versions[0]!;
      const schema = version.schema.openAPIV3Schema;
      const sites = schemaSites(schema);

      it('names, scope and version agree with src/api', () => {
        assert.equal(crd.apiVersion, 'apiextensions.k8s.io/v1');
        assert.equal(crd.spec.group, GROUP);
        assert.equal(crd.spec.scope, names.namespaced ? 'Namespaced' : 'Cluster');
        assert.deepEqual(crd.spec.names, {
          kind: names.kind,
          listKind: names.listKind,
          plural: names.plural,
          singular: names.singular,
          shortNames: [...names.shortNames],
          categories: [CATEGORY],
        });
        assert.equal(crd.spec.versions.length, 1);
        assert.equal(version.name, VERSION);
        assert.ok(version.served && version.storage);
        assert.deepEqual(version.subresources, { status: {} });
      });

      it('is structural: every node has a type; properties and additionalProperties never meet', () => {
        for (const { path: p, node } of sites) {
          if (node['x-kubernetes-int-or-string'] === true) {
            // The one node without a type a structural schema allows: no type, and at most the anyOf
            // of integer and string that kubebuilder writes.
            assert.equal(node.type, undefined, `${p}: int-or-string with a type`);
            assert.deepEqual(node.anyOf, [{ type: 'integer' }, { type: 'string' }], `${p}: anyOf`);
            continue;
          }
          assert.ok(node.type, `${p || '(root)'} has no type`);
          assert.ok(
            !(node.properties && node.additionalProperties),
            `${p} has properties and additionalProperties`,
          );
          if (node.properties || node.additionalProperties) assert.equal(node.type, 'object', p);
          if (node.items) assert.equal(node.type, 'array', p);
        }
        const metadata = schema.properties?.metadata;
        assert.equal(metadata?.type, 'object');
        for (const key of Object.keys(metadata ?? {}))
          assert.ok(['type', 'properties'].includes(key), `metadata.${key}`);
        for (const key of Object.keys(metadata?.properties ?? {})) {
          assert.ok(
            ['name', 'generateName'].includes(key),
            `only name and generateName may be restricted, not ${key}`,
          );
        }
      });

      it('describes every field (kubectl explain prints these)', () => {
        for (const { path: p, node } of sites) {
          if (p === 'metadata' || p.startsWith('metadata.')) continue;
          assert.ok(
            typeof node.description === 'string' && node.description.length > 10,
            `${p || '(root)'} lacks a description`,
          );
        }
      });

      it('bounds every string, array and map (the API server estimates CEL cost from these)', () => {
        for (const { path: p, node } of sites) {
          if (ROOT_METADATA.has(p) || p.startsWith('metadata.')) continue;
          if (node.type === 'string' && node.enum === undefined && node.format !== 'date-time') {
            assert.ok(typeof node.maxLength === 'number', `${p} has no maxLength`);
          }
          if (node.type === 'array') assert.ok(typeof node.maxItems === 'number', `${p} has no maxItems`);
          if (typeof node.additionalProperties === 'object') {
            assert.ok(typeof node.maxProperties === 'number', `${p} has no maxProperties`);
          }
        }
      });

      it('keys map lists by required scalar fields, and sets hold scalars', () => {
        for (const { path: p, node } of sites) {
          const listType = node['x-kubernetes-list-type'];
          if (listType === 'map') {
            const keys = node['x-kubernetes-list-map-keys'] ?? [];
            assert.ok(keys.length > 0, `${p} is a map list without keys`);
            for (const k of keys) {
              assert.ok(node.items?.required?.includes(k), `${p}: list-map key ${k} must be required`);
              assert.ok(
                ['string', 'integer'].includes(node.items?.properties?.[k]?.type ?? ''),
                `${p}: ${k} not scalar`,
              );
            }
          } else {
            assert.equal(
              node['x-kubernetes-list-map-keys'],
              undefined,
              `${p} has map keys but list-type ${listType}`,
            );
          }
          if (listType === 'set')
            assert.ok(['string', 'integer'].includes(node.items?.type ?? ''), `${p} set of non-scalars`);
        }
      });

      it('writes CEL rules with a message, a reason the API server knows and a fieldPath that exists', () => {
        for (const { path: p, node } of sites) {
          for (const rule of node['x-kubernetes-validations'] ?? []) {
            assert.ok(rule.message && rule.message.length > 10, `${p}: rule ${rule.rule} has no message`);
            if (rule.reason !== undefined)
              assert.ok(ALLOWED_RULE_REASONS.includes(rule.reason), `${p}: ${rule.reason}`);
            if (rule.fieldPath !== undefined) {
              // A dotted path (`.keys.case`) names a property of a property.
              const found = rule.fieldPath
                .replace(/^\./, '')
                .split('.')
                .reduce<typeof node | undefined>((at, field) => at?.properties?.[field], node);
              assert.ok(found, `${p}: fieldPath ${rule.fieldPath} names no property`);
            }
          }
        }
      });

      it('declares defaults that satisfy their own schema', () => {
        const ajv = new Ajv({ strict: false });
        for (const { path: p, node } of sites) {
          if (node.default === undefined) continue;
          const { default: value, ...rest } = node;
          assert.ok(ajv.validate(rest, value), `${p}: default ${JSON.stringify(value)} is invalid`);
        }
      });

      it('compiles every pattern both as a JavaScript and as an RE2-style regular expression', () => {
        for (const { path: p, node } of sites) {
          if (node.pattern === undefined) continue;
          assert.doesNotThrow(() => new RegExp(node.pattern!, 'u'), p);
          // Constructs RE2 (the API server's engine) lacks: lookaround and backreferences.
          assert.doesNotMatch(
            node.pattern,
            /\(\?[=!<]|\\[1-9]/,
            `${p}: pattern uses lookaround or backreferences`,
          );
        }
      });

      it('has printer columns whose JSONPaths resolve on a full object', () => {
        const columns = version.additionalPrinterColumns ?? [];
        const samples: unknown[] =
          names.kind === 'PrefixSync' ? FULL_PREFIX_SYNCS : FULL_CLUSTER_ETCD_SOURCES;
        for (const column of columns) {
          if (column.jsonPath === '.metadata.creationTimestamp') continue;
          if (column.jsonPath === '.spec.endpoints') continue;
          assert.ok(
            samples.some((s) => evalColumnPath(s, column.jsonPath) !== undefined),
            `column ${column.name} (${column.jsonPath}) shows nothing`,
          );
        }
      });
    });
  }

  describe('PrefixSync schema agrees with the TypeScript API', () => {
    const schema = schemaOf('PrefixSync');
    it('has the columns PREFIX, CONFIGMAP, REVISION, KEYS, READY, AGE by default', () => {
      const columns = crdOf('PrefixSync').spec.versions[0]!.additionalPrinterColumns ?? [];
      const shown = columns.filter((c) => !c.priority).map((c) => c.name.toUpperCase());
      assert.deepEqual(shown, ['PREFIX', 'CONFIGMAP', 'REVISION', 'KEYS', 'READY', 'AGE']);
    });
    it('shows the pinned and the held revision with -o wide', () => {
      const columns = crdOf('PrefixSync').spec.versions[0]!.additionalPrinterColumns ?? [];
      const wide = columns
        .filter((c) => c.priority === 1)
        .map((c) => `${c.name.toUpperCase()} ${c.jsonPath}`);
      assert.ok(wide.includes('PINNED .status.pinnedRevision'), wide.join(', '));
      assert.ok(wide.includes('HELD .status.held.revision'), wide.join(', '));
    });
    it('enums match the exported constants', () => {
      assert.deepEqual(nodeAt(schema, 'spec.target.format').enum, [...TARGET_FORMATS]);
      assert.deepEqual(nodeAt(schema, 'spec.keys.separator').enum, [...KEY_SEPARATORS]);
      assert.deepEqual(nodeAt(schema, 'spec.rollout.mode').enum, [...ROLLOUT_MODES]);
      assert.deepEqual(nodeAt(schema, 'spec.rollout.targets[].kind').enum, [...WORKLOAD_KINDS]);
      assert.deepEqual(nodeAt(schema, 'status.rolledOut[].kind').enum, [...WORKLOAD_KINDS]);
      assert.deepEqual(nodeAt(schema, 'spec.deletionPolicy').enum, [...DELETION_POLICIES]);
      assert.deepEqual(nodeAt(schema, 'spec.keys.onInvalid').enum, [...INVALID_KEY_POLICIES]);
      assert.deepEqual(nodeAt(schema, 'spec.keys.case').enum, [...KEY_CASES]);
      assert.deepEqual(nodeAt(schema, 'spec.target.values').enum, [...TARGET_VALUES]);
      assert.deepEqual(nodeAt(schema, 'status.held.reason').enum, [...HELD_REASONS]);
      for (const reason of HELD_REASONS) assert.ok(Object.values(PrefixSyncReason).includes(reason), reason);
      assert.deepEqual(nodeAt(schema, 'spec.rollout.selector.matchExpressions[].operator').enum, [
        ...LABEL_SELECTOR_OPERATORS,
      ]);
    });
    it('defaults and bounds match the exported constants', () => {
      assert.equal(nodeAt(schema, 'spec.target.format').default, DEFAULT_TARGET_FORMAT);
      // No schema default: it depends on the format (`.`, or `_` for env), see defaultKeySeparator.
      assert.equal(nodeAt(schema, 'spec.keys.separator').default, undefined);
      assert.equal(defaultKeySeparator('yaml'), DEFAULT_KEY_SEPARATOR);
      assert.equal(defaultKeySeparator('env'), '_');
      assert.equal(nodeAt(schema, 'spec.keys.case').default, DEFAULT_KEY_CASE);
      assert.equal(nodeAt(schema, 'spec.target.values').default, DEFAULT_TARGET_VALUES);
      assert.equal(nodeAt(schema, 'spec.rollout.mode').default, DEFAULT_ROLLOUT_MODE);
      assert.equal(nodeAt(schema, 'spec.debounce').default, DEFAULT_DEBOUNCE);
      assert.equal(nodeAt(schema, 'spec.suspend').default, DEFAULT_SUSPEND);
      assert.equal(nodeAt(schema, 'spec.deletionPolicy').default, DEFAULT_DELETION_POLICY);
      assert.equal(nodeAt(schema, 'spec.deletionPolicy').default, 'Retain');
      assert.equal(nodeAt(schema, 'spec.prefix').maxLength, PREFIX_MAX_LENGTH);
      assert.equal(nodeAt(schema, 'spec.rollout.targets').maxItems, MAX_ROLLOUT_TARGETS);
      assert.equal(nodeAt(schema, 'metadata.name').maxLength, PREFIX_SYNC_NAME_MAX_LENGTH);
      assert.equal(nodeAt(schema, 'spec.keys.onInvalid').default, DEFAULT_INVALID_KEY_POLICY);
      assert.equal(nodeAt(schema, 'spec.validation.minKeys').default, DEFAULT_MIN_KEYS);
      assert.equal(nodeAt(schema, 'spec.validation.minKeys').maximum, MAX_GUARD_KEY_COUNT);
      assert.equal(nodeAt(schema, 'spec.validation.maxRemoved').maximum, MAX_GUARD_KEY_COUNT);
      assert.equal(nodeAt(schema, 'spec.validation.rules').maxItems, MAX_VALIDATION_RULES);
      assert.equal(nodeAt(schema, 'spec.validation.rules[].rule').maxLength, VALIDATION_RULE_MAX_LENGTH);
      assert.equal(
        nodeAt(schema, 'spec.validation.rules[].message').maxLength,
        VALIDATION_MESSAGE_MAX_LENGTH,
      );
      assert.equal(nodeAt(schema, 'spec.validation.schemas').maxItems, MAX_VALIDATION_SCHEMAS);
      assert.equal(nodeAt(schema, 'spec.validation.schemas[].keys').maxLength, KEY_GLOB_MAX_LENGTH);
      assert.equal(nodeAt(schema, 'spec.pinRevision').maximum, MAX_PIN_REVISION);
      assert.equal(nodeAt(schema, 'status.skippedKeys').maxItems, MAX_SKIPPED_KEYS_LISTED);
      assert.equal(nodeAt(schema, 'status.skippedKeys[]').maxLength, SKIPPED_KEY_MAX_LENGTH);
    });
    it('every field of the CRD is set by the typed full samples', () => {
      assertCovered(schema, FULL_PREFIX_SYNCS);
    });
    it('condition types and reasons fit the condition schema', () => {
      assertConditionsFit(schema, Object.values(PrefixSyncConditionType), Object.values(PrefixSyncReason));
    });
  });

  describe('ClusterEtcdSource schema agrees with the TypeScript API', () => {
    const schema = schemaOf('ClusterEtcdSource');
    it('enums, defaults and bounds match the exported constants', () => {
      assert.equal(nodeAt(schema, 'spec.tls.caSecretRef.key').default, DEFAULT_CA_SECRET_KEY);
      assert.equal(nodeAt(schema, 'spec.endpoints').maxItems, MAX_ENDPOINTS);
      assert.equal(nodeAt(schema, 'spec.access').maxItems, MAX_ACCESS_RULES);
      assert.equal(nodeAt(schema, 'spec.access[].prefixes[]').maxLength, PREFIX_MAX_LENGTH);
      const budget = nodeAt(schema, 'spec.limits.maxMirrorBytes');
      assert.equal(budget.default, DEFAULT_MAX_MIRROR_BYTES);
      assert.equal(budget.maximum, MAX_MIRROR_BYTES_LIMIT);
      assert.equal(budget.pattern, BYTE_QUANTITY_PATTERN);
      assert.equal(budget.maxLength, BYTE_QUANTITY_MAX_LENGTH);
      assert.deepEqual(nodeAt(schema, 'spec.access[].namespaceSelector.matchExpressions[].operator').enum, [
        ...LABEL_SELECTOR_OPERATORS,
      ]);
    });
    it('every field of the CRD is set by the typed full samples', () => {
      assertCovered(schema, FULL_CLUSTER_ETCD_SOURCES);
    });
    it('condition types and reasons fit the condition schema', () => {
      assertConditionsFit(
        schema,
        Object.values(ClusterEtcdSourceConditionType),
        Object.values(ClusterEtcdSourceReason),
      );
    });
  });
});

/** Every property path of the schema (maps' keys aside) is set by at least one sample. */
function assertCovered(schema: SchemaNode, samples: readonly unknown[]): void {
  const set = new Set<string>();
  for (const s of samples) for (const p of valuePaths(s)) set.add(p);
  const missing = schemaSites(schema)
    .filter((site) => site.property !== undefined && !site.path.includes('{}'))
    .map((site) => site.path)
    .filter((p) => !p.startsWith('metadata.') && !set.has(p));
  assert.deepEqual(missing, [], 'fields of the CRD that the TypeScript full samples never set');
}

function assertConditionsFit(schema: SchemaNode, types: string[], reasons: string[]): void {
  const typePattern = new RegExp(nodeAt(schema, 'status.conditions[].type').pattern!, 'u');
  const reasonPattern = new RegExp(nodeAt(schema, 'status.conditions[].reason').pattern!, 'u');
  for (const t of types) assert.match(t, typePattern);
  for (const r of reasons) assert.match(r, reasonPattern);
  assert.equal(new Set(reasons).size, reasons.length, 'reasons are unique');
}
