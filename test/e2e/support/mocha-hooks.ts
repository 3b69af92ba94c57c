import type { OperatorEnv } from './operator-env.js';

/**
 * Registers an afterEach that prints the tail of the operator's log when a test failed: the first
 * thing anyone debugging an e2e failure needs.
 */
export function dumpOperatorLogOnFailure(env: () => OperatorEnv | undefined): void {
  afterEach(function () {
    if (this.currentTest?.state !== 'failed') return;
    const log = env()?.operatorLog ?? '(no env)';
    process.stderr.write(
      `\n--- operator log (tail) for "${this.currentTest.title}" ---\n${log.slice(-6000)}\n---\n`,
    );
  });
}
