import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';

/**
 * Makes sure that etcd processes and data dirs started by this process do not outlive it:
 * - on a normal exit, SIGINT or SIGTERM, every registered process is SIGKILLed and every registered
 *   directory removed, synchronously;
 * - against a SIGKILLed test runner (no handler runs), every etcd process gets a tiny `sh` watchdog in
 *   its own session that polls this process once a second and, once it is gone, kills the etcd process
 *   and removes its directory.
 */

/** Live processes by pid → the directory to remove with them. */
const livePids = new Map<number, string>();
/** Directories owned by open clusters. */
const liveDirs = new Set<string>();
/** Whether the exit/signal handlers are installed (once per process, on first use). */
let isInstalled = false;

const WATCHDOG_SCRIPT = [
  'parent=$1; child=$2; dir=$3',
  'while kill -0 "$parent" 2>/dev/null; do',
  '  kill -0 "$child" 2>/dev/null || exit 0',
  '  sleep 1',
  'done',
  'kill -9 "$child" 2>/dev/null',
  'rm -rf "$dir"',
].join('\n');

function cleanupNow(): void {
  for (const pid of livePids.keys()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  livePids.clear();
  for (const dir of liveDirs) rmSync(dir, { recursive: true, force: true });
  liveDirs.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  cleanupNow();
  // We replaced the default action; if nobody else listens, restore it and re-raise so the process
  // still dies of the signal as it would have without us.
  process.removeListener(signal, onSignal);
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function install(): void {
  if (isInstalled) return;
  isInstalled = true;
  process.on('exit', cleanupNow);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

/** Registers a directory to be removed if this process exits before {@link releaseDir}. */
export function guardDir(dir: string): void {
  install();
  liveDirs.add(dir);
}

/** Forgets a directory the caller has removed itself. */
export function releaseDir(dir: string): void {
  liveDirs.delete(dir);
}

/**
 * Registers a child process: it is killed if this process exits, and a watchdog kills it (and removes
 * `dir`) if this process is killed without a chance to run handlers.
 */
export function guardProcess(pid: number, dir: string): void {
  install();
  livePids.set(pid, dir);
  const watchdog = spawn(
    'sh',
    ['-c', WATCHDOG_SCRIPT, 'etcd-watchdog', String(process.pid), String(pid), dir],
    {
      detached: true,
      stdio: 'ignore',
    },
  );
  watchdog.on('error', () => undefined);
  watchdog.unref();
}

/** Forgets a child process that has exited. */
export function releaseProcess(pid: number): void {
  livePids.delete(pid);
}
