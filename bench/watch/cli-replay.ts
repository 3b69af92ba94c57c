// Phase 6 of bench:watch: watch commands as people run them, `<tool> -w json | <reader>`, replaying a
// client-bound backlog. Each tool's stdout is an OS pipe straight into a pipe-consumer.ts process.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { PipeFormat, PipeResult } from './pipe-consumer.js';
import { nowMs } from './protocol.js';
import { procCpuMicros } from './proc-cpu.js';

const PIPE_CONSUMER = fileURLToPath(new URL('./pipe-consumer.ts', import.meta.url));
const REPO = fileURLToPath(new URL('../../', import.meta.url));
/** Our build for this phase: outside dist/ (which others may be using), git-ignored (.tmp/). */
export const BUILT_DIR = `${REPO}.tmp/bench-watch-dist`;
/**
 * BENCH_WATCH_BEFORE_DIST: the build of an earlier commit, run as `ours-before` (opt-in with
 * --cli-tools) for a before/after measured in the same runs, under the same load.
 */
const BEFORE_DIST = process.env['BENCH_WATCH_BEFORE_DIST'];

/** The watch commands compared. */
export const CLI_TOOLS = ['ours-built', 'ours-bundle', 'ours-bin', 'etcdctl', 'ours-before'] as const;
export type CliTool = (typeof CLI_TOOLS)[number];

/** How each tool is started for one replay, and how its output reads. */
function commandOf(
  tool: CliTool,
  endpoint: string,
  prefix: string,
  fromRevision: bigint,
  nodeFlags: readonly string[],
): { file: string; args: string[]; format: PipeFormat } {
  const ours = [
    'watch',
    '--endpoints',
    endpoint,
    '--from-revision',
    String(fromRevision),
    '-w',
    'json',
    prefix,
  ];
  switch (tool) {
    case 'ours-built':
      // As the image runs it.
      return {
        file: process.execPath,
        args: [...nodeFlags, `${BUILT_DIR}/main.js`, ...ours],
        format: 'ours',
      };
    case 'ours-bundle':
      // The esbuild bundle of that build (scripts/bundle.mjs), as the image and the npm package run it.
      return {
        file: process.execPath,
        args: [...nodeFlags, `${BUILT_DIR}/bundle/main.js`, ...ours],
        format: 'ours',
      };
    case 'ours-bin':
      // The package bin in a checkout: the TypeScript sources through tsx.
      return {
        file: process.execPath,
        args: [...nodeFlags, `${REPO}bin/etcd-config-operator.js`, ...ours],
        format: 'ours',
      };
    case 'ours-before':
      if (BEFORE_DIST === undefined) throw new Error('ours-before needs BENCH_WATCH_BEFORE_DIST');
      return {
        file: process.execPath,
        args: [...nodeFlags, `${BEFORE_DIST}/main.js`, ...ours],
        format: 'ours',
      };
    case 'etcdctl':
      return {
        file: process.env['ETCDCTL_BIN'] ?? 'etcdctl',
        args: [`--endpoints=${endpoint}`, 'watch', '--prefix', prefix, `--rev=${fromRevision}`, '-w', 'json'],
        format: 'etcdctl',
      };
  }
}

/**
 * Builds our command into {@link BUILT_DIR} (the production build, tsconfig.build.json), and bundles
 * that into BUILT_DIR/bundle/ (scripts/bundle.mjs, as `npm run build` does).
 */
export async function buildOurs(): Promise<void> {
  const tsc = `${REPO}node_modules/typescript/bin/tsc`;
  const child = spawn(process.execPath, [tsc, '-p', `${REPO}tsconfig.build.json`, '--outDir', BUILT_DIR], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0 || !existsSync(`${BUILT_DIR}/main.js`))
    throw new Error(`building ${BUILT_DIR} failed (${code})`);
  const bundler = spawn(process.execPath, [`${REPO}scripts/bundle.mjs`, '--dist', BUILT_DIR], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const bundled = await new Promise<number | null>((resolve) => bundler.once('exit', resolve));
  if (bundled !== 0 || !existsSync(`${BUILT_DIR}/bundle/main.js`))
    throw new Error(`bundling ${BUILT_DIR} failed (${bundled})`);
}

/** One tool's replay, as measured. */
export interface CliReplayResult {
  /** Spawn of the tool → the reader has every event, ms. */
  wallMs: number;
  /** Spawn of the tool → the first byte reached the reader, ms (start-up, connection, first batch). */
  firstByteMs: number;
  /** CPU of the tool's process up to the end, µs (/proc; 10 ms resolution). */
  toolCpuMicros: number;
  /** CPU of the reader, µs. */
  readerCpuMicros: number;
  events: number;
  digest: string;
  error?: string;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Collects a stream's text into the returned object's `text` (tail only). */
function collect(stream: NodeJS.ReadableStream | null, limit = 4_000): { text: string } {
  const out = { text: '' };
  stream?.setEncoding('utf8');
  stream?.on('data', (c: string) => (out.text = (out.text + c).slice(-limit)));
  return out;
}

/**
 * Runs `tool` from `fromRevision` on `prefix`, its stdout piped into a fresh reader that stops at
 * `events`; the tool is then ended (SIGTERM) and its CPU read from /proc just before.
 */
export async function replayThroughPipe(
  tool: CliTool,
  endpoint: string,
  prefix: string,
  fromRevision: bigint,
  events: number,
  timeoutMs: number,
  /** Flags for the node of our commands (not etcdctl's). */
  nodeFlags: readonly string[] = [],
): Promise<CliReplayResult> {
  const cmd = commandOf(tool, endpoint, prefix, fromRevision, nodeFlags);
  const reader = spawn(process.execPath, ['--import', 'tsx', PIPE_CONSUMER, cmd.format, String(events)], {
    stdio: ['pipe', 'pipe', 'pipe'],
    cwd: REPO,
  });
  const readerOut = collect(reader.stdout, 100_000);
  const readerErr = { text: '' };
  await new Promise<void>((resolve, reject) => {
    reader.stderr.setEncoding('utf8');
    reader.stderr.on('data', (c: string) => {
      readerErr.text += c;
      if (readerErr.text.includes('ready\n')) resolve();
    });
    reader.once('exit', (code) => reject(new Error(`pipe reader exited (${code}): ${readerErr.text}`)));
  });
  const startedAt = nowMs();
  // The reader's stdin pipe becomes the tool's stdout; the parent lets go of its end at once, so that
  // the tool sees EPIPE when the reader is gone and the reader sees EOF if the tool ends.
  const child = spawn(cmd.file, cmd.args, {
    stdio: ['ignore', reader.stdin, 'pipe'],
    env: { ...process.env, ETCDCTL_API: '3' },
  });
  reader.stdin.destroy();
  const toolErr = collect(child.stderr);
  const pid = child.pid!;
  const lastCpu = { value: 0 };
  const timer = setTimeout(() => reader.kill('SIGTERM'), timeoutMs);
  await exited(reader);
  clearTimeout(timer);
  const toolCpuMicros = procCpuMicros(pid, lastCpu);
  child.kill('SIGTERM');
  await exited(child);
  const line = readerOut.text.trim().split('\n').pop() ?? '';
  let r: PipeResult;
  try {
    r = JSON.parse(line) as PipeResult;
  } catch {
    return {
      wallMs: Number.NaN,
      firstByteMs: Number.NaN,
      toolCpuMicros,
      readerCpuMicros: Number.NaN,
      events: 0,
      digest: '',
      error: `no result from the reader within ${timeoutMs} ms; ${tool}: ${toolErr.text.trim().split('\n').pop() ?? ''}`,
    };
  }
  const isComplete = r.events >= events && r.error === undefined;
  return {
    wallMs: isComplete ? r.reachedAt - startedAt : Number.NaN,
    firstByteMs: r.firstByteAt > 0 ? r.firstByteAt - startedAt : Number.NaN,
    toolCpuMicros,
    readerCpuMicros: r.cpuMicros,
    events: r.events,
    digest: r.digest,
    ...(r.error === undefined
      ? {}
      : { error: `${r.error}; ${tool}: ${toolErr.text.trim().split('\n').pop() ?? ''}` }),
  };
}
