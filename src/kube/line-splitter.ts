// A watch answer is one JSON document per line, in chunks that cut lines (and UTF-8 characters)
// anywhere. This splits the bytes on '\n' and decodes each whole line once.

/** The byte of '\n'. */
const NEWLINE = 0x0a;
/** The byte of '\r' (a line may end in "\r\n"). */
const CARRIAGE_RETURN = 0x0d;

/**
 * Turns chunks of bytes into lines (without their "\n" or "\r\n"), handed to `onLine` synchronously
 * from {@link push} and {@link end}, in order. Empty lines are skipped.
 */
export class LineSplitter {
  /** The bytes after the last newline seen: the start of a line that later chunks end. */
  private pending: Buffer[] = [];

  constructor(private readonly onLine: (line: string) => void) {}

  /** Adds a chunk; calls `onLine` for each line it completes. */
  push(chunk: Buffer): void {
    let start = 0;
    let newline = chunk.indexOf(NEWLINE);
    while (newline !== -1) {
      if (this.pending.length > 0) {
        this.pending.push(chunk.subarray(start, newline));
        const line = Buffer.concat(this.pending);
        this.pending = [];
        this.emit(line, 0, line.length);
      } else {
        this.emit(chunk, start, newline);
      }
      start = newline + 1;
      newline = chunk.indexOf(NEWLINE, start);
    }
    if (start < chunk.length) this.pending.push(chunk.subarray(start));
  }

  /** The stream ended: a last line without a newline is a line too. */
  end(): void {
    if (this.pending.length === 0) return;
    const line = Buffer.concat(this.pending);
    this.pending = [];
    this.emit(line, 0, line.length);
  }

  private emit(bytes: Buffer, start: number, end: number): void {
    if (end > start && bytes[end - 1] === CARRIAGE_RETURN) end--;
    if (end > start) this.onLine(bytes.toString('utf8', start, end));
  }
}
