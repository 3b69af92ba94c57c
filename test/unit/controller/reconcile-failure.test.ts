import { strict as assert } from 'node:assert';
import {
  ReconcileAborted,
  ReconcileFailure,
  type FailureHandling,
} from '../../../src/controller/shared/reconcile-failure.js';
import { TerminalError } from '../../../src/runtime/index.js';

describe('ReconcileFailure (the controller layer’s one failure vocabulary)', () => {
  const cases: [FailureHandling, string][] = [
    ['terminal', 'TerminalError: no retry'],
    ['retry', 'Error: retried with backoff'],
    ['wait', 'nothing: the reconcile returns and waits for its triggers'],
  ];
  for (const [handling, what] of cases) {
    it(`${handling} → ${what}`, () => {
      const failure = new ReconcileFailure('SomeReason', 'what went wrong', handling);
      const engine = failure.toEngineError();
      if (handling === 'wait') return assert.equal(engine, undefined);
      assert.ok(engine instanceof Error);
      assert.equal(engine instanceof TerminalError, handling === 'terminal');
      assert.equal(engine.cause, failure);
      assert.match(engine.message, /what went wrong/);
    });
  }

  it('a stopping controller is not a failure of the object', () => {
    const aborted = new ReconcileAborted();
    assert.equal(aborted instanceof ReconcileFailure, false);
    assert.match(aborted.message, /stopping/);
  });
});
