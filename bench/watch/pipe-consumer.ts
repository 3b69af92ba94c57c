// The reader at the end of the pipe in phase 6: `<tool> | node pipe-consumer.ts <format> <events>`.
// It parses every line as a consumer of that tool would (JSON.parse), counts events until it has seen
// <events>, then reports on stdout one JSON line (see PipeResult) and exits. Which (key, value,
// mod_revision) it decoded is kept as strings while timing and folded into a digest afterwards, so
// that checking "the same output" costs the timed part no more than keeping what it read.
import { createHash } from 'node:crypto';
import { nowMs } from './protocol.js';

/** How the tool prints: etcdctl's `-w json` (one WatchResponse per line) or our `watch -w json` lines. */
export type PipeFormat = 'etcdctl' | 'ours';

/** What the consumer reports, as one JSON line on its stdout. */
export interface PipeResult {
  events: number;
  /** Epoch ms (nowMs) of the first byte read and of the event that completed the count. */
  firstByteAt: number;
  reachedAt: number;
  /** The consumer's own CPU (user + system) up to reachedAt, µs. */
  cpuMicros: number;
  /** sha256 over every event's base64 key, base64 value and mod_revision, in arrival order. */
  digest: string;
  /** Set when the input ended early or did not parse. */
  error?: string;
}

interface EtcdctlLine {
  Events?: { kv: { key: string; value?: string; mod_revision: number } }[] | null;
}
interface OurLine {
  type: string;
  key?: string;
  value?: string;
  modRevision?: string;
  keyEncoding?: 'base64';
  valueEncoding?: 'base64';
}

const format = process.argv[2] as PipeFormat;
const wanted = Number(process.argv[3]);
if (format !== 'etcdctl' && format !== 'ours') throw new Error(`unknown format '${process.argv[2]}'`);

/** Per event: key, value (each base64 for etcdctl; as printed for ours) and revision, while timing. */
const keys: string[] = [];
const values: string[] = [];
const revisions: string[] = [];
/** For ours: whether key / value were printed as UTF-8 text (to be base64-encoded for the digest). */
const keyIsText: boolean[] = [];
const valueIsText: boolean[] = [];
let firstByteAt = 0;
let isDone = false;

function onLine(line: string): void {
  if (line.length === 0) return;
  if (format === 'etcdctl') {
    const res = JSON.parse(line) as EtcdctlLine;
    for (const e of res.Events ?? []) {
      keys.push(e.kv.key);
      values.push(e.kv.value ?? '');
      revisions.push(String(e.kv.mod_revision));
    }
  } else {
    const o = JSON.parse(line) as OurLine;
    if (o.type !== 'put' && o.type !== 'delete') return;
    keys.push(o.key!);
    values.push(o.value!);
    revisions.push(o.modRevision!);
    keyIsText.push(o.keyEncoding === undefined);
    valueIsText.push(o.valueEncoding === undefined);
  }
}

function base64(text: string, isText: boolean): string {
  return isText ? Buffer.from(text, 'utf8').toString('base64') : text;
}

function finish(error?: string): void {
  if (isDone) return;
  isDone = true;
  const reachedAt = nowMs();
  const cpu = process.cpuUsage();
  const hash = createHash('sha256');
  const n = Math.min(keys.length, wanted);
  for (let i = 0; i < n; i++) {
    const key = format === 'ours' ? base64(keys[i]!, keyIsText[i]!) : keys[i]!;
    const value = format === 'ours' ? base64(values[i]!, valueIsText[i]!) : values[i]!;
    hash.update(`${key} ${value} ${revisions[i]}\n`);
  }
  const result: PipeResult = {
    events: keys.length,
    firstByteAt,
    reachedAt,
    cpuMicros: cpu.user + cpu.system,
    digest: hash.digest('hex'),
    ...(error === undefined ? {} : { error }),
  };
  process.stdout.write(JSON.stringify(result) + '\n', () => process.exit(0));
}

let pending = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk: string) => {
  if (isDone) return;
  if (firstByteAt === 0) firstByteAt = nowMs();
  let start = 0;
  let nl = chunk.indexOf('\n');
  if (nl >= 0) {
    try {
      onLine(pending + chunk.slice(0, nl));
      pending = '';
      for (start = nl + 1; (nl = chunk.indexOf('\n', start)) >= 0; start = nl + 1) {
        onLine(chunk.slice(start, nl));
      }
    } catch (err) {
      finish(`unparsable output: ${String(err).slice(0, 200)}`);
      return;
    }
  }
  pending += chunk.slice(start);
  if (keys.length >= wanted) finish();
});
process.stdin.on('end', () => finish(`input ended after ${keys.length} of ${wanted} events`));
// The parent waits for this line before it starts the tool, so that start-up is not timed.
process.stderr.write('ready\n');
