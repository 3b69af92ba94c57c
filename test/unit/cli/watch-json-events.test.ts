import { strict as assert } from 'node:assert';
import { PassThrough, Writable } from 'node:stream';
import { formatJsonLine, type FormattableEvent } from '../../../src/cli/watch-format.js';
import { formatJsonEvents, formatJsonRawEvents } from '../../../src/cli/watch-json-events.js';
import { WatchPrinter } from '../../../src/cli/watch-output.js';
import type { KeyValue, RawWatchEvents } from '../../../src/etcd/index.js';
import { etcdMethodDefinition } from '../../../src/etcd/proto.js';
import type { RawKeyValue, RawWatchRequest, RawWatchResponse } from '../../../src/etcd/raw-messages.js';
import { decodeWatchResponse } from '../../../src/etcd/watch-response-decoder.js';
import { event } from './watch-fixtures.js';

// proto-loader's full definition: its server-side encoder makes the wire bytes etcd would send.
const WATCH = etcdMethodDefinition<RawWatchRequest, RawWatchResponse>('Watch', 'Watch');

const rawKeyValue = (kv: KeyValue): RawKeyValue => ({
  key: kv.key,
  value: kv.value,
  create_revision: String(kv.createRevision),
  mod_revision: String(kv.modRevision),
  version: String(kv.version),
  lease: String(kv.lease),
});

/** `events` as a raw watch hands them over: encoded as etcd sends them, then framed by our decoder. */
function asRaw(events: readonly FormattableEvent[]): RawWatchEvents {
  const wire = WATCH.responseSerialize({
    header: { cluster_id: '1', member_id: '1', revision: '1', raft_term: '1' },
    watch_id: '0',
    created: false,
    canceled: false,
    compact_revision: '0',
    cancel_reason: '',
    fragment: false,
    events: events.map((e) => ({
      type: e.type === 'put' ? 'PUT' : 'DELETE',
      kv: rawKeyValue(e),
      prev_kv: e.prevKv ? rawKeyValue(e.prevKv) : null,
    })),
  });
  return decodeWatchResponse(wire).events;
}

/** Both writers' output for `events`: from the objects, and from the protobuf bytes. */
function bothWriters(events: readonly FormattableEvent[]): { objects: string; raw: string } {
  return {
    objects: Buffer.concat(formatJsonEvents(events)).toString('utf8'),
    raw: Buffer.concat(formatJsonRawEvents(asRaw(events))).toString('utf8'),
  };
}

/** What the one-object-per-line formatter prints for `events`: the reference. */
function reference(events: readonly FormattableEvent[]): string {
  return events.map((event) => formatJsonLine({ type: 'event', event })).join('');
}

const bytes = (...b: number[]): Buffer => Buffer.from(b);

/** Keys and values that take every path: plain ASCII, escapes, UTF-8 text, binary, empty, long. */
const AWKWARD: Buffer[] = [
  Buffer.alloc(0),
  Buffer.from('plain-ascii/with.dots_and~tilde'),
  Buffer.from('quote " and backslash \\ inside'),
  Buffer.from('tab\tnewline\ncarriage\rnul\u0000bell\u0007'),
  bytes(0x7f, 0x41),
  Buffer.from('ümlaut, 日本語, emoji 🎉, line separator \u2028'),
  bytes(0xff, 0xfe, 0x00, 0x80),
  bytes(0xed, 0xa0, 0x80), // a lone surrogate in CESU-8: not valid UTF-8
  Buffer.from('x'.repeat(40)),
  Buffer.from('"'.repeat(3_000)),
];
/** Longer than one output chunk. */
const LONG = Buffer.alloc(1_100_000, 0x61);

describe('watch -w json lines built as bytes', () => {
  it('are byte for byte what formatJsonLine prints, for every kind of key and value', () => {
    const events: FormattableEvent[] = [];
    for (const key of AWKWARD) for (const value of AWKWARD) events.push(event({ key, value }));
    events.push(
      event({ key: LONG }),
      event({ value: LONG }),
      event({ value: Buffer.concat([LONG, bytes(0xff)]) }),
    );
    const { objects, raw } = bothWriters(events);
    assert.equal(objects, reference(events));
    assert.equal(raw, objects, 'the raw writer differs from the object writer');
  });

  it('are byte for byte what formatJsonLine prints for deletes, prevKv and every int64', () => {
    const int64s = [
      0n,
      1n,
      9n,
      10n,
      99n,
      100n,
      123456789n,
      2n ** 53n - 1n,
      2n ** 53n,
      2n ** 63n - 1n,
      -1n,
      -(2n ** 63n),
    ];
    const events: FormattableEvent[] = int64s.map((n, i) =>
      event({
        type: i % 2 === 0 ? 'put' : 'delete',
        modRevision: n,
        createRevision: int64s[(i + 1) % int64s.length]!,
        version: int64s[(i + 2) % int64s.length]!,
        lease: int64s[(i + 3) % int64s.length]!,
        ...(i % 3 === 0
          ? {
              prevKv: {
                ...event(),
                key: AWKWARD[(i + 6) % AWKWARD.length]!,
                value: AWKWARD[i % 8]!,
                lease: n,
              },
            }
          : {}),
      }),
    );
    const { objects, raw } = bothWriters(events);
    assert.equal(objects, reference(events));
    assert.equal(raw, objects, 'the raw writer differs from the object writer');
    for (const line of objects.trimEnd().split('\n')) JSON.parse(line);
  });

  it('keep the order of many events across output chunks', () => {
    const events = Array.from({ length: 20_000 }, (_, i) =>
      event({
        key: Buffer.from(`/k/${i}`),
        value: Buffer.from(`v${i}`.padEnd(40, '.')),
        modRevision: BigInt(i + 1),
      }),
    );
    const chunks = formatJsonEvents(events);
    assert.ok(chunks.length > 1, 'expected the lines to span several chunks');
    assert.equal(Buffer.concat(chunks).toString('utf8'), reference(events));
    // Fewer, larger events for the raw writer: as many chunks, a fraction of the encoding.
    const large = Array.from({ length: 200 }, (_, i) =>
      event({
        key: Buffer.from(`/k/${i}`),
        value: Buffer.from(`v${i}`.padEnd(12_000, '.')),
        modRevision: BigInt(i + 1),
      }),
    );
    const rawChunks = formatJsonRawEvents(asRaw(large));
    assert.ok(rawChunks.length > 1, 'expected the raw lines to span several chunks');
    assert.equal(Buffer.concat(rawChunks).toString('utf8'), reference(large));
  });

  it('make no output for no events', () => {
    assert.deepEqual(formatJsonEvents([]), []);
    assert.deepEqual(formatJsonRawEvents(asRaw([])), []);
  });
});

describe('watch printer, events', () => {
  it('prints a response as the JSON lines of its events and waits for a slow stdout to drain', async () => {
    const written: Buffer[] = [];
    let release: (() => void) | undefined;
    const stdout = new Writable({
      highWaterMark: 1,
      writev(chunks, done) {
        for (const c of chunks) written.push(c.chunk as Buffer);
        release = done; // held until the test lets it go
      },
    });
    const printer = new WatchPrinter('json', stdout, new PassThrough());
    const events = Array.from({ length: 30_000 }, (_, i) => event({ modRevision: BigInt(i + 1) }));
    let isPrinted = false;
    const printing = printer.printEvents(events).then(() => (isPrinted = true));
    await new Promise((r) => setImmediate(r));
    assert.equal(isPrinted, false, 'printEvents() resolved while stdout was full');
    release!();
    await printing;
    assert.equal(Buffer.concat(written).toString('utf8'), reference(events));
  });

  it('prints a raw response as the same lines as its decoded events, in JSON and in text', async () => {
    const events = [
      event(),
      event({ type: 'delete', key: Buffer.from('/config/b'), value: Buffer.alloc(0), prevKv: event() }),
    ];
    for (const format of ['json', 'text'] as const) {
      const [decoded, raw] = [new PassThrough(), new PassThrough()];
      await new WatchPrinter(format, decoded, new PassThrough()).printEvents(events);
      await new WatchPrinter(format, raw, new PassThrough()).printRawEvents(asRaw(events));
      assert.equal(String(raw.read()), String(decoded.read()), format);
    }
  });

  it('prints events as text lines under --output text', async () => {
    const out = new PassThrough();
    const printer = new WatchPrinter('text', out, new PassThrough());
    await printer.printEvents([
      event(),
      event({ type: 'delete', key: Buffer.from('/config/b'), value: Buffer.alloc(0) }),
    ]);
    assert.equal(String(out.read()), 'PUT\n/config/a\nhello\nDELETE\n/config/b\n\n');
  });
});
