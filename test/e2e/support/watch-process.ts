// `etcd-config-operator watch …` as a child process, for the CLI's e2e tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../../bin/etcd-config-operator.js', import.meta.url));
/** Generous: the CLI starts through tsx on a loaded 2-core machine, and etcd may restart under it. */
const DEADLINE_MS = 45_000;

/** One line of `--output json`, every field the tests read. */
export interface JsonLine {
  type: string;
  key?: string;
  value?: string;
  keyEncoding?: string;
  valueEncoding?: string;
  error?: string;
  endpoint?: string;
  revision?: string;
  modRevision?: string;
  compactRevision?: string;
  etcdRevision?: string;
  previousClusterId?: string;
  clusterId?: string;
  prevKv?: { key: string; value: string; modRevision: string };
}

/** The process, its output collected as it comes (stdout as bytes: text output prints values raw). */
export class WatchProcess {
  private stdoutBytes = Buffer.alloc(0);
  stderr = '';
  /** The exit status once it exited (null: killed by a signal); undefined while it runs. */
  exitCode: number | null | undefined;
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;
  private readonly listeners = new Set<() => void>();

  constructor(args: readonly string[]) {
    this.child = spawn(process.execPath, [BIN, 'watch', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (c: Buffer) => {
      this.stdoutBytes = Buffer.concat([this.stdoutBytes, c]);
      this.notify();
    });
    this.child.stderr!.setEncoding('utf8');
    this.child.stderr!.on('data', (c: string) => {
      this.stderr += c;
      this.notify();
    });
    this.exited = new Promise((resolve) =>
      this.child.once('close', (code) => {
        this.exitCode = code;
        this.notify();
        resolve(code);
      }),
    );
  }

  /** Everything printed to stdout so far, decoded as UTF-8. */
  get stdout(): string {
    return this.stdoutBytes.toString('utf8');
  }

  private notify(): void {
    for (const l of this.listeners) l();
  }

  /** Complete JSON lines printed so far. */
  get lines(): JsonLine[] {
    return this.stdout
      .split('\n')
      .slice(0, -1)
      .map((l) => JSON.parse(l) as JsonLine);
  }

  events(): JsonLine[] {
    return this.lines.filter((l) => l.type === 'put' || l.type === 'delete');
  }

  /** Resolves once `condition` holds; fails with the output so far after the deadline. */
  async until(condition: () => boolean, what: string): Promise<void> {
    if (condition()) return;
    await new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (!condition()) return;
        cleanup();
        resolve();
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out waiting for ${what}\nstdout:\n${this.stdout}\nstderr:\n${this.stderr}`));
      }, DEADLINE_MS);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
    });
  }

  untilCreated(): Promise<void> {
    return this.until(() => this.lines.some((l) => l.type === 'created'), 'the created line');
  }

  interrupt(): void {
    this.child.kill('SIGINT');
  }

  /** Kills the process if it still runs (cleanup after a failed test). */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }
}
