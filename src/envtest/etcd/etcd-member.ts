import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { realClock, sleep } from '../../base/index.js';
import { guardProcess, releaseProcess } from './process-guard.js';

/** How often readiness is polled while waiting for a member. */
const HEALTH_POLL_INTERVAL_MS = 50;
/** Per-request timeout of one readiness probe. */
const HEALTH_PROBE_TIMEOUT_MS = 1_000;
/** Every start attempt gets at least this long to become healthy, even close to a restart deadline. */
const MIN_HEALTH_WAIT_MS = 5_000;
/** Pause before retrying a restart whose port was taken. */
const PORT_RETRY_PAUSE_MS = 200;
/** What etcd logs when another process holds one of its ports. */
const BIND_FAILURE = /address already in use/;
/** How much of a member's stderr is kept for error messages. */
const STDERR_TAIL_BYTES = 16 * 1024;
/** How long SIGSTOP/SIGCONT may take to show in /proc. */
const SIGNAL_DELIVERY_TIMEOUT_MS = 5_000;

/** TLS settings of the client URL of a member (paths to PEM files). */
export interface EtcdServerTls {
  certFile: string;
  keyFile: string;
  /** CA that signs client certificates; required with `clientCertAuth`. */
  trustedCaFile?: string;
  /** Require client certificates (mTLS). */
  clientCertAuth?: boolean;
}

/** Everything needed to run one member; fixed for the member's lifetime so that restarts reuse it. */
export interface EtcdMemberSpec {
  name: string;
  dataDir: string;
  /** Directory the watchdog removes if the test process dies without cleaning up (the cluster's). */
  ownerDir: string;
  clientPort: number;
  peerPort: number;
  /** Plain-HTTP port serving /health and /metrics, independent of client TLS. */
  metricsPort: number;
  /** `--initial-cluster` value naming every member's peer URL. */
  initialCluster: string;
  clusterToken: string;
  etcdBin: string;
  tls?: EtcdServerTls;
  extraArgs: readonly string[];
}

/** Thrown when a member could not bind one of its ports because another process took it first. */
export class PortInUseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PortInUseError';
  }
}

/** The state of a member process. */
export type EtcdMemberState = 'stopped' | 'running' | 'paused';

/**
 * One etcd member process on fixed loopback ports and a fixed data dir. It can be killed, stopped,
 * paused and restarted; a restart reuses the data dir and ports. The member owns its child process;
 * its data dir belongs to the cluster that created it.
 */
export class EtcdMember {
  /** The running child, or undefined while stopped. */
  private child: ChildProcess | undefined;
  /** Resolves when `child` has exited; undefined while stopped. */
  private exited: Promise<void> | undefined;
  /** Last bytes of the current child's stderr, for error messages. */
  private stderrTail = '';
  /** Current state; changed only by {@link transition}. */
  private currentState: EtcdMemberState = 'stopped';

  constructor(private spec: EtcdMemberSpec) {}

  /** The member's name (`--name`). */
  get name(): string {
    return this.spec.name;
  }

  /** `127.0.0.1:<client port>` — what an etcd client dials. */
  get endpoint(): string {
    return `127.0.0.1:${this.spec.clientPort}`;
  }

  /** `http(s)://127.0.0.1:<client port>`. */
  get clientUrl(): string {
    return `${this.spec.tls ? 'https' : 'http'}://${this.endpoint}`;
  }

  /** `http://127.0.0.1:<peer port>`. */
  get peerUrl(): string {
    return `http://127.0.0.1:${this.spec.peerPort}`;
  }

  /** The member's data directory. */
  get dataDir(): string {
    return this.spec.dataDir;
  }

  /** `--initial-cluster` of the member (every member's name and peer URL). */
  get initialCluster(): string {
    return this.spec.initialCluster;
  }

  /** `--initial-cluster-token` the member was (last) bootstrapped with. */
  get clusterToken(): string {
    return this.spec.clusterToken;
  }

  /**
   * Kills the member (SIGKILL) and empties its data dir, so that the next start bootstraps it anew —
   * a wiped member, or one about to receive a restored snapshot. With `clusterToken`, the next start
   * bootstraps with that token instead: a different cluster ID behind the same address.
   */
  async wipe(options: { clusterToken?: string } = {}): Promise<void> {
    await this.kill('SIGKILL');
    await rm(this.spec.dataDir, { recursive: true, force: true });
    await mkdir(this.spec.dataDir, { recursive: true, mode: 0o700 });
    if (options.clusterToken !== undefined) this.spec = { ...this.spec, clusterToken: options.clusterToken };
  }

  /** PID of the running process, or undefined while stopped. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** `running`, `paused` (SIGSTOP) or `stopped`. */
  get state(): EtcdMemberState {
    return this.currentState;
  }

  /** Last lines etcd wrote to stderr (for diagnosing a failed test). */
  get logTail(): string {
    return this.stderrTail;
  }

  private transition(next: EtcdMemberState): void {
    this.currentState = next;
  }

  /**
   * Starts the process (a no-op while running). With `waitForHealth` (default true) resolves once the
   * member reports healthy (it has a leader); throws {@link PortInUseError} on a bind race, or an Error
   * with etcd's stderr if the process exits or the deadline passes first.
   */
  async start(options: { waitForHealth?: boolean; timeoutMs?: number } = {}): Promise<void> {
    if (this.currentState !== 'stopped') return;
    this.spawnProcess();
    if (options.waitForHealth ?? true) await this.waitHealthy(options.timeoutMs ?? 30_000);
  }

  private spawnProcess(): void {
    const s = this.spec;
    const scheme = s.tls ? 'https' : 'http';
    const clientUrl = `${scheme}://127.0.0.1:${s.clientPort}`;
    const args = [
      '--name',
      s.name,
      '--data-dir',
      s.dataDir,
      '--listen-client-urls',
      clientUrl,
      '--advertise-client-urls',
      clientUrl,
      '--listen-peer-urls',
      this.peerUrl,
      '--initial-advertise-peer-urls',
      this.peerUrl,
      '--listen-metrics-urls',
      `http://127.0.0.1:${s.metricsPort}`,
      '--initial-cluster',
      s.initialCluster,
      '--initial-cluster-state',
      'new',
      '--initial-cluster-token',
      s.clusterToken,
      '--heartbeat-interval',
      '50',
      '--election-timeout',
      '500',
      '--logger',
      'zap',
      '--log-outputs',
      'stderr',
      '--log-level',
      'warn',
    ];
    if (s.tls) {
      args.push('--cert-file', s.tls.certFile, '--key-file', s.tls.keyFile);
      if (s.tls.trustedCaFile) args.push('--trusted-ca-file', s.tls.trustedCaFile);
      if (s.tls.clientCertAuth) args.push('--client-cert-auth');
    }
    args.push(...s.extraArgs);

    this.stderrTail = '';
    const child = spawn(s.etcdBin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-STDERR_TAIL_BYTES);
    });
    this.child = child;
    this.exited = new Promise<void>((resolve) => {
      child.once('exit', () => {
        if (child.pid !== undefined) releaseProcess(child.pid);
        if (this.child === child) {
          this.child = undefined;
          this.transition('stopped');
        }
        resolve();
      });
      child.once('error', (err) => {
        this.stderrTail += `\nspawn failed: ${err.message}`;
        if (this.child === child) {
          this.child = undefined;
          this.transition('stopped');
        }
        resolve();
      });
    });
    if (child.pid !== undefined) guardProcess(child.pid, s.ownerDir);
    this.transition('running');
  }

  /**
   * Polls `/health` on the metrics URL until it says healthy. Throws if the process exits meanwhile
   * ({@link PortInUseError} for a bind race) or when `timeoutMs` passes.
   */
  async waitHealthy(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (BIND_FAILURE.test(this.stderrTail)) {
        // etcd exits right after logging this; make sure it has before reporting.
        const tail = this.stderrTail;
        await this.kill();
        throw new PortInUseError(`etcd member ${this.name} could not bind its ports:\n${tail}`);
      }
      if (this.currentState === 'stopped') {
        throw new Error(`etcd member ${this.name} exited before becoming healthy:\n${this.stderrTail}`);
      }
      if (this.currentState === 'running' && (await this.isHealthy())) return;
      if (Date.now() > deadline) {
        throw new Error(`etcd member ${this.name} not healthy within ${timeoutMs} ms:\n${this.stderrTail}`);
      }
      await sleep(realClock, HEALTH_POLL_INTERVAL_MS);
    }
  }

  /** One `/health` probe: true when etcd answers `{"health":"true"}`. */
  isHealthy(): Promise<boolean> {
    return new Promise((resolve) => {
      const req = request(
        { host: '127.0.0.1', port: this.spec.metricsPort, path: '/health', timeout: HEALTH_PROBE_TIMEOUT_MS },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (body += c));
          res.on('end', () => resolve(res.statusCode === 200 && /"health"\s*:\s*"true"/.test(body)));
          res.on('error', () => resolve(false));
        },
      );
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve(false));
      req.end();
    });
  }

  /** Sends `signal` (default SIGKILL) and resolves once the process has exited. No-op when stopped. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    const exited = this.exited;
    if (!child || !exited) return;
    // A stopped process only acts on SIGKILL; let it run so that other signals take effect.
    if (this.currentState === 'paused' && signal !== 'SIGKILL') child.kill('SIGCONT');
    child.kill(signal);
    await exited;
  }

  /** Graceful stop (SIGTERM), waiting for exit. */
  async stop(): Promise<void> {
    await this.kill('SIGTERM');
  }

  /**
   * Freezes the process (SIGSTOP): its sockets stay open but nothing answers. Resolves once the kernel
   * reports it stopped — a signal is delivered asynchronously, and a busy member can still answer a
   * request in between.
   */
  async pause(): Promise<void> {
    if (this.currentState !== 'running' || !this.child) return;
    this.child.kill('SIGSTOP');
    this.transition('paused');
    await this.waitForStopState(true);
  }

  /** Lets a paused process run again (SIGCONT); resolves once it is no longer stopped. */
  async resume(): Promise<void> {
    if (this.currentState !== 'paused' || !this.child) return;
    this.child.kill('SIGCONT');
    this.transition('running');
    await this.waitForStopState(false);
  }

  /** Polls /proc/<pid>/stat until the process is (or is no longer) in state T. No-op without procfs. */
  private async waitForStopState(isStopped: boolean): Promise<void> {
    const pid = this.child?.pid;
    if (pid === undefined) return;
    const deadline = Date.now() + SIGNAL_DELIVERY_TIMEOUT_MS;
    for (;;) {
      let stat: string;
      try {
        stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      } catch {
        return; // no procfs, or the process is gone
      }
      // Field 3, after the parenthesised command name (which may itself contain spaces).
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if ((state === 'T') === isStopped) return;
      if (Date.now() > deadline) {
        throw new Error(`etcd ${this.spec.name} (pid ${pid}) still in state ${state} after signal`);
      }
      await sleep(realClock, 1);
    }
  }

  /**
   * Stops the member if it runs (SIGKILL unless `signal` says otherwise) and starts it again on the same
   * data dir and ports. Waits for health unless `waitForHealth: false` (needed when restarting members
   * of a cluster that has lost quorum one at a time). A port taken meanwhile by another process is
   * retried for a few seconds.
   */
  async restart(
    options: { signal?: NodeJS.Signals; waitForHealth?: boolean; timeoutMs?: number } = {},
  ): Promise<void> {
    await this.kill(options.signal ?? 'SIGKILL');
    const deadline = Date.now() + (options.timeoutMs ?? 30_000);
    for (;;) {
      try {
        await this.start({ waitForHealth: false });
        if (options.waitForHealth ?? true)
          await this.waitHealthy(Math.max(MIN_HEALTH_WAIT_MS, deadline - Date.now()));
        else await this.waitUntilListening(Math.max(deadline, Date.now() + MIN_HEALTH_WAIT_MS));
        return;
      } catch (err) {
        if (!(err instanceof PortInUseError) || Date.now() + PORT_RETRY_PAUSE_MS > deadline) throw err;
        await sleep(realClock, PORT_RETRY_PAUSE_MS);
      }
    }
  }

  /** Without waiting for health, still fail fast on a bind race: wait until /health answers at all. */
  private async waitUntilListening(deadline: number): Promise<void> {
    for (;;) {
      if (BIND_FAILURE.test(this.stderrTail)) {
        const tail = this.stderrTail;
        await this.kill();
        throw new PortInUseError(`etcd member ${this.name} could not bind its ports:\n${tail}`);
      }
      if (this.currentState === 'stopped')
        throw new Error(`etcd member ${this.name} exited:\n${this.stderrTail}`);
      const answered = await new Promise<boolean>((resolve) => {
        const req = request({ host: '127.0.0.1', port: this.spec.metricsPort, path: '/health' }, (res) => {
          res.resume();
          resolve(true);
        });
        req.setTimeout(HEALTH_PROBE_TIMEOUT_MS, () => req.destroy());
        req.on('error', () => resolve(false));
        req.end();
      });
      if (answered) return;
      if (Date.now() > deadline)
        throw new Error(`etcd member ${this.name} not listening:\n${this.stderrTail}`);
      await sleep(realClock, HEALTH_POLL_INTERVAL_MS);
    }
  }
}
