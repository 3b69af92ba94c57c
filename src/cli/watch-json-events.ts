// `watch -w json` event lines written straight into Buffers: the same bytes as formatJsonLine
// (watch-format.ts) gives for each event, without building an object, a JSON.stringify and a string
// per event and then encoding the joined string again for the pipe. A replay of a backlog prints
// hundreds of thousands of events a second, and that per-event garbage was most of `watch`'s CPU.
import { isUtf8 } from 'node:buffer';
import {
  newRawEventFields,
  type RawInt64,
  type RawKeyValueFields,
  type RawWatchEvents,
} from '../etcd/index.js';
import type { FormattableEvent, FormattableKeyValue } from './watch-format.js';

/** Size of each output chunk; a line longer than this gets a chunk of its own. */
const CHUNK_BYTES = 1 << 20;
/** Below this many bytes a JS loop copies faster than a native Buffer.copy call. */
const COPY_LOOP_MAX = 32;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

const ascii = (text: string): Buffer => Buffer.from(text, 'latin1');
const PUT_HEAD = ascii('{"type":"put","key":');
const DELETE_HEAD = ascii('{"type":"delete","key":');
const PREV_HEAD = ascii(',"prevKv":{"key":');
const VALUE = ascii(',"value":');
const MOD_REVISION = ascii(',"modRevision":"');
const CREATE_REVISION = ascii('","createRevision":"');
const VERSION = ascii('","version":"');
const LEASE = ascii('","lease":"');
const KEY_BASE64 = ascii(',"keyEncoding":"base64"');
const VALUE_BASE64 = ascii(',"valueEncoding":"base64"');
/** Fixed text of one key-value, generously: field names, quotes and four int64s at 20 digits. */
const KEY_VALUE_FIXED_BYTES = 256;

/**
 * Whether `b` can go between JSON quotes as it is: printable ASCII without `"` or `\` (what
 * JSON.stringify of its text would leave alone).
 */
function isPlainJson(b: Buffer): boolean {
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    if (c < 0x20 || c > 0x7f || c === QUOTE || c === BACKSLASH) return false;
  }
  return true;
}

/** Appends JSON lines to a list of Buffers, CHUNK_BYTES at a time. */
class LineBuilder {
  readonly chunks: Buffer[] = [];
  private buf = Buffer.allocUnsafe(CHUNK_BYTES);
  private pos = 0;

  /** Makes room for `n` more bytes in the current chunk. */
  reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    if (this.pos > 0) this.chunks.push(this.buf.subarray(0, this.pos));
    this.buf = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, n));
    this.pos = 0;
  }

  /** Appends bytes already reserved. */
  bytes(b: Buffer): void {
    if (b.length <= COPY_LOOP_MAX) {
      const buf = this.buf;
      let p = this.pos;
      for (let i = 0; i < b.length; i++) buf[p++] = b[i]!;
      this.pos = p;
    } else {
      this.pos += b.copy(this.buf, this.pos);
    }
  }

  byte(c: number): void {
    this.buf[this.pos++] = c;
  }

  /** Appends a decimal int64 (reserved: at most 20 bytes). */
  int64(v: bigint): void {
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < 0) {
      this.pos += this.buf.write(v.toString(), this.pos, 'latin1');
      return;
    }
    this.digits(n);
  }

  /** int64() for an int64 read in place: a number (a non-negative safe integer) or a bigint. */
  rawInt64(v: RawInt64): void {
    if (typeof v === 'bigint') this.int64(v);
    else this.digits(v);
  }

  /** Appends `n`, a non-negative safe integer, in decimal (reserved). */
  private digits(value: number): void {
    let digits = 1;
    for (let x = value; x >= 10; x = Math.floor(x / 10)) digits++;
    let p = this.pos + digits;
    this.pos = p;
    let n = value;
    while (n >= 10) {
      const q = Math.floor(n / 10);
      this.buf[--p] = 48 + (n - q * 10);
      n = q;
    }
    this.buf[p - 1] = 48 + n;
  }

  /**
   * Appends `b` as a JSON string, as formatJsonLine encodes it: its UTF-8 text when it is valid
   * UTF-8, else base64. Returns whether it is base64.
   */
  jsonBytes(b: Buffer): boolean {
    if (isPlainJson(b)) {
      this.reserve(b.length + 2);
      this.byte(QUOTE);
      this.bytes(b);
      this.byte(QUOTE);
      return false;
    }
    const isText = isUtf8(b);
    const text = isText ? JSON.stringify(b.toString('utf8')) : `"${b.toString('base64')}"`;
    // One UTF-16 unit is at most 3 bytes of UTF-8.
    this.reserve(text.length * 3);
    this.pos += this.buf.write(text, this.pos, isText ? 'utf8' : 'latin1');
    return !isText;
  }

  /**
   * jsonBytes() for `src[start, end)`, read where it lies: plain text is checked and copied in one
   * pass, and only other text gets a Buffer of its own.
   */
  jsonSpan(src: Buffer, start: number, end: number): boolean {
    const n = end - start;
    this.reserve(n + 2);
    const buf = this.buf;
    let p = this.pos;
    buf[p++] = QUOTE;
    if (n <= COPY_LOOP_MAX) {
      for (let i = start; i < end; i++) {
        const c = src[i]!;
        if (c < 0x20 || c > 0x7f || c === QUOTE || c === BACKSLASH)
          return this.jsonBytes(src.subarray(start, end));
        buf[p++] = c;
      }
    } else {
      for (let i = start; i < end; i++) {
        const c = src[i]!;
        if (c < 0x20 || c > 0x7f || c === QUOTE || c === BACKSLASH)
          return this.jsonBytes(src.subarray(start, end));
      }
      p += src.copy(buf, p, start, end);
    }
    buf[p++] = QUOTE;
    this.pos = p;
    return false;
  }

  /** keyValue() for a key-value read in place from `src`. */
  rawKeyValue(src: Buffer, kv: RawKeyValueFields): void {
    const isKeyBase64 = this.jsonSpan(src, kv.keyStart, kv.keyEnd);
    this.reserve(VALUE.length);
    this.bytes(VALUE);
    const isValueBase64 = this.jsonSpan(src, kv.valueStart, kv.valueEnd);
    this.reserve(KEY_VALUE_FIXED_BYTES);
    this.bytes(MOD_REVISION);
    this.rawInt64(kv.modRevision);
    this.bytes(CREATE_REVISION);
    this.rawInt64(kv.createRevision);
    this.bytes(VERSION);
    this.rawInt64(kv.version);
    this.bytes(LEASE);
    this.rawInt64(kv.lease);
    this.byte(QUOTE);
    if (isKeyBase64) this.bytes(KEY_BASE64);
    if (isValueBase64) this.bytes(VALUE_BASE64);
  }

  /** The fields of a key-value after `"key":` (key first), up to but not including its closing `}`. */
  keyValue(kv: FormattableKeyValue): void {
    const isKeyBase64 = this.jsonBytes(kv.key);
    this.reserve(VALUE.length);
    this.bytes(VALUE);
    const isValueBase64 = this.jsonBytes(kv.value);
    this.reserve(KEY_VALUE_FIXED_BYTES);
    this.bytes(MOD_REVISION);
    this.int64(kv.modRevision);
    this.bytes(CREATE_REVISION);
    this.int64(kv.createRevision);
    this.bytes(VERSION);
    this.int64(kv.version);
    this.bytes(LEASE);
    this.int64(kv.lease);
    this.byte(QUOTE);
    if (isKeyBase64) this.bytes(KEY_BASE64);
    if (isValueBase64) this.bytes(VALUE_BASE64);
  }

  /** The chunks written so far; the builder is spent afterwards. */
  finish(): Buffer[] {
    if (this.pos > 0) this.chunks.push(this.buf.subarray(0, this.pos));
    return this.chunks;
  }
}

/**
 * `watch -w json` lines for `events`, in order, as Buffers to write one after the other: byte for
 * byte what formatJsonLine gives for each event (the unit test holds them to that).
 */
export function formatJsonEvents(events: readonly FormattableEvent[]): Buffer[] {
  const out = new LineBuilder();
  for (const e of events) {
    const head = e.type === 'put' ? PUT_HEAD : DELETE_HEAD;
    out.reserve(head.length);
    out.bytes(head);
    out.keyValue(e);
    if (e.prevKv) {
      out.reserve(PREV_HEAD.length);
      out.bytes(PREV_HEAD);
      out.keyValue(e.prevKv);
      out.reserve(1);
      out.byte(0x7d);
    }
    out.reserve(2);
    out.byte(0x7d);
    out.byte(0x0a);
  }
  return out.finish();
}

/**
 * formatJsonEvents() for a raw watch's events, read in place from the protobuf bytes (no event
 * object, Buffer or bigint per event): byte for byte the same lines (the unit test holds them to it).
 */
export function formatJsonRawEvents(events: RawWatchEvents): Buffer[] {
  const out = new LineBuilder();
  const src = events.buffer;
  const e = newRawEventFields();
  for (let i = 0; i < events.length; i++) {
    events.read(i, e);
    const head = e.isDelete ? DELETE_HEAD : PUT_HEAD;
    out.reserve(head.length);
    out.bytes(head);
    out.rawKeyValue(src, e.kv);
    if (e.hasPrevKv) {
      out.reserve(PREV_HEAD.length);
      out.bytes(PREV_HEAD);
      out.rawKeyValue(src, e.prevKv);
      out.reserve(1);
      out.byte(0x7d);
    }
    out.reserve(2);
    out.byte(0x7d);
    out.byte(0x0a);
  }
  return out.finish();
}
