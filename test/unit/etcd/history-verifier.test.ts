import { strict as assert } from 'node:assert';
import { Backoff } from '../../../src/base/index.js';
import { PermissionDeniedError, RevisionWentBackError, UnavailableError } from '../../../src/etcd/index.js';
import {
  HistoryVerifier,
  type HistoryReader,
  type HistoryVerdict,
} from '../../../src/etcd/history-verifier.js';
import { Watcher, type WatcherHost } from '../../../src/etcd/watcher.js';
import { silentLogger } from '../../../src/observability/index.js';

const host: WatcherHost = { resumePaused: () => undefined, cancelWatcher: (w) => w.finish() };

function watcher(fromRevision?: bigint): Watcher {
  return new Watcher(
    {
      key: Buffer.from('/k'),
      rangeEnd: undefined,
      fromRevision,
      prevKv: false,
      filters: [],
      progressNotify: false,
    },
    0,
    { maxBytes: 1e6, maxMessages: 100 },
    host,
    undefined,
  );
}

/** A reader that answers each read with the next of `answers`: a revision, or an error to throw. */
class FakeReader implements HistoryReader {
  reads = 0;
  constructor(private readonly answers: (bigint | Error)[]) {}
  unary<_Req, Res>(): Promise<Res> {
    const answer = this.answers[this.reads++];
    if (answer === undefined) return Promise.reject(new Error('no more answers'));
    if (answer instanceof Error) return Promise.reject(answer);
    return Promise.resolve({ header: { revision: answer.toString() } } as unknown as Res);
  }
}

function verifier(reader: HistoryReader, signal = new AbortController().signal) {
  const verdicts: { watcher: Watcher; verdict: HistoryVerdict }[] = [];
  const backoff = new Backoff({ initialDelayMs: 1, maxDelayMs: 1 });
  const v = new HistoryVerifier(reader, backoff, silentLogger, signal, (w, verdict) =>
    verdicts.push({ watcher: w, verdict }),
  );
  return { v, verdicts };
}

describe('HistoryVerifier', () => {
  describe('a reply below what a watch has seen', () => {
    it('ends the watch with RevisionWentBackError when etcd is confirmed behind it', async () => {
      const { v, verdicts } = verifier(new FakeReader([30n]));
      const w = watcher();
      w.onCreated(40n);
      await v.verify(w, 10n);
      assert.equal(verdicts.length, 1);
      const verdict = verdicts[0]!.verdict;
      assert.ok(verdict.kind === 'ended' && verdict.error instanceof RevisionWentBackError);
      assert.equal(verdict.error.seenRevision, 40n);
      assert.equal(verdict.error.etcdRevision, 30n);
    });

    it('lets the watch go on when etcd is at or past it (a lagging member answered)', async () => {
      const { v, verdicts } = verifier(new FakeReader([40n]));
      const w = watcher();
      w.onCreated(40n);
      await v.verify(w, 10n);
      assert.deepEqual(
        verdicts.map((x) => x.verdict),
        [{ kind: 'current' }],
      );
      assert.equal(w.isVerifying, true, 'the stream ends the verification when it applies the verdict');
    });

    it('retries a read that can heal, and ends the watch on one that cannot', async () => {
      const healing = verifier(new FakeReader([new UnavailableError('down'), 41n]));
      const w = watcher();
      w.onCreated(40n);
      await healing.v.verify(w, 10n);
      assert.deepEqual(
        healing.verdicts.map((x) => x.verdict),
        [{ kind: 'current' }],
      );

      const denied = new PermissionDeniedError('no');
      const failing = verifier(new FakeReader([denied]));
      const u = watcher();
      u.onCreated(40n);
      await failing.v.verify(u, 10n);
      assert.deepEqual(
        failing.verdicts.map((x) => x.verdict),
        [{ kind: 'ended', error: denied }],
      );
    });

    it('reads once per watcher at a time, and not at all for a watch that has seen nothing', async () => {
      const reader = new FakeReader([40n, 40n]);
      const { v } = verifier(reader);
      const w = watcher();
      w.onCreated(40n);
      await Promise.all([v.verify(w, 10n), v.verify(w, 11n)]);
      assert.equal(reader.reads, 1);
      await v.verify(watcher(5n), 1n);
      assert.equal(reader.reads, 1);
    });

    it('gives no verdict once the watcher is done or the stream closed', async () => {
      const closed = new AbortController();
      const { v, verdicts } = verifier(new FakeReader([30n, 30n]), closed.signal);
      const w = watcher();
      w.onCreated(40n);
      const check = v.verify(w, 10n);
      w.finish();
      await check;
      closed.abort();
      const u = watcher();
      u.onCreated(40n);
      await v.verify(u, 10n);
      assert.deepEqual(verdicts, []);
    });
  });

  describe('the cluster ID of every reply', () => {
    it('ends every watch with a resume point when another cluster answers', () => {
      const { v, verdicts } = verifier(new FakeReader([]));
      const seen = watcher();
      seen.onCreated(40n);
      const fromRevision = watcher(7n);
      const fromNow = watcher();
      v.checkClusterId('0', 1n, [seen, fromRevision, fromNow]); // absent: says nothing
      v.checkClusterId('111', 41n, [seen, fromRevision, fromNow]);
      assert.equal(verdicts.length, 0, 'the first cluster ID is remembered');
      v.checkClusterId('222', 3n, [seen, fromRevision, fromNow]);
      assert.deepEqual(
        verdicts.map((x) => x.watcher),
        [seen, fromRevision],
        'a watch from "now" never created has nothing to lose',
      );
      const errors = verdicts.map((x) => (x.verdict.kind === 'ended' ? x.verdict.error : undefined));
      assert.ok(errors.every((e) => e instanceof RevisionWentBackError));
      const [e0, e1] = errors;
      assert.deepEqual(
        [e0!.seenRevision, e0!.etcdRevision, e0!.previousClusterId, e0!.clusterId],
        [40n, 3n, '111', '222'],
      );
      assert.equal(e1!.seenRevision, 6n, 'a watch from revision 7 has seen up to 6');
    });
  });
});
