// Every example in examples/ must be accepted by the CRDs (schema + CEL) and by the spec validators, and
// together they must show what the README promises: each format the docs name and each rollout mode,
// with every PrefixSync allowed by the access rules of the source it names.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import {
  API_VERSION,
  checkAccess,
  formatFieldErrors,
  validateClusterEtcdSourceSpec,
  validatePrefixSyncSpec,
  withPrefixSyncDefaults,
} from '../../../src/api/index.js';
import type { ClusterEtcdSource, PrefixSync } from '../../../src/api/index.js';
import { validatorsFor } from './support/crd-validator.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const EXAMPLES = path.join(ROOT, 'examples');
const validators = validatorsFor(path.join(ROOT, 'crds'));

interface Doc {
  file: string;
  object: {
    apiVersion?: string;
    kind?: string;
    metadata?: { name?: string; labels?: Record<string, string> };
  };
}

function loadExamples(): Doc[] {
  const docs: Doc[] = [];
  for (const file of readdirSync(EXAMPLES)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()) {
    for (const doc of parseAllDocuments(readFileSync(path.join(EXAMPLES, file), 'utf8'))) {
      assert.deepEqual(doc.errors, [], `${file} is not valid YAML`);
      const object = doc.toJS() as Doc['object'] | null;
      if (object) docs.push({ file, object });
    }
  }
  return docs;
}

describe('examples/', () => {
  const docs = loadExamples();
  const ours = docs.filter((d) => d.object.apiVersion === API_VERSION);
  const prefixSyncs = ours
    .filter((d) => d.object.kind === 'PrefixSync')
    .map((d) => d.object as unknown as PrefixSync);
  const sources = ours
    .filter((d) => d.object.kind === 'ClusterEtcdSource')
    .map((d) => d.object as unknown as ClusterEtcdSource);

  it('holds examples of both kinds', () => {
    assert.ok(prefixSyncs.length >= 3 && sources.length >= 2, `${prefixSyncs.length} / ${sources.length}`);
  });

  for (const { file, object } of ours) {
    it(`${file}: ${object.kind} ${object.metadata?.name} is accepted by the CRD and the validator`, () => {
      const crd = validators.get(object.kind ?? '');
      assert.ok(crd, `no CRD for kind ${object.kind}`);
      const { errors } = crd.validate(object);
      assert.deepEqual(errors, [], formatFieldErrors(errors));
      const spec = (object as { spec?: unknown }).spec;
      const problems =
        object.kind === 'PrefixSync' ? validatePrefixSyncSpec(spec) : validateClusterEtcdSourceSpec(spec);
      assert.deepEqual(problems, [], formatFieldErrors(problems));
    });
  }

  it('show the files, yaml and env formats and every rollout mode', () => {
    const specs = prefixSyncs.map((p) => withPrefixSyncDefaults(p.spec));
    for (const format of ['files', 'yaml', 'env']) {
      assert.ok(
        specs.some((s) => s.target.format === format),
        `no example of format ${format}`,
      );
    }
    for (const mode of ['none', 'targets', 'auto']) {
      assert.ok(
        specs.some((s) => s.rollout.mode === mode),
        `no example of rollout mode ${mode}`,
      );
    }
  });

  it('show TLS, auth and both kinds of access rule on a ClusterEtcdSource', () => {
    assert.ok(sources.some((s) => s.spec.tls?.caSecretRef && s.spec.tls.certSecretRef && s.spec.auth));
    assert.ok(sources.some((s) => s.spec.access?.some((r) => r.namespaces)));
    assert.ok(sources.some((s) => s.spec.access?.some((r) => r.namespaceSelector)));
  });

  it("allow every PrefixSync by its source's access rules", () => {
    const namespaceLabels = new Map(
      docs
        .filter((d) => d.object.apiVersion === 'v1' && d.object.kind === 'Namespace')
        .map((d) => [d.object.metadata?.name ?? '', d.object.metadata?.labels ?? {}]),
    );
    for (const ps of prefixSyncs) {
      const reads = ps.spec.sources ?? [{ prefix: ps.spec.prefix ?? '' }];
      for (const read of reads) {
        const sourceName = read.sourceRef?.name ?? ps.spec.sourceRef.name;
        const source = sources.find((s) => s.metadata.name === sourceName);
        assert.ok(source, `${ps.metadata.name} names a source no example defines`);
        const namespace = ps.metadata.namespace ?? 'default';
        const decision = checkAccess(
          source.spec.access ?? [],
          { name: namespace, labels: namespaceLabels.get(namespace) ?? {} },
          read.prefix,
        );
        assert.ok(decision.allowed, `${namespace}/${ps.metadata.name} may not read ${read.prefix}`);
      }
    }
  });
});
