import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { StartWatch } from './consumer-adapter.js';
import { procCpuMicros } from './proc-cpu.js';

const STDERR_TAIL_BYTES = 2_000;

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
