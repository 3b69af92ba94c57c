import type { Writable } from 'node:stream';
import { formatJsonLine, formatTextLine, type FormattableEvent, type WatchLine } from './watch-format.js';
import type { RawWatchEvents } from '../etcd/index.js';
import { formatJsonEvents, formatJsonRawEvents } from './watch-json-events.js';
import type { WatchOutput } from './watch-options.js';

/**
 * Writes `watch` lines to stdout/stderr in the chosen format. Writes to stdout respect backpressure
 * (`write()` resolves once the stream can take more), so a slow pipe slows the watch instead of
 * growing memory; a closed pipe (EPIPE) is remembered in {@link isClosed} rather than thrown.
 */
export class WatchPrinter {
  /** Set once stdout failed (e.g. the reader of the pipe went away); nothing more is written. */
  isClosed = false;

  constructor(
    private readonly format: WatchOutput,
    private readonly stdout: Writable,
    private readonly stderr: Writable,
  ) {
    stdout.on('error', () => {
      this.isClosed = true;
    });
  }

  /** Prints several lines with one write per stream; resolves when stdout can take more. */
  async print(lines: readonly WatchLine[]): Promise<void> {
    if (this.isClosed || lines.length === 0) return;
    if (this.format === 'json') {
      await this.writeOut(lines.map(formatJsonLine).join(''));
      return;
    }
    const out: Buffer[] = [];
    let err = '';
    for (const line of lines) {
      const text = formatTextLine(line);
      if (text.stdout) out.push(text.stdout);
      if (text.stderr) err += text.stderr;
    }
    if (err) this.stderr.write(err);
    if (out.length > 0) await this.writeOut(Buffer.concat(out));
  }

  /**
   * Prints one watch response's events: in JSON with a few large writes of bytes built directly
   * (watch-json-events.ts), which a replay of a backlog needs to keep up with `etcdctl watch`.
   */
  async printEvents(events: readonly FormattableEvent[]): Promise<void> {
    if (this.format !== 'json') return this.print(events.map((event) => ({ type: 'event', event })));
    if (this.isClosed || events.length === 0) return;
    await this.writeChunks(formatJsonEvents(events));
  }

  /**
   * printEvents() for a raw watch's events: in JSON read in place from the protobuf bytes
   * (formatJsonRawEvents), the same lines without an object per event; decoded for text.
   */
  async printRawEvents(events: RawWatchEvents): Promise<void> {
    if (this.format !== 'json') return this.printEvents(events.decode());
    if (this.isClosed || events.length === 0) return;
    await this.writeChunks(formatJsonRawEvents(events));
  }

  /** Writes `chunks` (at least one) to stdout; resolves when it can take more. */
  private async writeChunks(chunks: Buffer[]): Promise<void> {
    const last = chunks.pop()!;
    // Corked, the chunks leave in one writev; backpressure is judged on the whole response.
    this.stdout.cork();
    for (const chunk of chunks) this.stdout.write(chunk);
    const written = this.writeOut(last);
    this.stdout.uncork();
    await written;
  }

  private async writeOut(chunk: string | Buffer): Promise<void> {
    if (this.stdout.write(chunk)) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        this.stdout.off('drain', done);
        this.stdout.off('error', done);
        this.stdout.off('close', done);
        resolve();
      };
      this.stdout.on('drain', done);
      this.stdout.on('error', done);
      this.stdout.on('close', done);
    });
  }

  /** Resolves once everything written so far has been handed to the OS (or stdout failed). */
  flush(): Promise<void> {
    if (this.isClosed) return Promise.resolve();
    return new Promise((resolve) => this.stdout.write('', () => resolve()));
  }
}
