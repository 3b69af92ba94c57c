import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freeLoopbackPorts } from '../../../src/envtest/etcd/index.js';
import { waitFor } from './wait.js';

const BIN = fileURLToPath(new URL('../../../bin/etcd-config-operator.js', import.meta.url));
/** How much of the operator's stderr is kept for failure messages. */
const LOG_TAIL_BYTES = 64 * 1024;

/** Options of {@link spawnOperatorRun}. */
export interface SpawnOperatorRunOptions {
  kubeconfig: string;
  logLevel: string;
  /** Flags after the standard ones (a later flag wins over an earlier one). */
  flags: readonly string[];
  /** Host part of `--metrics-addr` and `--probe-addr`; default '' (every interface, as `run` itself binds). */
  listenHost?: string;
  /**
   * The script node runs; default the package's bin (the TypeScript sources through tsx in a checkout).
   * After `npm run build`, `dist/bundle/main.js` runs what ships (the esbuild bundle the image and the
   * installed package run), e.g. to measure it; `dist/main.js` runs tsc's module graph.
   */
  entry?: string;
}

/** A just-spawned `etcd-config-operator run` and the ports of its metrics and probes. */
export interface SpawnedOperatorRun {
  /** stdin ignored; stdout and stderr piped, for the caller to read. */
  child: ChildProcess;
  metricsPort: number;
  probePort: number;
}

/**
 * Spawns `etcd-config-operator run` from the package's bin, as a user starts it locally: `--kubeconfig`,
 * metrics and probes on two free loopback ports, `--log-level`, `--metrics-secure=false` (plain-HTTP
 * metrics, the local opt-out, so tests scrape without a token), then `flags` (which may turn it back
 * on). Does not wait for it to be ready; a failure to spawn shows as the child's `error` event, not as a
 * rejection.
 */
export async function spawnOperatorRun(options: SpawnOperatorRunOptions): Promise<SpawnedOperatorRun> {
  const [metricsPort, probePort] = (await freeLoopbackPorts(2)) as [number, number];
  const host = options.listenHost ?? '';
  const args = [
    options.entry ?? BIN,
    'run',
    '--kubeconfig',
    options.kubeconfig,
    '--metrics-addr',
    `${host}:${metricsPort}`,
    '--probe-addr',
    `${host}:${probePort}`,
    '--log-level',
    options.logLevel,
    '--metrics-secure=false',
    ...options.flags,
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  return { child, metricsPort, probePort };
}

/** Options of {@link OperatorProcess.start}. */
export interface OperatorProcessOptions {
  kubeconfig: string;
  /** Default `info`. */
  logLevel?: string;
  /** Extra flags after the standard ones. */
  extraArgs?: readonly string[];
  /** Campaign for the Lease as a replica would (the default of `run`); default false (run alone). */
  leaderElect?: boolean;
  /** See {@link SpawnOperatorRunOptions.entry}. */
  entry?: string;
}

/**
 * `etcd-config-operator run` as a child process, exactly as a user starts it (the package's bin), with
 * leader election off unless asked for, and metrics/probes on free loopback ports. Keeps the tail of
 * its JSON log.
 */
export class OperatorProcess {
  /** Last bytes of stderr (JSON log lines). */
  private logTail = '';
  /** Resolves with the exit code (or the signal name) once the process has exited. */
  readonly exited: Promise<number | string>;

  private constructor(
    private readonly child: ChildProcess,
    /** Port of `--metrics-addr`. */
    readonly metricsPort: number,
    /** Port of `--probe-addr`. */
    readonly probePort: number,
  ) {
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (c: string) => (this.logTail = (this.logTail + c).slice(-LOG_TAIL_BYTES)));
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (c: string) => (this.logTail = (this.logTail + c).slice(-LOG_TAIL_BYTES)));
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
      child.once('error', (err) => {
        this.logTail += `\nspawn failed: ${err.message}`;
        resolve('spawn-error');
      });
    });
  }

  /** Spawns the operator; does not wait for it to be ready (wait on what it does instead). */
  static async start(options: OperatorProcessOptions): Promise<OperatorProcess> {
    const { child, metricsPort, probePort } = await spawnOperatorRun({
      kubeconfig: options.kubeconfig,
      logLevel: options.logLevel ?? 'info',
      flags: [...(options.leaderElect ? [] : ['--leader-elect=false']), ...(options.extraArgs ?? [])],
      ...(options.entry !== undefined ? { entry: options.entry } : {}),
    });
    return new OperatorProcess(child, metricsPort, probePort);
  }

  /** The operator's recent output, for failure messages. */
  get log(): string {
    return this.logTail;
  }

  /** The operator's process id (undefined if it could not be spawned). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Whether the process still runs. */
  get isRunning(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** GET on one of the operator's HTTP ports; resolves with status and body (throws when nothing listens). */
  async httpGet(port: number, path: string): Promise<{ status: number; body: string }> {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(5_000) });
    return { status: res.status, body: await res.text() };
  }

  /** Resolves once `/readyz` answers 200. */
  async waitReady(timeoutMs?: number): Promise<void> {
    await waitFor(
      'the operator /readyz to answer 200',
      async () => {
        if (!this.isRunning) throw new Error(`the operator exited:\n${this.log.slice(-2000)}`);
        const r = await this.httpGet(this.probePort, '/readyz');
        return r.status === 200 || `HTTP ${r.status} ${r.body.slice(0, 200)}`;
      },
      timeoutMs,
    );
  }

  /** SIGSTOP: the process holds its connections but reads nothing (a stalled or throttled pod). */
  pause(): void {
    if (this.isRunning) this.child.kill('SIGSTOP');
  }

  /** SIGCONT after {@link pause}. */
  resume(): void {
    if (this.isRunning) this.child.kill('SIGCONT');
  }

  /** SIGKILL, as a crash or an OOM kill would; resolves once the process is gone. */
  async kill(): Promise<void> {
    if (this.isRunning) this.child.kill('SIGKILL');
    await this.exited;
    // (SIGKILL also ends a stopped process.)
  }

  /** SIGTERM; resolves with the exit code and how long the exit took. */
  async terminate(): Promise<{ code: number | string; ms: number }> {
    const t0 = Date.now();
    if (this.isRunning) this.child.kill('SIGTERM');
    const code = await this.exited;
    return { code, ms: Date.now() - t0 };
  }
}
