// Tells whether etcd's history went back behind a watch (DESIGN.md §3, "etcd can go back in time";
// watcher.ts says what a watch has seen). Two signals: a reply from another cluster than the first
// one this client heard from (every watch with a resume point ends at once: the other cluster's
// revisions say nothing about what it has seen), and a reply below what one watch has seen, which a
// restored or wiped etcd gives — and so does a member that has not applied everything yet, so that
// one is confirmed with a linearizable read first. Only decides and reads: the WatchStream owns the
// watchers and applies each verdict.
import { realClock, sleep, type Backoff } from '../base/index.js';
import type { Logger } from '../observability/index.js';
import type { UnaryOptions } from './connection.js';
import { RevisionWentBackError, canHeal, toEtcdError, type EtcdError } from './errors.js';
import { etcdMethod, type EtcdMethod } from './proto.js';
import type { RawRangeRequest, RawRangeResponse } from './raw-messages.js';
import { ABSENT_ID } from './watch-response-decoder.js';
import type { Watcher } from './watcher.js';

const RANGE = etcdMethod<RawRangeRequest, RawRangeResponse>('KV', 'Range');

/** What the verifier needs of the connection: one linearizable read. */
export interface HistoryReader {
  unary<Req, Res>(method: EtcdMethod<Req, Res>, request: Req, options: UnaryOptions): Promise<Res>;
}

/** What became of a watch whose history was in doubt. */
export type HistoryVerdict =
  /** etcd is at or past what the watch has seen (the low reply came from a lagging member): go on. */
  | { kind: 'current' }
  /** The watch must end with `error`: RevisionWentBackError, or a read error that cannot heal. */
  | { kind: 'ended'; error: EtcdError };

/**
 * The went-back checks of one watch stream. Reads at most one revision per watcher at a time; a read
 * that fails and can heal is retried with the stream's backoff until the watcher is done or the
 * stream's signal aborts.
 */
export class HistoryVerifier {
  /**
   * Cluster ID of the first reply this client got; replaced when another cluster answers (after every
   * watch with a resume point was ended with RevisionWentBackError).
   */
  private clusterId: string | undefined;
  /** Watchers whose low reply is being confirmed by a linearizable read; removed when it is settled. */
  private readonly verifying = new Set<Watcher>();

  constructor(
    private readonly reader: HistoryReader,
    /** The stream's backoff, shared: a failed read waits as a reconnect would. */
    private readonly backoff: Backoff,
    private readonly logger: Logger,
    /** Aborted when the stream closes: no check starts, and those in flight end at their next step. */
    private readonly signal: AbortSignal,
    /** Applies a verdict; called synchronously, from verify()'s reads or from checkClusterId. */
    private readonly onVerdict: (watcher: Watcher, verdict: HistoryVerdict) => void,
  ) {}

  /**
   * A reply with `clusterId` (and header `revision`) arrived. Remembers the cluster ID of the first
   * reply; when a later one comes from another cluster, every watcher of `watchers` with a resume point
   * is ended with RevisionWentBackError. Watches from "now" that were never created carry on.
   */
  checkClusterId(clusterId: string, revision: bigint, watchers: Iterable<Watcher>): void {
    if (clusterId === ABSENT_ID) return;
    const previousClusterId = this.clusterId;
    this.clusterId = clusterId;
    if (previousClusterId === undefined || previousClusterId === clusterId) return;
    this.logger.warn('etcd cluster ID changed: ending every watch with a resume point', {
      previousClusterId,
      clusterId,
      revision: revision.toString(),
    });
    for (const w of [...watchers]) {
      if (!w.hasResumePoint()) continue;
      const seen = w.seenRevision() ?? w.startRevision() - 1n;
      const error = new RevisionWentBackError(seen, revision, { previousClusterId, clusterId });
      this.onVerdict(w, { kind: 'ended', error });
    }
  }

  /**
   * A reply for `watcher` was below what it has seen (`reported`): etcd was restored or wiped — or the
   * member serving the stream has not applied everything yet (a follower just after a failover). A
   * linearizable read tells them apart: its revision is at least every revision committed before it
   * was sent, so if it is below the seen revision, etcd's history went back and the watch ends with
   * RevisionWentBackError; otherwise the watch goes on (its events are held meanwhile, see
   * Watcher.beginVerification). Returns the check, which never rejects, for the stream to join; it is
   * already settled when no check was started (one in flight for this watcher, nothing seen, closed).
   */
  verify(watcher: Watcher, reported: bigint): Promise<void> {
    if (this.verifying.has(watcher) || this.signal.aborted) return Promise.resolve();
    const seen = watcher.seenRevision();
    if (seen === undefined) return Promise.resolve();
    watcher.beginVerification();
    this.verifying.add(watcher);
    this.logger.debug('etcd answered below the revision a watch has seen; confirming', {
      revision: seen.toString(),
      reported: reported.toString(),
    });
    return this.confirm(watcher, seen)
      .catch((err: unknown) => this.logger.error('watch history check failed', { error: String(err) }))
      .finally(() => this.verifying.delete(watcher));
  }

  /** Reads until etcd's revision settles whether `watcher`, having seen `seen`, goes on. */
  private async confirm(watcher: Watcher, seen: bigint): Promise<void> {
    const request: RawRangeRequest = {
      key: watcher.spec.key,
      range_end: watcher.spec.rangeEnd,
      limit: '1',
      keys_only: true,
    };
    const isMoot = (): boolean => watcher.state === 'done' || this.signal.aborted;
    for (;;) {
      if (isMoot()) return;
      try {
        const res = await this.reader.unary(RANGE, request, { isIdempotent: true });
        if (isMoot()) return;
        const etcdRevision = BigInt(res.header?.revision ?? '0');
        if (etcdRevision < seen) {
          this.logger.warn('etcd went back behind a watch', {
            revision: seen.toString(),
            etcdRevision: etcdRevision.toString(),
          });
          this.onVerdict(watcher, { kind: 'ended', error: new RevisionWentBackError(seen, etcdRevision) });
        } else {
          this.onVerdict(watcher, { kind: 'current' });
        }
        return;
      } catch (err) {
        const typed = toEtcdError(err);
        if (isMoot()) return;
        if (!canHeal(typed)) {
          this.onVerdict(watcher, { kind: 'ended', error: typed });
          return;
        }
        await sleep(realClock, this.backoff.next(), this.signal);
      }
    }
  }
}
