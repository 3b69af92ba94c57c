import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { StartWatch } from './consumer-adapter.js';

/** Kernel clock ticks per second for /proc/<pid>/stat times (USER_HZ; 100 on Linux). */
const CLOCK_TICKS_PER_SECOND = 100;
const STDERR_TAIL_BYTES = 2_000;

/** utime + stime of a process from /proc/<pid>/stat, µs; the last reading once the process is gone. */
function procCpuMicros(pid: number, last: { value: number }): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // Fields after the command name, which sits in parentheses and may itself contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    last.value = (ticks * 1_000_000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    // exited: keep the last reading
  }
  return last.value;
}

interface EtcdctlEvent {
  kv: { mod_revision: number; value?: string };
}

/**
 * Go's client through `etcdctl watch -w json`, one process per watch. The CPU charged to it is the
 * etcdctl process's own (decoding, re-encoding as JSON, writing), not this wrapper's parsing.
 */
export const startEtcdctlWatch: StartWatch = (spec, makeTally) => {
  const args = [
    `--endpoints=${spec.endpoints.join(',')}`,
    'watch',
    '--prefix',
    spec.prefix,
    `--rev=${spec.fromRevision}`,
    '-w',
    'json',
  ];
  const child = spawn(process.env['ETCDCTL_BIN'] ?? 'etcdctl', args, {
    env: { ...process.env, ETCDCTL_API: '3' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid!;
  const lastCpu = { value: 0 };
  const cpu = (): number => procCpuMicros(pid, lastCpu);
  const tally = makeTally(cpu);
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (c: string) => (stderr = (stderr + c).slice(-STDERR_TAIL_BYTES)));
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  let isStopping = false;
  child.once('exit', (code, signal) => {
    if (!isStopping)
      tally.error = `etcdctl exited (${code ?? signal}): ${stderr.trim().split('\n').pop() ?? ''}`;
  });
  const lines = createInterface({ input: child.stdout });
  lines.on('line', (line) => {
    if (!line.startsWith('{')) return;
    const res = JSON.parse(line) as { Events?: EtcdctlEvent[] | null };
    for (const ev of res.Events ?? []) {
      tally.event(ev.kv.mod_revision, () => Buffer.from(ev.kv.value ?? '', 'base64'));
    }
  });
  return Promise.resolve({
    async stop() {
      isStopping = true;
      child.kill('SIGTERM');
      await exited;
    },
  });
};
