import type { Tally } from './tally.js';
import type { WatchSpec } from './protocol.js';

/** A watch that a consumer process runs for one phase. */
export interface RunningWatch {
  /** Cancels the watch and closes the client; resolves once both are done. */
  stop(): Promise<void>;
}

/**
 * How one client under test watches: it creates its client, then its {@link Tally} (passing how to read
 * the CPU of whatever does the watching), then starts watching and feeds every event into the tally.
 */
export type StartWatch = (
  spec: WatchSpec,
  makeTally: (cpuMicros: () => number) => Tally,
) => Promise<RunningWatch>;

/** CPU (user + system) of this process so far, µs. */
export function ownCpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}
