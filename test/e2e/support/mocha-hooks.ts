import { OperatorEnv, type OperatorEnvOptions } from './operator-env.js';

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

/** How long starting etcd, the simulator, the CRDs and the operator may take on a loaded machine. */
const ENV_START_TIMEOUT_MS = 120_000;

/**
 * Registers the hooks of a describe block whose tests share one OperatorEnv: started before them (with
 * `options`, as OperatorEnv.start), closed after them, the operator's log printed for a failed test.
 * Returns the accessor the tests use; it throws when called before the environment has started.
 */
export function useOperatorEnv(options?: OperatorEnvOptions): () => OperatorEnv {
  let env: OperatorEnv | undefined;
  dumpOperatorLogOnFailure(() => env);
  before(async function () {
    this.timeout(ENV_START_TIMEOUT_MS);
    env = await OperatorEnv.start(options);
  });
  after(async () => {
    await env?.close();
  });
  return () => {
    if (!env) throw new Error('the OperatorEnv has not started (used outside a test?)');
    return env;
  };
}
