import { strict as assert } from 'node:assert';
import {
  resolvePrefixSyncSpec,
  type PrefixSync,
  type ResolvedPrefixSyncSpec,
} from '../../../src/api/index.js';
import { Guards } from '../../../src/controller/prefixsync/guard-step.js';
import { ReconcileFailure } from '../../../src/controller/shared/reconcile-failure.js';
import { prefixSync } from './fixtures.js';

function specOf(overrides: Partial<PrefixSync['spec']> = {}): ResolvedPrefixSyncSpec {
  const resolved = resolvePrefixSyncSpec(prefixSync(overrides).spec);
  if (!resolved.ok) throw new Error('fixture spec is invalid');
  return resolved.spec;
}

describe('Guards (compiled guards per PrefixSync)', () => {
  it('shares one compiled guard between PrefixSyncs with one guard spec, and lets it go with its last user', () => {
    const guards = new Guards();
    const plain = specOf();
    const ruled = specOf({ validation: { rules: [{ rule: 'size(data) > 0', message: 'empty' }] } });
    const a = guards.of('ns/a', plain);
    assert.equal(guards.of('ns/b', plain), a, 'same spec, same guard');
    assert.equal(guards.of('ns/a', plain), a, 'asked again');
    assert.equal(guards.compiledCount, 1);
    const c = guards.of('ns/c', ruled);
    assert.notEqual(c, a);
    assert.equal(guards.compiledCount, 2);
    assert.equal(guards.of('ns/a', ruled), c, 'a changed its spec to c’s');
    guards.forget('ns/b');
    assert.equal(guards.compiledCount, 1, 'nobody uses the plain guard any more');
    guards.forget('ns/a');
    guards.forget('ns/a');
    assert.equal(guards.compiledCount, 1, 'c still uses the ruled one; forgetting twice changes nothing');
    guards.forget('ns/c');
    assert.equal(guards.compiledCount, 0);
  });

  it('refuses a rule that does not compile as InvalidSpec and keeps nothing for it', () => {
    const guards = new Guards();
    guards.of('ns/a', specOf());
    const broken = specOf({ validation: { rules: [{ rule: 'size(data) >', message: 'broken' }] } });
    assert.throws(
      () => guards.of('ns/a', broken),
      (err: unknown) => err instanceof ReconcileFailure && err.reason === 'InvalidSpec',
    );
    assert.equal(guards.compiledCount, 0, 'the old guard was released, the broken one never kept');
  });
});
