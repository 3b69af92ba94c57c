// The CRD YAML (schema + CEL, as the API server applies it) and the TypeScript spec validators must agree
// on every sample: good ones pass both; bad ones are refused exactly where the sample says.
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  formatFieldErrors,
  validateClusterEtcdSource,
  validatePrefixSync,
  withClusterEtcdSourceDefaults,
  withPrefixSyncDefaults,
} from '../../../src/api/index.js';
import type { ClusterEtcdSourceSpec, FieldError, PrefixSyncSpec } from '../../../src/api/index.js';
import { validatorsFor } from './support/crd-validator.js';
import type { CrdFieldError } from './support/crd-validator.js';
import { CLUSTER_ETCD_SOURCE_SAMPLES, PREFIX_SYNC_SAMPLES } from './support/samples.js';
import type { Sample } from './support/samples.js';

const CRDS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../crds');
const validators = validatorsFor(CRDS);

function show(errors: readonly (FieldError | CrdFieldError)[]): string {
  return errors.length === 0 ? '(none)' : formatFieldErrors(errors);
}

interface Kind {
  kind: string;
  samples: Sample[];
  validate: (object: unknown) => FieldError[];
  defaults: (spec: unknown) => unknown;
}

const KINDS: Kind[] = [
  {
    kind: 'PrefixSync',
    samples: PREFIX_SYNC_SAMPLES,
    validate: (object) => validatePrefixSync(object),
    defaults: (spec) => withPrefixSyncDefaults(spec as PrefixSyncSpec),
  },
  {
    kind: 'ClusterEtcdSource',
    samples: CLUSTER_ETCD_SOURCE_SAMPLES,
    validate: (object) => validateClusterEtcdSource(object),
    defaults: (spec) => withClusterEtcdSourceDefaults(spec as ClusterEtcdSourceSpec),
  },
];

for (const { kind, samples, validate, defaults } of KINDS) {
  describe(`${kind} samples: CRD schema and spec validator agree`, () => {
    const crd = validators.get(kind);
    it('the CRD is loaded', () => assert.ok(crd, `no CRD for ${kind} in ${CRDS}`));

    for (const sample of samples) {
      const expected = sample.refused;
      it(expected ? `refuses ${sample.name}` : `accepts ${sample.name}`, () => {
        const outcome = crd!.validate(sample.object);
        const spec = sample.object.spec;
        const validatorErrors = validate(sample.object);
        const broken = outcome.errors.filter((e) => e.message.startsWith('rule evaluation error'));
        assert.deepEqual(
          broken,
          [],
          'a CEL rule failed to evaluate (guard it with has() or a pattern check)',
        );

        if (expected?.schema === undefined) {
          assert.deepEqual(outcome.errors, [], `the CRD refused it: ${show(outcome.errors)}`);
        } else {
          assert.ok(
            outcome.errors.some((e) => e.path === expected.schema),
            `the CRD should refuse ${expected.schema}; it said: ${show(outcome.errors)}`,
          );
          const onlyListType = outcome.errors.every((e) => e.origin === 'list-type');
          assert.equal(
            sample.refusedFor === 'list-type',
            onlyListType,
            'refusedFor must say when only list-type refuses',
          );
        }
        if (expected?.validator === undefined) {
          assert.deepEqual(validatorErrors, [], `the validator refused it: ${show(validatorErrors)}`);
        } else {
          assert.ok(
            validatorErrors.some((e) => e.path === expected.validator),
            `the validator should refuse ${expected.validator}; it said: ${show(validatorErrors)}`,
          );
        }
        if (!expected) {
          // What the API server stores (defaults applied) is still valid and means the same.
          const stored = (outcome.object as { spec: unknown }).spec;
          assert.deepEqual(validate(outcome.object), [], 'the defaulted object is refused');
          assert.deepEqual(defaults(stored), defaults(spec), 'the CRD and the defaults function disagree');
        }
      });
    }
  });
}
