// Messages between the benchmark (parent) and a consumer process (child), over Node's IPC channel.

/** The watch clients compared. */
export const CONSUMERS = ['ours', 'etcd3', 'etcdctl'] as const;
export type ConsumerName = (typeof CONSUMERS)[number];

/** What one consumer watches. Revisions are decimal strings (they cross a JSON channel). */
export interface WatchSpec {
  endpoints: string[];
  prefix: string;
  fromRevision: string;
  /** Events each revision carries (1 for plain puts, N for txns of N puts): more at one revision is a duplicate. */
  eventsPerRevision: number;
  /** Parse the writer's timestamp out of each value and record put→event latency. */
  isLatencyTracked: boolean;
}

export type ParentMessage =
  | { cmd: 'watch'; spec: WatchSpec }
  /** Total events the watch should deliver; the child answers `reached` once it has them all. */
  | { cmd: 'expect'; events: number }
  | { cmd: 'stop' };

/** What one consumer measured for one watch. */
export interface ConsumerResult {
  received: number;
  /** Events seen again (same or older revision than already delivered, or too many at one revision). */
  duplicates: number;
  /** Epoch ms when the watch was started, when the first and the last event arrived (0 if none). */
  startedAt: number;
  firstAt: number;
  lastAt: number;
  /** CPU (user + system) of the watching process from watch start to the last expected event, µs. */
  cpuMicros: number;
  /** Put→event latencies in ms (only with isLatencyTracked), sorted ascending. */
  latenciesMs: number[];
  /**
   * With isLatencyTracked, one entry per event in arrival order: its revision and when it arrived
   * (epoch ms), so that the benchmark can measure against when the writer's put was acknowledged.
   */
  receipts: { revisions: number[]; receivedAt: number[] };
  /** Reconnects the client reported (ours: `reconnected` messages; etcd3: `connected` after the first). */
  reconnects: number;
  /**
   * Re-creations after which etcd's revision was above the last event delivered (writes landed before
   * the watch was back); absent when the client does not report etcd's revision on re-creation.
   */
  recreatedBehind?: number;
  /** How the watch ended early, if it did. */
  error?: string;
}

export type ChildMessage =
  /** The process is up and its client code loaded. */
  | { kind: 'ready' }
  /** The watch asked for has been started (or failed to start: the result will say so). */
  | { kind: 'watching' }
  | { kind: 'first-event' }
  | { kind: 'reached' }
  | { kind: 'result'; result: ConsumerResult };

/** Value prefix carrying the writer's clock: `t=<epoch ms with fraction>;`. */
export const TIMESTAMP_PREFIX = 't=';

/** The writer's timestamp in a value, or undefined for a value that carries none. */
export function timestampOf(value: Buffer): number | undefined {
  // 0x74 0x3d = "t="; parse only the digits so that a 100 KiB value costs no more than a short one.
  if (value.length < 3 || value[0] !== 0x74 || value[1] !== 0x3d) return undefined;
  const end = value.indexOf(0x3b, 2);
  if (end < 0) return undefined;
  return Number(value.toString('latin1', 2, end));
}

/** Epoch milliseconds with sub-millisecond resolution, comparable across processes on this machine. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}
