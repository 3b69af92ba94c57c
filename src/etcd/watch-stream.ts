// The one bidirectional Watch stream of a client and its state machine: opening, losing and reopening
// the gRPC call, creating watches one at a time, applying every response to its watcher, pausing a
// watch whose consumer fell behind, and ending watches. Its helpers each have one job and only report
// back or hold data: WatchCall (what lives and dies with one call), CreateQueue (which create goes out
// next), HistoryVerifier (did etcd go back behind a watch?), CreateRefusalProbe (why was a create
// refused?), decideStreamLoss (halt or retry?).
import type { Backoff } from '../base/index.js';
import type { Logger } from '../observability/index.js';
import { CreateQueue } from './create-queue.js';
import { CreateRefusalProbe, type RefusalVerdict } from './create-refusal-probe.js';
import {
  ClientClosedError,
  CompactedError,
  UnavailableError,
  WatchCanceledError,
  toEtcdError,
  type EtcdError,
} from './errors.js';
import { HistoryVerifier, type HistoryVerdict } from './history-verifier.js';
import { decideStreamLoss } from './stream-loss.js';
import { WATCH, WatchCall } from './watch-call.js';
import { STREAM_TRANSITIONS, type StreamState, type WatchTransport } from './watch-stream-state.js';
import type { WatchResponseMessage } from './watch-response-decoder.js';
import type { Watcher, WatcherHost } from './watcher.js';

export { STREAM_TRANSITIONS } from './watch-stream-state.js';
export type { StreamState, WatchTransport } from './watch-stream-state.js';

/**
 * The one bidirectional Watch stream of a client, multiplexing every watch (etcd's watch ids). This
 * object owns all shared watch state; gRPC callbacks, watchers and helpers only call its methods. On a
 * lost stream it re-creates every open watch from its resume point on the next healthy endpoint after
 * a capped, jittered backoff; on what cannot heal it ends every watch with the typed error.
 */
export class WatchStream implements WatcherHost {
  private state: StreamState = 'idle';
  /** The current call while `open` (undefined otherwise); callbacks from any other call are ignored. */
  private call: WatchCall | undefined;
  /**
   * The auth token of the last call opened, kept after it is dropped: a loss is judged by the token
   * the stream last carried, a failed open too (see decideStreamLoss).
   */
  private lastCallToken: string | undefined;
  /** Every watcher not yet done, in creation order of `seq`. */
  private readonly live = new Set<Watcher>();
  /** Watchers waiting for their create, and the one create in flight (a created reply names no request). */
  private readonly creates = new CreateQueue();
  /** Pending reconnect timer while `backoff`. */
  private reconnectTimer: NodeJS.Timeout | undefined;
  /** Stream opens, release questions, history checks and probes in flight; joined by close(). */
  private readonly pending = new Set<Promise<void>>();
  /** Counter for watcher `seq`. */
  private nextSeq = 0;
  /** Aborted by close(): ends the history checks' retry waits and silences late probe answers. */
  private readonly closeSignal = new AbortController();
  /** Went-back checks: cluster ID of every reply, and confirmation of replies below a watch's revision. */
  private readonly history: HistoryVerifier;
  /** Classifies creates etcd answered with created+canceled. */
  private readonly refusals: CreateRefusalProbe;

  constructor(
    private readonly connection: WatchTransport,
    private readonly backoff: Backoff,
    private readonly connectTimeoutMs: number,
    private readonly logger: Logger,
    /** Whether creates ask etcd to fragment big responses (see EtcdClientOptions.watchFragment). */
    private readonly isFragmentRequested = false,
  ) {
    this.history = new HistoryVerifier(connection, backoff, logger, this.closeSignal.signal, (w, verdict) =>
      this.applyHistoryVerdict(w, verdict),
    );
    this.refusals = new CreateRefusalProbe(connection, logger, this.closeSignal.signal, (w, verdict) =>
      this.applyRefusalVerdict(w, verdict),
    );
  }

  /** Endpoint of the stream while it is open (for diagnostics and tests). */
  get endpoint(): string | undefined {
    return this.state === 'open' ? this.call?.endpoint : undefined;
  }

  /**
   * The etcd release of the member serving the open stream, once known (asked with one
   * Maintenance.Status per stream; unknown when that answer came from another member).
   */
  get serverVersion(): string | undefined {
    return this.state === 'open' ? this.call?.serverVersion : undefined;
  }

  /** Next watcher sequence number. */
  allocateSeq(): number {
    return this.nextSeq++;
  }

  /**
   * Registers a new watcher (in its first state, `queued`) and makes sure it gets created. Throws
   * ClientClosedError after close().
   */
  add(watcher: Watcher): void {
    if (this.state === 'closed') throw new ClientClosedError();
    this.live.add(watcher);
    this.creates.add(watcher);
    if (this.state === 'idle') this.connect();
    else this.sendNextCreate();
  }

  /** Asks etcd for a progress reply on every watch of the stream (no-op while the stream is down). */
  requestProgress(): void {
    if (this.state !== 'open' || !this.call) return;
    this.call.requestProgress();
  }

  /** Moves `watcher` back to `queued` and into the create queue; nothing if it refuses to move. */
  private enqueue(watcher: Watcher): void {
    if (watcher.requeue()) this.creates.add(watcher);
  }

  /**
   * The one place the stream changes state, guarded by STREAM_TRANSITIONS: a transition not in the
   * table is a bug; it is logged at error and ignored (never thrown: callers are gRPC and timer
   * callbacks), and false is returned so the caller does not act on a state it is not in.
   */
  private transition(next: StreamState): boolean {
    if (!STREAM_TRANSITIONS[this.state].includes(next)) {
      this.logger.error('watch stream transition refused', { from: this.state, to: next });
      return false;
    }
    this.logger.debug('watch stream state', { from: this.state, to: next });
    this.state = next;
    return true;
  }

  /** Joins `work` (which never rejects) in close(). */
  private track(work: Promise<void>): void {
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work));
  }

  // ---- stream lifecycle ------------------------------------------------------------------------

  private connect(): void {
    if (!this.transition('connecting')) return;
    const opening = this.connection
      .openStream(WATCH, Date.now() + this.connectTimeoutMs)
      .then((opened) => {
        if (this.state !== 'connecting') {
          opened.connected.catch(() => undefined);
          opened.call.cancel();
          return;
        }
        const handlers = {
          onResponse: (c: WatchCall, res: WatchResponseMessage) => this.onResponse(c, res),
          onEnded: (c: WatchCall, err: EtcdError) => this.onCallEnded(c, err),
        };
        const call = new WatchCall(opened, handlers, this.logger);
        this.call = call;
        this.lastCallToken = call.token;
        this.transition('open');
        this.logger.debug('watch stream open', { endpoint: call.endpoint, watches: this.live.size });
        this.track(call.askServerVersion(this.connection));
        this.sendNextCreate();
      })
      .catch((err: unknown) => {
        if (this.state === 'connecting') this.onStreamLost(toEtcdError(err));
      });
    this.track(opening);
  }

  private onCallEnded(call: WatchCall, err: EtcdError): void {
    if (call !== this.call) return; // an older call, already handled
    this.onStreamLost(err);
  }

  /**
   * Applies THE "HALT OR RETRY?" DECISION for the stream (decideStreamLoss in stream-loss.ts): what can
   * heal is retried with backoff on the next endpoint, every open watch re-created from its resume
   * point; an invalid token is refreshed first; anything else ends every watch with the typed error.
   */
  private onStreamLost(err: EtcdError): void {
    if (this.state === 'closed') return;
    const creating = this.creates.creating;
    const failedEndpoint = this.call?.endpoint;
    const verdict = decideStreamLoss({
      error: err,
      hadCall: this.call !== undefined,
      isCreateInFlight: creating !== undefined,
      hasCallToken: this.lastCallToken !== undefined,
    });
    this.dropCall();
    if (verdict.action === 'halt') {
      this.logger.warn('watch stream failed', { error: err.message });
      for (const w of [...this.live]) this.fail(w, err);
      this.transition('idle');
      return;
    }
    if (verdict.failCreating && creating) {
      this.logger.warn('watch refused: its create request is larger than etcd accepts', {
        error: err.message,
      });
      this.fail(creating, err);
    }
    if (verdict.refreshToken) this.connection.invalidateToken(this.lastCallToken);
    if (verdict.markEndpointFailed && failedEndpoint) this.connection.markFailed(failedEndpoint);
    for (const w of this.live) {
      if (w.state === 'active' || w.state === 'creating') {
        // A watcher that was never created is not "resuming": it gets `created`, not `reconnected`.
        w.noteStreamLost();
        this.enqueue(w);
      }
    }
    if (this.live.size === 0) {
      this.transition('idle');
      return;
    }
    this.transition('backoff');
    const delay = this.backoff.next();
    this.logger.debug('watch stream lost, reconnecting', { error: err.message, delayMs: delay });
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.state === 'backoff') this.connect();
    }, delay);
  }

  /** Forgets the current call and everything tied to its watch ids, and ends it. */
  private dropCall(): void {
    const call = this.call;
    this.call = undefined;
    this.creates.settle();
    call?.end();
  }

  /** Ends the current call on purpose and reconnects (every open watch resumes). */
  private restartStream(reason: string): void {
    if (this.state === 'open') this.onStreamLost(new UnavailableError(reason));
    else if (this.state === 'idle') this.connect();
  }

  // ---- creates, one at a time -----------------------------------------------------------------

  /** Sends the next waiting create, unless one is in flight or the stream is not open. */
  private sendNextCreate(): void {
    const call = this.call;
    if (this.state !== 'open' || !call) return;
    const next = this.creates.startNext();
    if (!next) return;
    next.beginCreate();
    call.sendCreate(next, this.isFragmentRequested);
  }

  /**
   * etcd answered a create with created+canceled. For compaction the watch ends with CompactedError at
   * once; otherwise the refusal is probed (CreateRefusalProbe) with the token the stream carried, the
   * watcher held aside as `probing` meanwhile.
   */
  private onCreateRefused(call: WatchCall, watcher: Watcher, res: WatchResponseMessage): void {
    const compactRevision = res.compactRevision;
    if (compactRevision > 0n) {
      this.fail(watcher, new CompactedError('watch start revision compacted', compactRevision));
      return;
    }
    watcher.beginProbe();
    this.track(this.refusals.probe(watcher, call.token, res.cancelReason));
  }

  /** Applies a CreateRefusalProbe verdict: reopen the stream once with a fresh token, or end the watch. */
  private applyRefusalVerdict(watcher: Watcher, verdict: RefusalVerdict): void {
    if (verdict.kind === 'refused') {
      this.fail(watcher, verdict.error);
      return;
    }
    this.enqueue(watcher);
    this.restartStream('auth token on the watch stream was stale');
  }

  // ---- responses ------------------------------------------------------------------------------

  private onResponse(call: WatchCall, res: WatchResponseMessage): void {
    if (call !== this.call) return;
    const headerRevision = res.headerRevision;
    call.noteMember(res.memberId);
    this.history.checkClusterId(res.clusterId, headerRevision, this.live);

    const routed = call.route(res);
    switch (routed.kind) {
      case 'created':
        this.onCreated(call, res);
        return;
      case 'progressAll':
        for (const { watcher, counts } of routed.watchers) {
          if (!watcher.onProgress(headerRevision, counts)) this.verifyHistory(watcher, headerRevision);
        }
        return;
      case 'canceled':
        this.fail(
          routed.watcher,
          res.compactRevision > 0n
            ? new CompactedError(
                `watch start revision ${routed.watcher.startRevision()} compacted (oldest available ${res.compactRevision})`,
                res.compactRevision,
              )
            : new WatchCanceledError(res.cancelReason || 'no reason given'),
        );
        return;
      case 'events':
        if (routed.events.length > 0) {
          routed.watcher.onResponseEvents(routed.events);
          if (routed.watcher.isOverLimit()) this.pause(routed.watcher);
        } else if (!routed.watcher.onProgress(headerRevision, true)) {
          // The watch's own progress_notify reply: etcd sends it only to a synced watcher, through the
          // same channel as its events (3.4 and 3.5), so it moves the resume point — unless it is below
          // what the watch has seen.
          this.verifyHistory(routed.watcher, headerRevision);
        }
        return;
      case 'none':
        return;
    }
  }

  /** A created reply: it answers the create in flight. Then the next create goes out. */
  private onCreated(call: WatchCall, res: WatchResponseMessage): void {
    const watcher = this.creates.settle();
    if (!watcher) {
      // Cannot happen with one create in flight; never throw from a stream callback.
      call.cancelId(res.watchId);
    } else if (res.canceled) {
      // Created and canceled at once: this watch alone fails.
      this.onCreateRefused(call, watcher, res);
    } else if (watcher.state !== 'creating') {
      call.cancelId(res.watchId); // canceled by the consumer while its create was in flight
    } else {
      call.activate(watcher, res.watchId);
      if (!watcher.onCreated(res.headerRevision)) this.verifyHistory(watcher, res.headerRevision);
      this.backoff.reset();
    }
    this.sendNextCreate();
  }

  /** A reply for `watcher` was below what it has seen (`reported`): see HistoryVerifier.verify. */
  private verifyHistory(watcher: Watcher, reported: bigint): void {
    this.track(this.history.verify(watcher, reported));
  }

  /**
   * Applies a HistoryVerifier verdict: a watch confirmed current delivers what it held (and is paused
   * if that puts it over its buffer limit); any other ends with the verdict's error.
   */
  private applyHistoryVerdict(watcher: Watcher, verdict: HistoryVerdict): void {
    if (verdict.kind === 'ended') {
      this.fail(watcher, verdict.error);
      return;
    }
    watcher.endVerification();
    if (watcher.isOverLimit()) this.pause(watcher);
  }

  // ---- per-watcher control --------------------------------------------------------------------

  /**
   * The consumer fell behind its buffer limit: cancel the watch on etcd (dropping what is still in
   * flight for it) and re-create it from its resume point once the consumer has drained half the
   * buffer. Memory stays bounded and the other watches on the stream never wait for this consumer.
   * Nothing to do for a watcher already paused (a history check can end on one).
   */
  private pause(watcher: Watcher): void {
    if (watcher.state === 'paused') return;
    this.call?.forget(watcher);
    watcher.pause();
    this.logger.debug('watch paused, consumer behind', { startRevision: watcher.startRevision() });
  }

  /** WatcherHost: a paused watcher's consumer caught up. */
  resumePaused(watcher: Watcher): void {
    if (watcher.state !== 'paused' || this.state === 'closed') return;
    this.enqueue(watcher);
    if (this.state === 'idle') this.connect();
    else this.sendNextCreate();
  }

  /** WatcherHost: the consumer canceled. Works with the stream down too (then there is nothing to tell etcd). */
  cancelWatcher(watcher: Watcher): void {
    this.call?.forget(watcher);
    this.creates.remove(watcher);
    this.live.delete(watcher);
    watcher.finish();
    // A create in flight for it is answered in onResponse, which then cancels the new id.
  }

  /** Ends `watcher` with `err`; tells etcd to cancel it if it is active on the current call. */
  private fail(watcher: Watcher, err: EtcdError): void {
    this.call?.forget(watcher);
    this.creates.remove(watcher);
    this.live.delete(watcher);
    watcher.finish(err);
  }

  /**
   * Ends every watch normally, cancels the call and the reconnect timer, and waits for everything it
   * started (stream opens, release questions, history checks, probes). Idempotent.
   */
  async close(): Promise<void> {
    if (this.state !== 'closed') {
      this.transition('closed');
      this.closeSignal.abort();
      if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
      this.reconnectTimer = undefined;
      this.dropCall();
      for (const w of this.live) w.finish();
      this.live.clear();
      this.creates.clear();
    }
    await Promise.all([...this.pending]);
  }
}
