import { strict as assert } from 'node:assert';
import { UnavailableError, type WatchEvent, type WatchMessage } from '../../../src/etcd/index.js';
import {
  WATCHER_TRANSITIONS,
  Watcher,
  type WatcherHost,
  type WatcherState,
  type WatchSpec,
} from '../../../src/etcd/watcher.js';
import type { Logger } from '../../../src/observability/index.js';

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

/** Takes a new watcher the way the stream does to `active` under `watchId`: queued → creating → active. */
function activated(w: Watcher, watchId: string, progressRequestsSent = 0): void {
  assert.equal(w.beginCreate(), true);
  assert.equal(w.activate(watchId, progressRequestsSent), true);
}

/** What the stream does with an active watcher on a lost stream, then on the next call: back to creating. */
function lostAndRecreating(w: Watcher): void {
  w.noteStreamLost();
  assert.equal(w.requeue(), true);
  assert.equal(w.beginCreate(), true);
}

/** What the watcher has buffered for its consumer, summarised (e.g. `progress@60`, `events@12,13`). */
function buffered(w: Watcher): string[] {
  // Read without taking (taking could resume a paused watcher): the WatchBuffer's private messages.
  const consumer = (w as unknown as { consumer: { buffer?: { messages: WatchMessage[] } } }).consumer;
  const buffer = consumer.buffer?.messages ?? assert.fail('an iterated watch has a buffer');
  return buffer.map((m) =>
    m.type === 'events'
      ? `events@${m.events.map((e) => e.modRevision).join(',')}`
      : m.type === 'reconnected'
        ? `reconnected@${m.revision}/${m.etcdRevision}`
        : `${m.type}@${m.revision}`,
  );
}

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
      activated(w, '1');
      lostAndRecreating(w);
      w.onCreated(99n); // a later created reply carries the store's revision: it must not count
      assert.equal(w.startRevision(), 42n);
    });
    it('keeps the requested revision until an event is delivered, then last event + 1', () => {
      const w = new Watcher(spec(10n), 0, { maxBytes: 1e6, maxMessages: 100 }, new FakeHost(), undefined);
      w.onCreated(50n);
      assert.equal(w.startRevision(), 10n);
      w.onProgress(60n, false); // a progress that does not count does not move the resume point
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
      assert.equal(w.pause(), true);
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

  describe('progress and the resume point', () => {
    const limits = { maxBytes: 1e6, maxMessages: 100 };
    it('a progress that counts moves the resume point to its revision + 1', () => {
      const w = new Watcher(spec(), 0, limits, new FakeHost(), undefined);
      w.onCreated(40n);
      assert.equal(w.onProgress(60n, true), true);
      assert.equal(w.startRevision(), 61n);
      assert.equal(w.seenRevision(), 60n);
    });

    it('a progress that does not count is passed on but leaves the resume point', () => {
      const w = new Watcher(spec(), 0, limits, new FakeHost(), undefined);
      w.onCreated(40n);
      w.onProgress(60n, false);
      assert.equal(w.startRevision(), 41n);
      assert.deepEqual(buffered(w), ['created@40', 'progress@60']);
    });

    it('drops events at or below a counted progress revision (etcd replays them after a resume)', () => {
      const w = new Watcher(spec(10n), 0, limits, new FakeHost(), undefined);
      w.onEvents([event(12)]);
      w.onProgress(20n, true);
      w.onEvents([event(19), event(20), event(21)]);
      assert.deepEqual(buffered(w), ['events@12', 'progress@20', 'events@21']);
      assert.equal(w.startRevision(), 22n);
    });

    it('never resumes before the requested revision (progress of a watch on a future revision)', () => {
      const w = new Watcher(spec(100n), 0, limits, new FakeHost(), undefined);
      w.onCreated(50n);
      w.onProgress(50n, true);
      assert.equal(w.startRevision(), 100n);
    });
  });

  describe('when etcd answers below what the watch has seen', () => {
    const limits = { maxBytes: 1e6, maxMessages: 100 };
    it('knows what it has seen: last event, counted progress, created revision of a "now" watch', () => {
      const now = new Watcher(spec(), 0, limits, new FakeHost(), undefined);
      assert.equal(now.seenRevision(), undefined);
      assert.equal(now.hasResumePoint(), false);
      now.onCreated(40n);
      assert.equal(now.seenRevision(), 40n);
      const from = new Watcher(spec(10n), 0, limits, new FakeHost(), undefined);
      from.onCreated(40n);
      assert.equal(from.seenRevision(), undefined, 'a replaying watch has not seen its created revision');
      assert.equal(from.hasResumePoint(), true);
      from.onEvents([event(12)]);
      assert.equal(from.seenRevision(), 12n);
    });

    it('a re-created reply below the seen revision asks for verification and holds what follows', () => {
      const w = new Watcher(spec(), 0, limits, new FakeHost(), undefined);
      w.onCreated(40n);
      w.onEvents([event(51)]);
      activated(w, '1');
      lostAndRecreating(w);
      assert.equal(w.onCreated(1n), false);
      assert.equal(w.isVerifying, true);
      w.onEvents([event(52)]);
      assert.equal(w.onProgress(3n, true), true, 'progress is ignored while verifying');
      assert.deepEqual(buffered(w), ['created@40', 'events@51'], 'nothing reaches the consumer meanwhile');
      assert.equal(w.startRevision(), 52n);
    });

    it('delivers what it held, without duplicates, once etcd is confirmed current', () => {
      const w = new Watcher(spec(), 0, limits, new FakeHost(), undefined);
      w.onCreated(40n);
      w.onEvents([event(51)]);
      activated(w, '1');
      lostAndRecreating(w);
      w.onCreated(49n);
      w.onEvents([event(51), event(52)]);
      w.endVerification();
      assert.equal(w.isVerifying, false);
      assert.deepEqual(buffered(w), ['created@40', 'events@51', 'reconnected@51/49', 'events@52']);
    });

    it('a progress below the seen revision is not delivered and asks for verification', () => {
      const w = new Watcher(spec(), 0, limits, new FakeHost(), undefined);
      w.onCreated(40n);
      assert.equal(w.onProgress(39n, true), false);
      assert.equal(w.startRevision(), 41n);
      assert.deepEqual(buffered(w), ['created@40']);
    });

    it('a re-created reply at or above the seen revision is a plain reconnect', () => {
      const w = new Watcher(spec(), 0, limits, new FakeHost(), undefined);
      w.onCreated(40n);
      activated(w, '1');
      lostAndRecreating(w);
      assert.equal(w.onCreated(40n), true);
      assert.deepEqual(buffered(w), ['created@40', 'reconnected@40/40']);
    });
  });

  describe('its stream bookkeeping', () => {
    const limits = { maxBytes: 1e6, maxMessages: 100 };
    const make = (): Watcher => new Watcher(spec(), 0, limits, new FakeHost(), undefined);

    it('holds its watch id exactly while active', () => {
      const w = make();
      assert.equal(w.watchId, undefined);
      activated(w, '7');
      assert.equal(w.state, 'active');
      assert.equal(w.watchId, '7');
      w.requeue();
      assert.equal(w.watchId, undefined);
      activated(w, '8');
      w.finish();
      assert.equal(w.watchId, undefined);
      assert.equal(w.activate('9', 0), false);
      assert.equal(w.state, 'done', 'done is terminal');
    });

    it('resumes after a lost stream only if it was active on it', () => {
      const never = make();
      never.beginCreate();
      never.noteStreamLost();
      never.onCreated(5n);
      assert.deepEqual(
        buffered(never),
        ['created@5'],
        'a watcher never created gets created, not reconnected',
      );
      const was = make();
      was.onCreated(5n);
      activated(was, '1');
      lostAndRecreating(was);
      was.noteStreamLost(); // lost again while re-creating: still resuming
      was.onCreated(6n);
      assert.deepEqual(buffered(was), ['created@5', 'reconnected@5/6']);
    });

    it('allows one auth retry until its next created reply', () => {
      const w = make();
      assert.equal(w.tryAuthRetry(), true);
      assert.equal(w.tryAuthRetry(), false);
      w.onCreated(5n);
      assert.equal(w.tryAuthRetry(), true);
    });

    it('counts a broadcast progress reply only for a request sent after it became active', () => {
      const w = make();
      activated(w, '1', 2);
      assert.equal(w.isActiveBeforeProgressRequest(2), false);
      assert.equal(w.isActiveBeforeProgressRequest(3), true);
    });
  });

  describe('its transitions', () => {
    const limits = { maxBytes: 1e6, maxMessages: 100 };
    const states = Object.keys(WATCHER_TRANSITIONS) as WatcherState[];

    it('becomes active only from creating, and creating only from queued', () => {
      for (const s of states) {
        assert.equal(WATCHER_TRANSITIONS[s].includes('active'), s === 'creating', s);
        assert.equal(WATCHER_TRANSITIONS[s].includes('creating'), s === 'queued', s);
      }
    });

    it('can end from every state, never stays in one by transition, and done is terminal', () => {
      for (const s of states) {
        if (s !== 'done') assert.ok(WATCHER_TRANSITIONS[s].includes('done'), s);
        assert.equal(WATCHER_TRANSITIONS[s].includes(s), false, s);
      }
      assert.deepEqual(WATCHER_TRANSITIONS.done, []);
    });

    it('refuses an unexpected transition: logged at error, state unchanged', () => {
      const lines: { message: string; fields: Record<string, unknown> }[] = [];
      const record = (message: string, fields: Record<string, unknown> = {}): void =>
        void lines.push({ message, fields });
      const logger: Logger = {
        error: record,
        warn: () => undefined,
        info: () => undefined,
        debug: () => undefined,
        child: () => logger,
      };
      const w = new Watcher(spec(), 0, limits, new FakeHost(), undefined, logger);
      assert.equal(w.activate('1', 0), false, 'queued → active skips creating');
      assert.equal(w.state, 'queued');
      assert.equal(w.watchId, undefined);
      assert.deepEqual(lines, [
        {
          message: 'watcher transition refused',
          fields: { from: 'queued', to: 'active', watchId: undefined },
        },
      ]);
    });

    it('ignores every transition quietly once done (the consumer may end a watch at any time)', () => {
      const lines: string[] = [];
      const logger: Logger = {
        error: (m) => void lines.push(m),
        warn: () => undefined,
        info: () => undefined,
        debug: () => undefined,
        child: () => logger,
      };
      const w = new Watcher(spec(), 0, limits, new FakeHost(), undefined, logger);
      w.finish();
      assert.deepEqual(
        [w.requeue(), w.beginCreate(), w.pause(), w.beginProbe()],
        [false, false, false, false],
      );
      assert.equal(w.state, 'done');
      assert.deepEqual(lines, []);
    });
  });
});
