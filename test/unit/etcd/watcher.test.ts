import { strict as assert } from 'node:assert';
import { UnavailableError, type WatchEvent, type WatchMessage } from '../../../src/etcd/index.js';
import { Watcher, type WatcherHost, type WatchSpec } from '../../../src/etcd/watcher.js';

function event(revision: number): WatchEvent {
  const r = BigInt(revision);
  return {
    type: 'put',
    key: Buffer.from('/k'),
    value: Buffer.from('v'),
    createRevision: 1n,
    modRevision: r,
    version: 1n,
    lease: 0n,
  };
}

class FakeHost implements WatcherHost {
  resumed = 0;
  canceled = 0;
  resumePaused(): void {
    this.resumed++;
  }
  cancelWatcher(w: Watcher): void {
    this.canceled++;
    w.finish();
  }
}

const spec = (fromRevision?: bigint): WatchSpec => ({
  key: Buffer.from('/k'),
  rangeEnd: undefined,
  fromRevision,
  prevKv: false,
  filters: [],
  progressNotify: false,
});

describe('Watcher', () => {
  describe('the resume rule', () => {
    it('starts "now" (0) before anything is known', () => {
      assert.equal(
        new Watcher(
          spec(),
          0,
          { maxBytes: 1e6, maxMessages: 100 },
          new FakeHost(),
          undefined,
        ).startRevision(),
        0n,
      );
    });
    it('resumes a "now" watch after its first created revision while nothing was delivered', () => {
      const w = new Watcher(spec(), 0, { maxBytes: 1e6, maxMessages: 100 }, new FakeHost(), undefined);
      w.onCreated(41n);
      w.isResuming = true;
      w.onCreated(99n); // a later created reply carries the store's revision: it must not count
      assert.equal(w.startRevision(), 42n);
    });
    it('keeps the requested revision until an event is delivered, then last event + 1', () => {
      const w = new Watcher(spec(10n), 0, { maxBytes: 1e6, maxMessages: 100 }, new FakeHost(), undefined);
      w.onCreated(50n);
      assert.equal(w.startRevision(), 10n);
      w.onProgress(60n); // progress does not move the resume point
      assert.equal(w.startRevision(), 10n);
      w.onEvents([event(12), event(12), event(15)]);
      assert.equal(w.startRevision(), 16n);
    });
    it('drops events at or below the last delivered revision (redelivered after a resume)', async () => {
      const w = new Watcher(spec(10n), 0, { maxBytes: 1e6, maxMessages: 100 }, new FakeHost(), undefined);
      w.onEvents([event(12)]);
      w.onEvents([event(12), event(13)]);
      const it = w[Symbol.asyncIterator]();
      const first = await it.next();
      const second = await it.next();
      const revisions = (r: IteratorResult<WatchMessage>): string =>
        r.done || r.value.type !== 'events' ? '' : r.value.events.map((e) => e.modRevision).join();
      assert.equal(revisions(first), '12');
      assert.equal(revisions(second), '13');
    });
  });

  describe('the bounded buffer', () => {
    it('reports over-limit past maxMessages and asks to resume once half is drained', async () => {
      const host = new FakeHost();
      const w = new Watcher(spec(1n), 0, { maxBytes: 1e9, maxMessages: 4 }, host, undefined);
      for (let r = 1; r <= 5; r++) w.onEvents([event(r)]);
      assert.equal(w.isOverLimit(), true);
      w.moveTo('paused');
      const it = w[Symbol.asyncIterator]();
      await it.next();
      await it.next();
      assert.equal(host.resumed, 0, 'still 3 buffered');
      await it.next();
      assert.equal(host.resumed, 1, 'down to 2 = half');
    });
  });

  describe('ending', () => {
    it('delivers buffered messages before throwing the error, and throws it once', async () => {
      const w = new Watcher(spec(1n), 0, { maxBytes: 1e6, maxMessages: 100 }, new FakeHost(), undefined);
      w.onEvents([event(1)]);
      w.finish(new UnavailableError('boom'));
      const it = w[Symbol.asyncIterator]();
      const first: IteratorResult<WatchMessage> = await it.next();
      assert.equal(first.done ? 'done' : first.value.type, 'events');
      await assert.rejects(it.next(), UnavailableError);
      assert.equal((await it.next()).done, true);
    });
    it('cancel() ends the iteration normally and drops what was not taken', async () => {
      const host = new FakeHost();
      const w = new Watcher(spec(1n), 0, { maxBytes: 1e6, maxMessages: 100 }, host, undefined);
      w.onEvents([event(1)]);
      await w.cancel();
      assert.equal((await w[Symbol.asyncIterator]().next()).done, true);
      assert.equal(host.canceled, 1);
    });
    it('an aborted signal cancels', async () => {
      const host = new FakeHost();
      const ac = new AbortController();
      const w = new Watcher(spec(1n), 0, { maxBytes: 1e6, maxMessages: 100 }, host, ac.signal);
      const pending = w[Symbol.asyncIterator]().next();
      ac.abort();
      assert.equal((await pending).done, true);
    });
  });
});
