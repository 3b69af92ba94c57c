import type { ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { scrapeMetric } from '../e2e/support/etcd-metrics.js';
import { leaderElectionFlags } from '../e2e/support/lease.js';
import { spawnOperatorRun } from '../e2e/support/operator-process.js';

/** How much of the log is kept in memory for failure messages (all of it goes to the log file). */
const LOG_TAIL_CHARS = 32 * 1024;

/** Log messages that are writes to the cluster on behalf of a PrefixSync: only a leader may log them. */
export const ACTION_MESSAGES: ReadonlySet<string> = new Set(['configmap written', 'rolled out workload']);

/** Children still running: SIGKILLed if this process exits without closing them (Ctrl-C, a crash). */
const liveChildren = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of liveChildren) c.kill('SIGKILL');
});

/** A log field as text ('' when absent). */
function text(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** One write the replica logged having made. */
export interface ReplicaAction {
  /** The log line's time (ms since the epoch): just after the write was answered. */
  timeMs: number;
  message: string;
  namespace: string;
  name: string;
  /** `configMap@revision` or `workload hash`. */
  detail: string;
}

/**
 * Where the replica may act: from its "became leader" to its "controllers stopped" after a "stopped
 * leading" (or its death).
 */
export interface ActingWindow {
  fromMs: number;
  /** Undefined while it still leads. */
  toMs: number | undefined;
}

/** Options of {@link OperatorReplica.start}. */
export interface OperatorReplicaOptions {
  identity: string;
  kubeconfig: string;
  /** Namespace of the Lease (and of Secrets the sources name). */
  namespace: string;
  leaseName: string;
  /** Every log line goes here. */
  logFile: string;
}

/**
 * One leader-elected `etcd-config-operator run` process, started from the package's bin as a replica
 * of a Deployment would be, at log level debug. Unlike the e2e OperatorProcess it reads its whole log
 * as it comes (a 3-minute run outgrows any tail): it keeps the writes the replica made
 * ({@link actions}), its acting windows, and the etcd endpoint its watch stream last opened on.
 * `kill()` is SIGKILL; everything it started has ended once `exited` resolves.
 */
export class OperatorReplica {
  readonly actions: ReplicaAction[] = [];
  readonly windows: ActingWindow[] = [];
  /** The endpoint of the last `watch stream open` line, and when. */
  watchEndpoint: { endpoint: string; timeMs: number } | undefined;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  readonly exited: Promise<number | string>;
  /** When kill() sent SIGKILL. */
  killedAtMs: number | undefined;
  /** Last characters of the log, for failure messages. */
  private tail = '';
  private readonly logStream: WriteStream;

  private constructor(
    readonly identity: string,
    private readonly child: ChildProcess,
    readonly metricsPort: number,
    logFile: string,
  ) {
    this.logStream = createWriteStream(logFile, { flags: 'a' });
    const lines = createInterface({ input: child.stderr! });
    lines.on('line', (line) => this.onLine(line));
    child.stdout!.resume();
    const closed = new Promise<void>((resolve) => lines.once('close', resolve));
    liveChildren.add(child);
    this.exited = new Promise<number | string>((resolve) => {
      child.once('exit', (code, signal) => {
        liveChildren.delete(child);
        resolve(code ?? signal ?? 'unknown');
      });
      child.once('error', (err) => {
        this.tail += `\nspawn failed: ${err.message}`;
        resolve('spawn-error');
      });
    }).then(async (code) => {
      await closed;
      const open = this.windows[this.windows.length - 1];
      if (open && open.toMs === undefined) open.toMs = this.killedAtMs ?? Date.now();
      await new Promise<void>((resolve) => this.logStream.end(resolve));
      return code;
    });
  }

  /** Spawns the replica; does not wait for it to be ready. */
  static async start(options: OperatorReplicaOptions): Promise<OperatorReplica> {
    const { child, metricsPort } = await spawnOperatorRun({
      kubeconfig: options.kubeconfig,
      logLevel: 'debug',
      flags: leaderElectionFlags({ namespace: options.namespace, name: options.leaseName }, options.identity),
      listenHost: '127.0.0.1',
    });
    return new OperatorReplica(options.identity, child, metricsPort, options.logFile);
  }

  /** Whether the process still runs. */
  get isRunning(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Whether the replica is between a "became leader" and its end. */
  get isActing(): boolean {
    const w = this.windows[this.windows.length - 1];
    return w !== undefined && w.toMs === undefined;
  }

  /** The last lines of the log. */
  get logTail(): string {
    return this.tail;
  }

  private onLine(line: string): void {
    this.logStream.write(`${line}\n`);
    this.tail = (this.tail + line + '\n').slice(-LOG_TAIL_CHARS);
    let entry: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(line);
      if (!parsed || typeof parsed !== 'object') return;
      entry = parsed as Record<string, unknown>;
    } catch {
      return; // not a JSON line (a crash trace): kept in the file and the tail
    }
    const message = text(entry['message']);
    const timeMs = Date.parse(text(entry['time']));
    if (Number.isNaN(timeMs)) return;
    if (message === 'became leader') this.windows.push({ fromMs: timeMs, toMs: undefined });
    else if (message === 'stopped leading') {
      const open = this.windows[this.windows.length - 1];
      if (open && open.toMs === undefined) open.toMs = timeMs;
    } else if (message === 'controllers stopped') {
      // In-flight reconciles end before this line: the acting window lasts until it.
      const last = this.windows[this.windows.length - 1];
      if (last?.toMs !== undefined && timeMs > last.toMs) last.toMs = timeMs;
    } else if (message === 'watch stream open' && typeof entry['endpoint'] === 'string') {
      this.watchEndpoint = { endpoint: entry['endpoint'], timeMs };
    } else if (ACTION_MESSAGES.has(message)) {
      const detail =
        message === 'configmap written'
          ? `${text(entry['configMap'])}@${text(entry['revision'])}`
          : `${text(entry['workload'])} ${text(entry['hash'])}`;
      this.actions.push({
        timeMs,
        message,
        namespace: text(entry['namespace']),
        name: text(entry['name']),
        detail,
      });
    }
  }

  /**
   * The sum over every label set of the counter or gauge `name` on the replica's /metrics; undefined
   * when the series is absent or nothing answers.
   */
  async metric(name: string): Promise<number | undefined> {
    try {
      return await scrapeMetric(`http://127.0.0.1:${this.metricsPort}/metrics`, name);
    } catch {
      return undefined;
    }
  }

  /** SIGKILL, as a crash or an OOM kill would; resolves once the process is gone and its log read. */
  async kill(): Promise<void> {
    if (this.isRunning) {
      this.killedAtMs = Date.now();
      this.child.kill('SIGKILL');
    }
    await this.exited;
  }
}
