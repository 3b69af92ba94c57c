// What the guard tests share: a guard from a partial spec, and the held verdict of a judgement.
import { strict as assert } from 'node:assert';
import { compileGuard, type Guard, type GuardSpec, type Verdict } from '../../../../src/sync/index.js';

/** No guard at all; tests set the one they try. */
export const NONE: GuardSpec = { minKeys: 0, maxRemoved: undefined, rules: [], schemas: [] };

/** The compiled guard of `spec` (over {@link NONE}); fails the test when it does not compile. */
export function guard(spec: Partial<GuardSpec>): Guard {
  const compiled = compileGuard({ ...NONE, ...spec });
  if (!compiled.ok) assert.fail(JSON.stringify(compiled.errors));
  return compiled.guard;
}

/** The verdict, which must hold the revision. */
export function held(verdict: Verdict): Extract<Verdict, { ok: false }> {
  if (verdict.ok) assert.fail('expected the revision to be held');
  return verdict;
}
