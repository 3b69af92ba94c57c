// A watch response's events kept as the protobuf bytes etcd sent: the buffer and where each Event
// message lies in it. The stream reads the one number it needs per response (the last event's
// mod_revision, the resume point) straight from the bytes; a watch that wants WatchEvents decodes them
// (decode()), and one that asked for `raw` (the `watch -w json` command) reads each event's fields in
// place (read()) without an object, a Buffer or a bigint per event: a 100,000-event catch-up response
// otherwise becomes 300,000 short-lived objects, and garbage collection was most of the command's CPU.
// Field numbers are those of proto/etcd/kv.proto (Event, KeyValue); unknown fields are skipped.
import type { KeyValue, WatchEvent } from './types.js';
import { bigintOf, EMPTY, Reader } from './wire-reader.js';

/**
 * An int64 field read in place: a number while it is a non-negative integer below 2^49 (every
 * realistic revision, version and lease), else its exact value as a bigint (two's complement).
 */
export type RawInt64 = number | bigint;

/** One KeyValue of a raw event: where its key and value lie in RawWatchEvents.buffer, and its int64s. */
export interface RawKeyValueFields {
  keyStart: number;
  keyEnd: number;
  valueStart: number;
  valueEnd: number;
  modRevision: RawInt64;
  createRevision: RawInt64;
  version: RawInt64;
  lease: RawInt64;
}

/** One event's fields, filled in place by {@link RawWatchEvents.read}; reuse one for every event. */
export interface RawEventFields {
  isDelete: boolean;
  /** The event's kv: the key's state after the event (a delete's value is empty). */
  kv: RawKeyValueFields;
  /** Whether etcd sent prev_kv (the watch asked for it and the key existed). */
  hasPrevKv: boolean;
  /** prev_kv when hasPrevKv; left over from an earlier event otherwise. */
  prevKv: RawKeyValueFields;
}

const emptyFields = (): RawKeyValueFields => ({
  keyStart: 0,
  keyEnd: 0,
  valueStart: 0,
  valueEnd: 0,
  modRevision: 0,
  createRevision: 0,
  version: 0,
  lease: 0,
});

/** A fresh RawEventFields to hand to {@link RawWatchEvents.read}. */
export function newRawEventFields(): RawEventFields {
  return { isDelete: false, kv: emptyFields(), hasPrevKv: false, prevKv: emptyFields() };
}

function int64Field(r: Reader): RawInt64 {
  const v = r.varint();
  return typeof v === 'number' ? v : BigInt.asIntN(64, v);
}

/** Absent fields read as protobuf's zero: an empty key and value, 0. */
function clearKeyValue(kv: RawKeyValueFields): void {
  kv.keyStart = kv.keyEnd = kv.valueStart = kv.valueEnd = 0;
  kv.modRevision = kv.createRevision = kv.version = kv.lease = 0;
}

/** Reads the KeyValue the reader has entered into `kv`, cleared first. */
function readKeyValue(r: Reader, kv: RawKeyValueFields): void {
  clearKeyValue(kv);
  for (let tag = r.tag(); tag !== -1; tag = r.tag()) {
    switch (tag) {
      case (1 << 3) | 2:
        kv.keyStart = r.span();
        kv.keyEnd = r.pos;
        break;
      case (2 << 3) | 0:
        kv.createRevision = int64Field(r);
        break;
      case (3 << 3) | 0:
        kv.modRevision = int64Field(r);
        break;
      case (4 << 3) | 0:
        kv.version = int64Field(r);
        break;
      case (5 << 3) | 2:
        kv.valueStart = r.span();
        kv.valueEnd = r.pos;
        break;
      case (6 << 3) | 0:
        kv.lease = int64Field(r);
        break;
      default:
        r.skip(tag & 7);
    }
  }
}

/** Reads the KeyValue message the reader has entered into `kv` (a KeyValue or an event), copying bytes. */
function decodeKeyValue(r: Reader, kv: KeyValue): void {
  for (let tag = r.tag(); tag !== -1; tag = r.tag()) {
    switch (tag) {
      case (1 << 3) | 2:
        kv.key = r.bytes();
        break;
      case (2 << 3) | 0:
        kv.createRevision = r.int64();
        break;
      case (3 << 3) | 0:
        kv.modRevision = r.int64();
        break;
      case (4 << 3) | 0:
        kv.version = r.int64();
        break;
      case (5 << 3) | 2:
        kv.value = r.bytes();
        break;
      case (6 << 3) | 0:
        kv.lease = r.int64();
        break;
      default:
        r.skip(tag & 7);
    }
  }
}

const emptyKeyValue = (): KeyValue => ({
  key: EMPTY,
  value: EMPTY,
  createRevision: 0n,
  modRevision: 0n,
  version: 0n,
  lease: 0n,
});

const zeroRevisions = (): Pick<KeyValue, 'createRevision' | 'modRevision' | 'version' | 'lease'> => ({
  createRevision: 0n,
  modRevision: 0n,
  version: 0n,
  lease: 0n,
});

/** Reads the Event message the reader has narrowed to; its kv goes straight into the event's fields. */
function decodeEvent(r: Reader): WatchEvent {
  // Fields in the order of the object literal it replaced, so that every event has one shape.
  const event: WatchEvent = {
    type: 'put',
    key: EMPTY,
    value: EMPTY,
    modRevision: 0n,
    createRevision: 0n,
    version: 0n,
    lease: 0n,
  };
  let isKvSeen = false;
  let prevKv: KeyValue | undefined;
  for (let tag = r.tag(); tag !== -1; tag = r.tag()) {
    switch (tag) {
      case (1 << 3) | 0:
        event.type = r.varint() === 1 ? 'delete' : 'put';
        break;
      case (2 << 3) | 2: {
        // A repeated embedded message merges into the earlier one in protobuf; etcd sends kv once,
        // and, as before, a second one replaces the first.
        if (isKvSeen) Object.assign(event, { key: EMPTY, value: EMPTY }, zeroRevisions());
        isKvSeen = true;
        const outer = r.enter();
        decodeKeyValue(r, event);
        r.leave(outer);
        break;
      }
      case (3 << 3) | 2: {
        prevKv = emptyKeyValue();
        const outer = r.enter();
        decodeKeyValue(r, prevKv);
        r.leave(outer);
        break;
      }
      default:
        r.skip(tag & 7);
    }
  }
  if (prevKv) event.prevKv = prevKv;
  return event;
}

const NO_SPANS = new Int32Array(0);

/**
 * Events of one watch response (or of several joined: fragments, or responses held during a history
 * check), as bytes: `buffer` and, for each event, the [start, end) of its Event message in it. Holds
 * the response's buffer for as long as it lives. Immutable; reading throws RangeError on malformed
 * bytes (the response decoder has already checked every event's framing, not its inside).
 */
export class RawWatchEvents {
  /** A cursor re-pointed at one event at a time (one object per list, not one per read). */
  private cursor: Reader | undefined;

  constructor(
    /** The bytes the events lie in. */
    readonly buffer: Buffer,
    /** Event i's Event message is buffer[spans[2i], spans[2i + 1]). */
    private readonly spans: Int32Array,
  ) {}

  /** No events, over `buffer`. */
  static none(buffer: Buffer = EMPTY): RawWatchEvents {
    return new RawWatchEvents(buffer, NO_SPANS);
  }

  /** The events of `lists`, in order, as one list (copied into one buffer when there are several). */
  static concat(lists: readonly RawWatchEvents[]): RawWatchEvents {
    const nonEmpty = lists.filter((l) => l.length > 0);
    if (nonEmpty.length <= 1) return nonEmpty[0] ?? lists[0] ?? RawWatchEvents.none();
    let bytes = 0;
    let count = 0;
    for (const l of nonEmpty) {
      count += l.length;
      for (let i = 0; i < l.length; i++) bytes += l.end(i) - l.start(i);
    }
    const buffer = Buffer.allocUnsafe(bytes);
    const spans = new Int32Array(count * 2);
    let pos = 0;
    let k = 0;
    for (const l of nonEmpty) {
      for (let i = 0; i < l.length; i++) {
        spans[k++] = pos;
        pos += l.buffer.copy(buffer, pos, l.start(i), l.end(i));
        spans[k++] = pos;
      }
    }
    return new RawWatchEvents(buffer, spans);
  }

  /** Number of events. */
  get length(): number {
    return this.spans.length >> 1;
  }

  /** Where event `i`'s Event message starts in {@link buffer}. */
  start(i: number): number {
    return this.spans[2 * i]!;
  }

  /** Where event `i`'s Event message ends in {@link buffer}. */
  end(i: number): number {
    return this.spans[2 * i + 1]!;
  }

  private at(i: number): Reader {
    const r = (this.cursor ??= new Reader(this.buffer, 0, 0));
    r.pos = this.start(i);
    r.end = this.end(i);
    return r;
  }

  /**
   * Fills `into` with event `i`'s fields. A repeated kv or prev_kv replaces the earlier one (as
   * decode() does); absent fields read as protobuf's zero (empty key and value, 0).
   */
  read(i: number, into: RawEventFields): void {
    const r = this.at(i);
    into.isDelete = false;
    into.hasPrevKv = false;
    clearKeyValue(into.kv);
    for (let tag = r.tag(); tag !== -1; tag = r.tag()) {
      switch (tag) {
        case (1 << 3) | 0:
          into.isDelete = r.varint() === 1;
          break;
        case (2 << 3) | 2: {
          const outer = r.enter();
          readKeyValue(r, into.kv);
          r.leave(outer);
          break;
        }
        case (3 << 3) | 2: {
          into.hasPrevKv = true;
          const outer = r.enter();
          readKeyValue(r, into.prevKv);
          r.leave(outer);
          break;
        }
        default:
          r.skip(tag & 7);
      }
    }
  }

  /** Event `i`'s kv.mod_revision (0n when absent), read without decoding the rest. */
  modRevision(i: number): bigint {
    const r = this.at(i);
    let revision: RawInt64 = 0;
    for (let tag = r.tag(); tag !== -1; tag = r.tag()) {
      if (tag !== ((2 << 3) | 2)) {
        r.skip(tag & 7);
        continue;
      }
      revision = 0; // a second kv replaces the first
      const outer = r.enter();
      for (let inner = r.tag(); inner !== -1; inner = r.tag()) {
        if (inner === ((3 << 3) | 0)) revision = int64Field(r);
        else r.skip(inner & 7);
      }
      r.leave(outer);
    }
    return typeof revision === 'number' ? bigintOf(revision) : revision;
  }

  /**
   * The events with a mod_revision above `floor` (the watch's resume point: those at or below it were
   * delivered before). etcd sends a response's events in revision order, so when the first is above
   * `floor` every one is, and the list is returned as it is without reading the others.
   */
  after(floor: bigint): RawWatchEvents {
    const n = this.length;
    if (n === 0 || this.modRevision(0) > floor) return this;
    const kept: number[] = [];
    for (let i = 0; i < n; i++) if (this.modRevision(i) > floor) kept.push(this.start(i), this.end(i));
    return new RawWatchEvents(this.buffer, Int32Array.from(kept));
  }

  /** The events as WatchEvents, keys and values copied out of the buffer. */
  decode(): WatchEvent[] {
    const n = this.length;
    const events = new Array<WatchEvent>(n);
    for (let i = 0; i < n; i++) events[i] = decodeEvent(this.at(i));
    return events;
  }
}
