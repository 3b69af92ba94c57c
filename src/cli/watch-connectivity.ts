// Whether `watch` can reach etcd, for the "waiting" and "connected" lines: the etcd client retries an
// unreachable cluster for ever and says so only in its log, so `watch` hands it this logger and reads
// the two stream events it logs (static event names, never error text) as state changes.
import type { LogFields, Logger } from '../observability/index.js';
import type { WatchLine } from './watch-format.js';

/** The watch stream's log events (src/etcd/watch-stream.ts) that change what `watch` tells the user. */
const STREAM_LOST = 'watch stream lost, reconnecting';
const STREAM_OPEN = 'watch stream open';

function textOf(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value : fallback;
}

/** `unknown` until the first connection or failure; `waiting` from a failure until etcd answers. */
type Reachability = 'unknown' | 'connected' | 'waiting';

/**
 * A Logger for the etcd client that writes nothing and reports reachability changes to `report`:
 * `waiting` once when the stream is lost (not on every retry of the same outage), `connected` when a
 * stream opens after that. `report` is called synchronously from the client's callbacks.
 */
export class ConnectivityTracker implements Logger {
  /** Changes only in {@link note}. */
  private state: Reachability = 'unknown';

  constructor(private readonly report: (line: WatchLine) => void) {}

  private note(message: string, fields: LogFields | undefined): void {
    if (message === STREAM_LOST && this.state !== 'waiting') {
      this.state = 'waiting';
      this.report({ type: 'waiting', error: textOf(fields?.['error'], 'connection lost') });
    } else if (message === STREAM_OPEN) {
      const wasWaiting = this.state === 'waiting';
      this.state = 'connected';
      if (wasWaiting) this.report({ type: 'connected', endpoint: textOf(fields?.['endpoint'], '') });
    }
  }

  error(message: string, fields?: LogFields): void {
    this.note(message, fields);
  }
  warn(message: string, fields?: LogFields): void {
    this.note(message, fields);
  }
  info(message: string, fields?: LogFields): void {
    this.note(message, fields);
  }
  debug(message: string, fields?: LogFields): void {
    this.note(message, fields);
  }
  child(): Logger {
    return this;
  }
}
