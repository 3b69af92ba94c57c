import { strict as assert } from 'node:assert';
import { etcdMethodDefinition } from '../../../src/etcd/proto.js';
import { newRawEventFields, RawWatchEvents, type RawKeyValueFields } from '../../../src/etcd/raw-events.js';
import type {
  RawEvent,
  RawKeyValue,
  RawWatchRequest,
  RawWatchResponse,
} from '../../../src/etcd/raw-messages.js';
import type { KeyValue, RawWatchMessage } from '../../../src/etcd/types.js';
import { decodeWatchResponse } from '../../../src/etcd/watch-response-decoder.js';
import { Watcher, type WatcherHost } from '../../../src/etcd/watcher.js';

// The full proto-loader definition: its server-side encoder makes the test's wire bytes.
const WATCH = etcdMethodDefinition<RawWatchRequest, RawWatchResponse>('Watch', 'Watch');

/** A small deterministic PRNG so that a failure can be replayed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const INT64S = ['0', '1', '127', '128', '562949953421311', '562949953421312', '9223372036854775807', '-1'];

/** The wire bytes of a response carrying `events` for watch 1. */
function response(events: RawEvent[]): Buffer {
  return WATCH.responseSerialize({
    header: { cluster_id: '1', member_id: '1', revision: '100', raft_term: '1' },
    watch_id: '1',
    created: false,
    canceled: false,
    compact_revision: '0',
    cancel_reason: '',
    fragment: false,
    events,
  });
}

/** A put of `key` = `value` at `revision`. */
function put(key: string, value: string, revision: number): RawEvent {
  const r = String(revision);
  return {
    type: 'PUT',
    kv: {
      key: Buffer.from(key),
      value: Buffer.from(value),
      create_revision: r,
      mod_revision: r,
      version: '1',
      lease: '0',
    },
    prev_kv: null,
  };
}

/** The events of one response, framed. */
const raw = (events: RawEvent[]): RawWatchEvents => decodeWatchResponse(response(events)).events;

/** Asserts that fields read in place from `buffer` are `kv`. */
function assertSameKeyValue(buffer: Buffer, f: RawKeyValueFields, kv: KeyValue, what: string): void {
  assert.deepEqual(buffer.subarray(f.keyStart, f.keyEnd), kv.key, `${what}: key`);
  assert.deepEqual(buffer.subarray(f.valueStart, f.valueEnd), kv.value, `${what}: value`);
  assert.equal(BigInt(f.modRevision), kv.modRevision, `${what}: mod revision`);
  assert.equal(BigInt(f.createRevision), kv.createRevision, `${what}: create revision`);
  assert.equal(BigInt(f.version), kv.version, `${what}: version`);
  assert.equal(BigInt(f.lease), kv.lease, `${what}: lease`);
}

describe('RawWatchEvents', () => {
  it('reads every event in place as decode() decodes it, for 300 random responses', () => {
    const random = prng(7);
    const int64 = (): string =>
      random() < 0.5 ? INT64S[Math.floor(random() * INT64S.length)]! : String(Math.floor(random() * 2 ** 40));
    const bytes = (): Buffer =>
      Buffer.from(Array.from({ length: Math.floor(random() * 40) }, () => Math.floor(random() * 256)));
    const kv = (): RawKeyValue => ({
      key: bytes(),
      value: bytes(),
      create_revision: int64(),
      mod_revision: int64(),
      version: int64(),
      lease: int64(),
    });
    const fields = newRawEventFields();
    for (let i = 0; i < 300; i++) {
      const events = raw(
        Array.from({ length: Math.floor(random() * 6) }, () => ({
          type: random() < 0.5 ? 'PUT' : 'DELETE',
          kv: random() < 0.95 ? kv() : null,
          prev_kv: random() < 0.3 ? kv() : null,
        })),
      );
      const decoded = events.decode();
      assert.equal(decoded.length, events.length);
      decoded.forEach((e, k) => {
        events.read(k, fields);
        assert.equal(fields.isDelete, e.type === 'delete', `case ${i}.${k}: type`);
        assertSameKeyValue(events.buffer, fields.kv, e, `case ${i}.${k}`);
        assert.equal(fields.hasPrevKv, e.prevKv !== undefined, `case ${i}.${k}: prev_kv present`);
        if (e.prevKv) assertSameKeyValue(events.buffer, fields.prevKv, e.prevKv, `case ${i}.${k} prev_kv`);
        assert.equal(events.modRevision(k), e.modRevision, `case ${i}.${k}: modRevision()`);
      });
    }
  });

  it('keeps only the events above a floor, the same list when none is at or below it', () => {
    const events = raw([put('/a', '1', 10), put('/b', '2', 11), put('/c', '3', 12)]);
    assert.equal(events.after(9n), events);
    assert.deepEqual(
      events
        .after(10n)
        .decode()
        .map((e) => e.key.toString()),
      ['/b', '/c'],
    );
    assert.equal(events.after(12n).length, 0);
  });

  it('joins the events of several responses into one list, in order', () => {
    const joined = RawWatchEvents.concat([
      raw([put('/a', '1', 10)]),
      raw([]),
      raw([put('/b', '2', 11), put('/c', '3', 12)]),
    ]);
    assert.deepEqual(
      joined.decode().map((e) => `${e.key.toString()}=${e.value.toString()}@${e.modRevision}`),
      ['/a=1@10', '/b=2@11', '/c=3@12'],
    );
  });
});

class FakeHost implements WatcherHost {
  resumePaused(): void {}
  cancelWatcher(w: Watcher): void {
    w.finish();
  }
}

/** A raw watcher (from revision 10 unless said otherwise). */
function rawWatcher(fromRevision: bigint | undefined = 10n): Watcher {
  return new Watcher(
    {
      key: Buffer.from('/'),
      rangeEnd: undefined,
      fromRevision,
      prevKv: false,
      filters: [],
      progressNotify: false,
      isRaw: true,
    },
    0,
    { maxBytes: 1e6, maxMessages: 100 },
    new FakeHost(),
    undefined,
  );
}

/** What the watcher has buffered for its consumer, summarised (e.g. `raw@12,13`, `progress@20`). */
function buffered(w: Watcher): string[] {
  // Read without taking (taking could resume a paused watcher): the WatchBuffer's private messages.
  const consumer = (w as unknown as { consumer: { buffer?: { messages: RawWatchMessage[] } } }).consumer;
  const messages = consumer.buffer?.messages ?? assert.fail('an iterated watch has a buffer');
  return messages.map((m) => {
    if (m.type !== 'raw-events') {
      return m.type === 'reconnected'
        ? `reconnected@${m.revision}/${m.etcdRevision}`
        : `${m.type}@${m.revision}`;
    }
    const revisions = Array.from({ length: m.events.length }, (_, i) => m.events.modRevision(i));
    assert.equal(m.revision, revisions[revisions.length - 1], "a message's revision is its last event's");
    return `raw@${revisions.join(',')}`;
  });
}

describe('Watcher, raw', () => {
  it("hands a response's events over as bytes and resumes right after the last one", async () => {
    const w = rawWatcher();
    w.onCreated(40n);
    w.onResponseEvents(raw([put('/a', '1', 12), put('/b', '2', 13)]));
    assert.deepEqual(buffered(w), ['created@40', 'raw@12,13']);
    assert.equal(w.startRevision(), 14n);
    const iterator = w.asRawWatch()[Symbol.asyncIterator]();
    const first = await iterator.next();
    assert.ok(!first.done && first.value.type === 'created');
    const next = await iterator.next();
    assert.ok(!next.done && next.value.type === 'raw-events');
    assert.deepEqual(
      next.value.events.decode().map((e) => e.key.toString()),
      ['/a', '/b'],
    );
  });

  it('drops events at or below the resume point (delivered, or covered by a counted progress)', () => {
    const w = rawWatcher();
    w.onResponseEvents(raw([put('/a', '1', 12)]));
    w.onProgress(20n, true);
    w.onResponseEvents(raw([put('/a', '2', 19), put('/a', '3', 20), put('/a', '4', 21)]));
    w.onResponseEvents(raw([put('/a', '4', 21)]));
    assert.deepEqual(buffered(w), ['raw@12', 'progress@20', 'raw@21']);
    assert.equal(w.startRevision(), 22n);
  });

  it("holds its events while etcd's history is checked, then delivers them once, without duplicates", () => {
    const w = rawWatcher(undefined);
    w.onCreated(40n);
    w.onResponseEvents(raw([put('/a', '1', 51)]));
    assert.equal(w.beginCreate(), true);
    assert.equal(w.activate('1', 0), true);
    w.noteStreamLost();
    assert.equal(w.requeue(), true);
    assert.equal(w.beginCreate(), true);
    assert.equal(w.onCreated(49n), false, 'below what the watch has seen');
    w.onResponseEvents(raw([put('/a', '1', 51), put('/b', '2', 52)]));
    w.onResponseEvents(raw([put('/c', '3', 53)]));
    assert.deepEqual(buffered(w), ['created@40', 'raw@51']);
    w.endVerification();
    assert.deepEqual(buffered(w), ['created@40', 'raw@51', 'reconnected@51/49', 'raw@52,53']);
  });
});
