import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import {
  ClusterEtcdSourceConditionType,
  ClusterEtcdSourceReason,
  PrefixSyncConditionType,
  PrefixSyncReason,
} from '../../../src/api/index.js';
import { RUN_USAGE } from '../../../src/cli/run.js';
import { OperatorMetrics } from '../../../src/observability/index.js';
import { OPERATOR_PERMISSIONS } from '../../../src/operator/index.js';
import { familiesOf } from '../../support/metrics.js';
import { REPO_ROOT } from './support/kube-call-sites.js';

const read = (path: string): string => readFileSync(join(REPO_ROOT, path), 'utf8');

interface SchemaNode {
  type?: string;
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
}

/** Every field path below `node`, arrays written `field[]`, as the reference names them. */
function fieldPaths(node: SchemaNode, path: string): string[] {
  const out: string[] = [];
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    const p = `${path}.${key}`;
    out.push(p);
    if (child.type === 'object') out.push(...fieldPaths(child, p));
    if (child.type === 'array' && child.items?.type === 'object')
      out.push(...fieldPaths(child.items, `${p}[]`));
  }
  return out;
}

/** The text of the `## title` section of a Markdown document. */
function section(doc: string, title: string): string {
  const start = doc.indexOf(`\n## ${title}\n`);
  assert.ok(start >= 0, `no section "## ${title}"`);
  const end = doc.indexOf('\n## ', start + 1);
  return doc.slice(start, end < 0 ? undefined : end);
}

describe('the documentation', () => {
  describe('docs/crd-reference.md', () => {
    const doc = read('docs/crd-reference.md');
    for (const file of ['etcdconfig.dev_clusteretcdsources.yaml', 'etcdconfig.dev_prefixsyncs.yaml']) {
      const crd = parse(read(`crds/${file}`)) as {
        spec: { names: { kind: string }; versions: Array<{ schema: { openAPIV3Schema: SchemaNode } }> };
      };
      const kind = crd.spec.names.kind;
      it(`documents every spec and status field of ${kind}, in its section`, () => {
        const root = crd.spec.versions[0]?.schema.openAPIV3Schema;
        assert.ok(root?.properties?.['spec'] && root.properties['status']);
        const text = section(doc, kind);
        const paths = [
          ...fieldPaths(root.properties['spec'], 'spec'),
          ...fieldPaths(root.properties['status'], 'status'),
        ];
        assert.ok(paths.length > 20);
        assert.deepEqual(
          paths.filter((p) => !text.includes(`\`${p}\``)),
          [],
        );
      });
    }
  });

  describe('docs/conditions.md', () => {
    const doc = read('docs/conditions.md');
    const kinds: Array<[string, Record<string, string>[]]> = [
      ['PrefixSync', [PrefixSyncConditionType, PrefixSyncReason]],
      ['ClusterEtcdSource', [ClusterEtcdSourceConditionType, ClusterEtcdSourceReason]],
    ];
    for (const [kind, sets] of kinds) {
      it(`explains every condition type and reason of ${kind} in a table row`, () => {
        const text = section(doc, kind);
        const missing = sets
          .flatMap((set) => Object.values(set))
          .filter((v) => !new RegExp(`^\\| \`${v}\` \\| \\S`, 'm').test(text));
        assert.deepEqual(missing, []);
      });
    }
  });

  describe('docs/metrics.md', () => {
    const doc = read('docs/metrics.md');
    it('lists every metric the operator registers, and no other', async () => {
      // What a scrape lists: the registry's metrics and the per-PrefixSync gauges rendered beside it.
      const registered = familiesOf((await new OperatorMetrics({ defaultMetrics: false }).render()).body);
      assert.ok(registered.length > 10);
      assert.deepEqual(
        registered.filter((n) => !doc.includes(`| \`${n}\` |`)),
        [],
        'undocumented metrics',
      );
      const documented = [...doc.matchAll(/^\| `([a-z_]+)` \|/gm)].map((m) => m[1] ?? '');
      assert.deepEqual(
        documented.filter((n) => !registered.includes(n)),
        [],
        'documented metrics that do not exist',
      );
      assert.deepEqual(
        documented.filter((n, i) => documented.indexOf(n) !== i),
        [],
        'metrics documented twice',
      );
    });
  });

  describe('docs/configuration.md', () => {
    const doc = read('docs/configuration.md');
    const values = parse(read('charts/etcd-config-operator/values.yaml')) as Record<string, unknown>;
    const WHOLE = new Set(['resources', 'podSecurityContext', 'securityContext']);
    const leaves = (obj: Record<string, unknown>, prefix: string): string[] =>
      Object.entries(obj).flatMap(([k, v]) =>
        v !== null &&
        typeof v === 'object' &&
        !Array.isArray(v) &&
        Object.keys(v).length > 0 &&
        !WHOLE.has(prefix + k)
          ? leaves(v as Record<string, unknown>, `${prefix}${k}.`)
          : [prefix + k],
      );

    it('documents every key of values.yaml', () => {
      const keys = leaves(values, '');
      assert.ok(keys.length > 40);
      assert.deepEqual(
        keys.filter((k) => !doc.includes(`| \`${k}\` |`)),
        [],
      );
    });

    it('has a values.schema.json entry for every top-level value', () => {
      const schema = JSON.parse(read('charts/etcd-config-operator/values.schema.json')) as {
        properties: object;
      };
      assert.deepEqual(
        Object.keys(values).filter((k) => !(k in schema.properties)),
        [],
      );
    });

    it('documents every flag of `run`', () => {
      const flags = [...RUN_USAGE.matchAll(/^\s+(--[a-z-]+)/gm)].map((m) => m[1] ?? '');
      assert.ok(flags.length >= 10);
      assert.deepEqual(
        flags.filter((f) => !doc.includes(`| \`${f}\` |`)),
        [],
      );
    });
  });

  it('docs/security.md explains every permission the operator has', () => {
    const doc = read('docs/security.md');
    assert.deepEqual(
      OPERATOR_PERMISSIONS.filter((n) => !doc.includes(`\`${n.resource}\``)).map((n) => n.resource),
      [],
    );
  });
});
