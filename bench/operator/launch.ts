// How the benchmark starts the operator: the esbuild bundle in `dist/bundle/` (as the image runs it) or
// the TypeScript sources through tsx (as `bin/` does in a checkout).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { freeLoopbackPorts } from '../../src/envtest/etcd/index.js';
import type { OperatorEnv } from '../../test/e2e/support/operator-env.js';
import { waitFor } from '../../test/e2e/support/wait.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DIST_MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));
/** What the image's entrypoint runs (bin/etcd-config-operator.js in an installed package). */
const BUNDLE_MAIN = fileURLToPath(new URL('../../dist/bundle/main.js', import.meta.url));
const LOG_TAIL_BYTES = 64 * 1024;

/** `built`: `node dist/bundle/main.js run` after `npm run build`; `source`: the package bin, i.e. tsx. */
export type Launch = 'built' | 'source';

/** The running operator, whichever way it was started. */
export interface RunningOperator {
  readonly pid: number | undefined;
  waitReady(timeoutMs: number): Promise<void>;
  readonly log: string;
  /** Its plain-HTTP /metrics URL. */
  readonly metricsUrl: string;
  /** Stops it (SIGTERM for a built one, so that `--cpu-prof` can write its profile; then SIGKILL). */
  stop(): Promise<void>;
}

/** Runs `npm run build`; returns a line for the bench output saying what was built. */
export function buildOperator(): string {
  const r = spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, encoding: 'utf8' });
  if (!existsSync(DIST_MAIN))
    throw new Error(`npm run build produced no dist/main.js:\n${r.stdout}${r.stderr}`);
  // tsc's type errors stop `npm run build` before the bundle step, with dist/ emitted anyway.
  const bundled =
    r.status === 0 ||
    spawnSync(process.execPath, ['scripts/bundle.mjs'], { cwd: ROOT, stdio: 'inherit' }).status === 0;
  if (!bundled || !existsSync(BUNDLE_MAIN))
    throw new Error('scripts/bundle.mjs produced no dist/bundle/main.js');
  const errors = (r.stdout.match(/error TS\d+/g) ?? []).length;
  const run = 'run as `node dist/bundle/main.js run`, the esbuild bundle (as the image runs it)';
  return r.status === 0
    ? `operator: built with \`npm run build\`, ${run}`
    : `operator: built with \`npm run build\` (tsc reported ${errors} type errors, output emitted anyway), ${run}`;
}

class BuiltOperator implements RunningOperator {
  private tail = '';
  private readonly exited: Promise<void>;

  readonly metricsUrl: string;

  constructor(
    private readonly child: ChildProcess,
    private readonly probePort: number,
    metricsPort: number,
  ) {
    this.metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    const keep = (c: string): void => void (this.tail = (this.tail + c).slice(-LOG_TAIL_BYTES));
    child.stderr!.setEncoding('utf8').on('data', keep);
    child.stdout!.setEncoding('utf8').on('data', keep);
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get log(): string {
    return this.tail;
  }

  private get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async waitReady(timeoutMs: number): Promise<void> {
    await waitFor(
      'the operator /readyz to answer 200',
      async () => {
        if (!this.running) throw new Error(`the operator exited:\n${this.tail.slice(-2000)}`);
        const res = await fetch(`http://127.0.0.1:${this.probePort}/readyz`, {
          signal: AbortSignal.timeout(5_000),
        });
        return res.status === 200 || `HTTP ${res.status}`;
      },
      timeoutMs,
    );
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(timer);
  }
}

/**
 * The V8 heap limit the chart gives the operator by default (NODE_OPTIONS=--max-old-space-size: 75 % of
 * its 512Mi memory limit, values.yaml heapPercentOfMemoryLimit). Without one, V8 sizes the heap from the
 * machine's memory and lets garbage grow: RSS then says more about the machine than about the operator.
 */
export const CHART_HEAP_MIB = 384;

/**
 * Starts an operator against `env` with the same flags the e2e harness uses (no leader election,
 * metrics and probes on free loopback ports). `cpuProfDir` (built only) adds node's `--cpu-prof`;
 * `heapMiB` (built only; 0: none) its `--max-old-space-size`, as the chart sets it; `nodeArgs` (built
 * only) more node flags, for tuning experiments.
 */
export async function startOperator(
  env: OperatorEnv,
  launch: Launch,
  operatorArgs: readonly string[],
  cpuProfDir?: string,
  heapMiB = CHART_HEAP_MIB,
  nodeArgs: readonly string[] = [],
): Promise<RunningOperator> {
  if (launch === 'source') {
    const op = await env.startOperator();
    return {
      pid: op.pid,
      waitReady: (ms) => op.waitReady(ms),
      get log() {
        return op.log;
      },
      metricsUrl: `http://127.0.0.1:${op.metricsPort}/metrics`,
      stop: () => op.kill(),
    };
  }
  const [metricsPort, probePort] = (await freeLoopbackPorts(2)) as [number, number];
  const args = [
    ...(cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', cpuProfDir] : []),
    ...(heapMiB > 0 ? [`--max-old-space-size=${heapMiB}`] : []),
    ...nodeArgs,
    BUNDLE_MAIN,
    'run',
    '--kubeconfig',
    env.kubeconfigPath,
    '--leader-elect=false',
    '--metrics-addr',
    `:${metricsPort}`,
    '--probe-addr',
    `:${probePort}`,
    // Plain-HTTP metrics (the local opt-out), so the bench reads them without a token.
    '--metrics-secure=false',
    '--log-level',
    'info',
    ...operatorArgs,
  ];
  return new BuiltOperator(
    spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] }),
    probePort,
    metricsPort,
  );
}
