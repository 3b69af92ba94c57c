// Tells why etcd refused to create a watch (a reply both created and canceled, not for compaction).
// etcd 3.4/3.5 answer so for a permission problem and say it only in cancel_reason text; an expired
// token on the stream looks the same. Rather than read the text (STYLE.md §4), a Range of the watched
// key classifies it by status code. Only probes and decides: the WatchStream applies the verdict.
import type { Logger } from '../observability/index.js';
import type { UnaryOptions } from './connection.js';
import { WatchCanceledError, toEtcdError, type EtcdError } from './errors.js';
import { etcdMethod, type EtcdMethod } from './proto.js';
import type { RawRangeRequest, RawRangeResponse } from './raw-messages.js';
import type { Watcher } from './watcher.js';

const RANGE = etcdMethod<RawRangeRequest, RawRangeResponse>('KV', 'Range');

/** What the probe needs of the connection: one read and the current auth token. */
export interface RefusalProbeTransport {
  unary<Req, Res>(method: EtcdMethod<Req, Res>, request: Req, options: UnaryOptions): Promise<Res>;
  /** The current auth token, undefined without auth. */
  currentToken(): Promise<string | undefined>;
}

/** What to do with a watch whose create etcd refused. */
export type RefusalVerdict =
  /** Reading is allowed and the stream carried a token that is no longer current: reopen it once. */
  | { kind: 'retryWithFreshToken' }
  /** End the watch with `error`: the read's typed refusal, or WatchCanceledError(cancel_reason). */
  | { kind: 'refused'; error: EtcdError };

/** Classifies refused creates for one watch stream, one Range per refusal. */
export class CreateRefusalProbe {
  constructor(
    private readonly transport: RefusalProbeTransport,
    private readonly logger: Logger,
    /** Aborted when the stream closes: a read answered afterwards gives no verdict. */
    private readonly signal: AbortSignal,
    /** Applies a verdict; called asynchronously, once per probe at most. */
    private readonly onVerdict: (watcher: Watcher, verdict: RefusalVerdict) => void,
  ) {}

  /**
   * Probes `watcher`'s refused create. A typed refusal of the read ends the watch with that error; if
   * reading is allowed and `streamToken` (the token of the stream that carried the create) is no longer
   * the current one, the watch may be retried once with a fresh token (Watcher.tryAuthRetry); otherwise
   * it ends with WatchCanceledError(`cancelReason`). No verdict once the watcher is done or the stream
   * closed when the read is answered. Returns the probe, which never rejects, for the stream to join.
   */
  probe(watcher: Watcher, streamToken: string | undefined, cancelReason: string): Promise<void> {
    const isMoot = (): boolean => watcher.state === 'done' || this.signal.aborted;
    return this.transport
      .unary(
        RANGE,
        { key: watcher.spec.key, range_end: watcher.spec.rangeEnd, limit: '1', keys_only: true },
        { isIdempotent: true },
      )
      .then(
        async () => {
          if (isMoot()) return;
          const current = await this.transport.currentToken();
          if (streamToken !== undefined && current !== streamToken && watcher.tryAuthRetry()) {
            this.onVerdict(watcher, { kind: 'retryWithFreshToken' });
            return;
          }
          this.onVerdict(watcher, {
            kind: 'refused',
            error: new WatchCanceledError(cancelReason || 'create refused'),
          });
        },
        (err: unknown) => {
          if (isMoot()) return;
          this.onVerdict(watcher, { kind: 'refused', error: toEtcdError(err) });
        },
      )
      .catch((err: unknown) => this.logger.error('watch probe failed', { error: String(err) }));
  }
}
