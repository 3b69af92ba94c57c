// The watch stream's vocabulary: what it needs of the connection (WatchTransport), its states and
// the transitions between them (kept apart so that the table is read, and tested, on its own).
import type { OpenedStream, UnaryOptions } from './connection.js';
import type { EtcdMethod } from './proto.js';

/** What the watch stream needs of the connection (implemented by Connection). */
export interface WatchTransport {
  /** Opens a Watch stream on a healthy endpoint (with hasleader and the auth token); throws EtcdError. */
  openStream<Req, Res>(method: EtcdMethod<Req, Res>, deadline: number): Promise<OpenedStream<Req, Res>>;
  /** The stream on `endpoint` failed: prefer another endpoint next time. */
  markFailed(endpoint: string): void;
  /** etcd rejected `token`: fetch a fresh one next time. */
  invalidateToken(token: string | undefined): void;
  /** The current auth token, undefined without auth. */
  currentToken(): Promise<string | undefined>;
  /** A unary request (a member's release, a history check, the probe of a refused create). */
  unary<Req, Res>(method: EtcdMethod<Req, Res>, request: Req, options: UnaryOptions): Promise<Res>;
}

/**
 * - `idle`: no stream (no watchers yet, or after a halt);
 * - `connecting`: a stream is being opened;
 * - `open`: the stream is up; creates are sent one at a time;
 * - `backoff`: the stream was lost; a reconnect is scheduled;
 * - `closed`: close() ran. Terminal.
 */
export type StreamState = 'idle' | 'connecting' | 'open' | 'backoff' | 'closed';

/**
 * Every transition the stream may make, by from-state; transition() refuses any other. `idle` is left
 * only by connect(); a lost call or failed open goes to `backoff` (watchers left) or `idle` (none, or
 * halted); `backoff` only reconnects; `closed` is terminal.
 */
export const STREAM_TRANSITIONS: Readonly<Record<StreamState, readonly StreamState[]>> = {
  idle: ['connecting', 'closed'],
  connecting: ['open', 'backoff', 'idle', 'closed'],
  open: ['backoff', 'idle', 'closed'],
  backoff: ['connecting', 'closed'],
  closed: [],
};
