import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ChildMessage, ConsumerName, ConsumerResult, ParentMessage, WatchSpec } from './protocol.js';

const CONSUMER_SCRIPT = fileURLToPath(new URL('./consumer.ts', import.meta.url));

/** The benchmark's handle on one consumer process (see consumer.ts). */
export class ConsumerProcess {
  /** Resolvers waiting for a message kind, in arrival order. */
  private readonly waiters: {
    kind: ChildMessage['kind'];
    resolve: (m: ChildMessage) => void;
    reject: (err: Error) => void;
  }[] = [];
  /** Set once the process has exited: every wait fails at once instead of at its deadline. */
  private exitError: Error | undefined;
  /** Kinds that arrived with nobody waiting (e.g. `reached` before the wait began). */
  private readonly arrived: ChildMessage[] = [];
  private readonly exited: Promise<void>;

  private constructor(
    readonly name: ConsumerName,
    private readonly child: ChildProcess,
  ) {
    child.on('message', (m: ChildMessage) => {
      const i = this.waiters.findIndex((w) => w.kind === m.kind);
      if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(m);
      else this.arrived.push(m);
    });
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.exitError = new Error(`${name} consumer exited (${code ?? signal})`);
        for (const w of this.waiters.splice(0)) w.reject(this.exitError);
        resolve();
      }),
    );
  }

  /** Forks a consumer; `nodeFlags` go to its node (e.g. `--cpu-prof`). Resolves once it is ready. */
  static async start(name: ConsumerName, nodeFlags: readonly string[] = []): Promise<ConsumerProcess> {
    const child = fork(CONSUMER_SCRIPT, [name], {
      execArgv: ['--import', 'tsx', ...nodeFlags],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const p = new ConsumerProcess(name, child);
    await p.next('ready', 60_000);
    return p;
  }

  /** Waits for the next message of `kind`; rejects after `timeoutMs`. */
  next(kind: ChildMessage['kind'], timeoutMs: number): Promise<ChildMessage> {
    const i = this.arrived.findIndex((m) => m.kind === kind);
    if (i >= 0) return Promise.resolve(this.arrived.splice(i, 1)[0]!);
    if (this.exitError) return Promise.reject(this.exitError);
    return new Promise((resolve, reject) => {
      const waiter = {
        kind,
        resolve: (m: ChildMessage) => {
          clearTimeout(timer);
          resolve(m);
        },
        reject: (err: Error) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`${this.name}: no '${kind}' within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  private send(message: ParentMessage): void {
    if (this.exitError) throw this.exitError;
    this.child.send(message);
  }

  /** Starts a watch; resolves once the consumer has started it. */
  async watch(spec: WatchSpec): Promise<void> {
    this.arrived.length = 0;
    this.send({ cmd: 'watch', spec });
    await this.next('watching', 60_000);
  }

  expect(events: number): void {
    this.send({ cmd: 'expect', events });
  }

  /** Whether every expected event arrived within `timeoutMs`. */
  async waitReached(timeoutMs: number): Promise<boolean> {
    return this.next('reached', timeoutMs).then(
      () => true,
      () => false,
    );
  }

  /** Stops the watch and returns what it measured. */
  async stop(): Promise<ConsumerResult> {
    this.send({ cmd: 'stop' });
    const m = await this.next('result', 60_000);
    if (m.kind !== 'result') throw new Error('unexpected message');
    return m.result;
  }

  /** Ends the process (closing IPC makes it exit); resolves once it has. */
  async close(): Promise<void> {
    if (this.child.connected) this.child.disconnect();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(timer);
  }
}
