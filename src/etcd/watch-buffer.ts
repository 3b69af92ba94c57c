// The consumer's side of one watch: the messages handed to it and not yet taken, bounded, and taken
// through async iteration one next() at a time. Kept apart from Watcher, which decides what goes in
// and when the watch ends; this only holds, hands out and says how full it is (past its limits the
// stream pauses the watch on etcd, see WatchStream.pause), so memory stays bounded per watch.
import type { EtcdError } from './errors.js';
import type { RawWatchMessage, WatchMessage } from './types.js';

/** What a buffer holds: a decoding watch's messages or a raw one's. */
type BufferedMessage = WatchMessage | RawWatchMessage;

/** Per-watch buffer bounds: beyond either, the stream pauses the watch until the consumer catches up. */
export interface WatchBufferLimits {
  maxBytes: number;
  maxMessages: number;
}

/** Approximate memory held by one message: a fixed overhead, plus keys and values for events. */
function messageBytes(message: BufferedMessage): number {
  // A raw message holds its response's whole buffer, whatever part of it is left.
  if (message.type === 'raw-events') return 64 + message.events.buffer.length;
  if (message.type !== 'events') return 64;
  let n = 64;
  for (const e of message.events)
    n += 128 + e.key.length + e.value.length + (e.prevKv ? e.prevKv.value.length : 0);
  return n;
}

/**
 * A bounded queue of WatchMessages between a Watcher and its consumer. push() and end() may be called
 * at any time; a consumer waiting in next() is resolved synchronously from inside them. Owns no timer
 * and no I/O.
 */
export class WatchBuffer {
  /** Messages not yet taken by the consumer, oldest first. */
  private readonly messages: BufferedMessage[] = [];
  /** Approximate bytes held by `messages` (the sum of their messageBytes). */
  private bytes = 0;
  /** Set by end(), never unset: how the iteration ends once `messages` is empty, normally or by throwing. */
  private ending: { error?: EtcdError } | undefined;
  /** A consumer waiting in next(); set together with `waiterReject`, both cleared when it is answered. */
  private waiter: ((result: IteratorResult<BufferedMessage>) => void) | undefined;
  private waiterReject: ((err: Error) => void) | undefined;

  constructor(
    private readonly limits: WatchBufferLimits,
    /** Called synchronously after each message the consumer takes (the watcher may resume then). */
    private readonly onTaken: () => void,
  ) {}

  /** Appends `message` for the consumer. The caller stops pushing once it has called end(). */
  push(message: BufferedMessage): void {
    this.messages.push(message);
    this.bytes += messageBytes(message);
    this.wake();
  }

  /**
   * Ends the iteration: normally (no error; what the consumer has not taken is dropped, it asked to
   * stop), or by throwing `error` once the buffered messages have been taken.
   */
  end(error?: EtcdError): void {
    if (error === undefined) {
      this.messages.length = 0;
      this.bytes = 0;
    }
    this.ending = error === undefined ? {} : { error };
    this.wake();
  }

  /** True when the consumer is past either limit. */
  isOverLimit(): boolean {
    return this.bytes > this.limits.maxBytes || this.messages.length > this.limits.maxMessages;
  }

  /** True when the consumer has drained the buffer to half of both limits. */
  isDrainedToHalf(): boolean {
    return this.messages.length <= this.limits.maxMessages / 2 && this.bytes <= this.limits.maxBytes / 2;
  }

  /** The consumer's next(): one at a time (a second concurrent call rejects). */
  next(): Promise<IteratorResult<BufferedMessage>> {
    const next = this.take();
    if (next instanceof Error) return Promise.reject(next);
    if (next) return Promise.resolve(next);
    if (this.waiter) return Promise.reject(new Error('a watch supports one next() at a time'));
    return new Promise<IteratorResult<BufferedMessage>>((resolve, reject) => {
      this.waiter = resolve;
      this.waiterReject = reject;
    });
  }

  private wake(): void {
    const waiter = this.waiter;
    const reject = this.waiterReject;
    if (!waiter || !reject) return;
    const next = this.take();
    if (!next) return;
    this.waiter = undefined;
    this.waiterReject = undefined;
    if (next instanceof Error) reject(next);
    else waiter(next);
  }

  /** The next result for the consumer, or undefined when it has to wait. */
  private take(): IteratorResult<BufferedMessage> | Error | undefined {
    const message = this.messages.shift();
    if (message) {
      this.bytes -= messageBytes(message);
      this.onTaken();
      return { value: message, done: false };
    }
    if (this.ending) {
      const error = this.ending.error;
      this.ending = {}; // an error is thrown once; afterwards the iterator is simply done
      return error ?? { value: undefined, done: true };
    }
    return undefined;
  }
}
