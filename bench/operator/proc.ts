// What the benchmark reads about the operator process from outside it, as `top` or `ps` would: Linux
// /proc (CPU time, resident memory, open file descriptors).
import { readFile, readdir } from 'node:fs/promises';

/** USER_HZ: the unit of /proc/<pid>/stat's CPU times (100 on every Linux we run). */
const CLOCK_TICKS_PER_S = 100;

/** utime + stime of `pid` in seconds. */
export async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // The command name in parentheses may hold spaces: fields are counted after its closing ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S;
}

/** VmRSS of `pid` in MiB (NaN when /proc does not say). */
export async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}

/** Open file descriptors of `pid` (entries of /proc/<pid>/fd: sockets, files, pipes, epoll…). */
export async function openFds(pid: number): Promise<number> {
  return (await readdir(`/proc/${pid}/fd`)).length;
}

/** One look at a process's resources. */
export interface ProcSample {
  cpuS: number;
  rssMiB: number;
  fds: number;
}

/** CPU, RSS and fds of `pid`, read together. */
export async function sampleProc(pid: number): Promise<ProcSample> {
  const [cpuS, rss, fds] = await Promise.all([cpuSeconds(pid), rssMiB(pid), openFds(pid)]);
  return { cpuS, rssMiB: rss, fds };
}
