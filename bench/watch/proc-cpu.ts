import { readFileSync } from 'node:fs';

/** Kernel clock ticks per second for /proc/<pid>/stat times (USER_HZ; 100 on Linux). */
const CLOCK_TICKS_PER_SECOND = 100;

/**
 * utime + stime of another process from /proc/<pid>/stat, µs (10 ms resolution); `last.value` keeps the
 * last reading so that a process that has exited still answers with what it had used.
 */
export function procCpuMicros(pid: number, last: { value: number } = { value: 0 }): number {
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
