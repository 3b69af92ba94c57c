// `etcd-config-operator watch <prefix>`: the debugging tool platform teams reach for, like `etcdctl
// watch --prefix`, on our own resumable watch client.
import { readFile } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { CompactedError, EtcdClient, EtcdError, RevisionWentBackError } from '../etcd/index.js';
import { ConnectivityTracker } from './watch-connectivity.js';
import type { WatchLine } from './watch-format.js';
import {
  parseWatchArgs,
  requestedOutput,
  WATCH_USAGE,
  type WatchOptions,
  type WatchOutput,
} from './watch-options.js';
import { WatchPrinter } from './watch-output.js';

const COMMAND = 'etcd-config-operator watch';

/** Exit statuses of `watch`. */
export const EXIT_OK = 0;
/** The watch ended on its own: compaction, a permanent error, or etcd never answered. */
export const EXIT_FAILED = 1;
/** Bad flags or unreadable files. */
export const EXIT_USAGE = 2;
/** The etcd client's default time for one connection attempt (EtcdClientOptions.connectTimeoutMs). */
const DEFAULT_CONNECT_TIMEOUT_MS = 3_000;
/** A second SIGINT/SIGTERM while shutting down (the shell's convention for "killed by SIGINT"). */
const EXIT_INTERRUPTED_TWICE = 130;

/** Where `watch` talks to: injectable so that tests need no child process for pure cases. */
export interface WatchIo {
  stdout: Writable;
  stderr: Writable;
  /** Receives SIGINT/SIGTERM; default `process`. */
  signals: Pick<NodeJS.Process, 'on' | 'off'>;
}

async function readTls(
  tls: NonNullable<WatchOptions['tls']>,
): Promise<{ ca?: Buffer; cert?: Buffer; key?: Buffer }> {
  const read = async (flag: string, file: string | undefined): Promise<Buffer | undefined> => {
    if (file === undefined) return undefined;
    try {
      return await readFile(file);
    } catch (err) {
      throw new UsageError(
        `${flag}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
        {
          cause: err,
        },
      );
    }
  };
  return {
    ca: await read('--cacert', tls.caFile),
    cert: await read('--cert', tls.certFile),
    key: await read('--key', tls.keyFile),
  };
}

/** A problem with what the user asked for (exit 2), found after parsing (e.g. a file that cannot be read). */
class UsageError extends Error {
  override name = 'UsageError';
}

/**
 * Writes an error to stderr: `etcd-config-operator watch: <message>` as text, or under `--output
 * json` one JSON object `{"type":"error","error":<class name>,"message"}` that a log pipeline can parse.
 */
function reportError(io: WatchIo, output: WatchOutput, error: string, message: string): void {
  io.stderr.write(
    output === 'json' ? JSON.stringify({ type: 'error', error, message }) + '\n' : `${COMMAND}: ${message}\n`,
  );
}

/** The `reset` line for a went-back: both revisions, and both cluster IDs when they differ. */
function resetLine(err: RevisionWentBackError): WatchLine {
  return {
    type: 'reset',
    revision: err.seenRevision,
    etcdRevision: err.etcdRevision,
    ...(err.previousClusterId !== undefined && err.clusterId !== undefined
      ? { previousClusterId: err.previousClusterId, clusterId: err.clusterId }
      : {}),
  };
}

/**
 * Runs `watch` with its arguments (after the subcommand name) and resolves to the exit status:
 * 0 after SIGINT/SIGTERM (the watch cancelled and the client closed) or when stdout's reader went
 * away; 1 on compaction, a permanent error, no watch within `--dial-timeout`, or etcd's history going
 * back (unless `--on-reset=resume`: then a `reset` line and the watch goes on); 2 on bad flags. Never
 * throws. Everything it prints to stdout has been flushed when it resolves.
 */
export async function watchMain(
  argv: string[],
  io: WatchIo = { stdout: process.stdout, stderr: process.stderr, signals: process },
): Promise<number> {
  const parsed = parseWatchArgs(argv);
  if (parsed.kind === 'help') {
    io.stdout.write(WATCH_USAGE);
    return EXIT_OK;
  }
  if (parsed.kind === 'error') {
    reportError(io, requestedOutput(argv), 'UsageError', `${parsed.message} (see --help)`);
    return EXIT_USAGE;
  }
  const output = parsed.options.output;
  try {
    return await runWatch(parsed.options, io);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    reportError(io, output, err instanceof Error ? err.name : 'Error', message);
    return err instanceof UsageError ? EXIT_USAGE : EXIT_FAILED;
  }
}

async function runWatch(options: WatchOptions, io: WatchIo): Promise<number> {
  const tls = options.tls ? await readTls(options.tls) : undefined;
  const printer = new WatchPrinter(options.output, io.stdout, io.stderr);
  const fail = (error: string, message: string): void => reportError(io, options.output, error, message);
  // Says when etcd goes away and comes back; the client itself retries for ever.
  const connectivity = new ConnectivityTracker((line) => void printer.print([line]));
  const client = new EtcdClient({
    endpoints: options.endpoints,
    tls,
    auth: options.auth,
    logger: connectivity,
    // A connection attempt fails (and `waiting` is printed) well within --dial-timeout.
    connectTimeoutMs: Math.min(DEFAULT_CONNECT_TIMEOUT_MS, options.dialTimeoutMs / 2),
  });
  const stop = new AbortController();
  /** Why we stopped the watch ourselves, if we did. */
  let stopReason: 'signal' | 'dial-timeout' | 'stdout-closed' | undefined;
  let signalCount = 0;
  const onSignal = (): void => {
    if (++signalCount > 1) process.exit(EXIT_INTERRUPTED_TWICE);
    stopReason ??= 'signal';
    stop.abort();
  };
  io.signals.on('SIGINT', onSignal);
  io.signals.on('SIGTERM', onSignal);
  // The client retries an unreachable endpoint for ever; a debugging tool should say so instead.
  const dialTimer = setTimeout(() => {
    stopReason ??= 'dial-timeout';
    stop.abort();
  }, options.dialTimeoutMs);

  try {
    let fromRevision = options.fromRevision;
    for (;;) {
      const watch = client.watch({
        key: options.prefix,
        prefix: true,
        fromRevision,
        prevKv: options.isPrevKv,
        progressNotify: true,
        signal: stop.signal,
        // Events as bytes: -w json prints them from those bytes (WatchPrinter.printRawEvents).
        raw: true,
      });
      /** Set when etcd went back and --on-reset=resume: watch again from etcd's revision then. */
      let resumeAt: bigint | undefined;
      try {
        for await (const message of watch) {
          if (message.type === 'created') clearTimeout(dialTimer);
          if (message.type === 'raw-events') await printer.printRawEvents(message.events);
          else await printer.print([message]);
          if (printer.isClosed) {
            stopReason ??= 'stdout-closed';
            break;
          }
        }
      } catch (err) {
        if (err instanceof CompactedError) {
          await printer.print([{ type: 'compacted', compactRevision: err.compactRevision }]);
          fail(
            err.name,
            `history before revision ${err.compactRevision} has been compacted; ` +
              `watch again with --from-revision ${err.compactRevision} or later`,
          );
          return EXIT_FAILED;
        }
        if (err instanceof RevisionWentBackError && stopReason === undefined) {
          // Never silent: the reset line comes first whatever --on-reset says.
          await printer.print([resetLine(err)]);
          if (options.onReset === 'exit') {
            fail(
              err.name,
              `${err.message}; what was printed after revision ${err.etcdRevision} is not ` +
                `etcd's history any more (--on-reset=resume goes on from etcd's revision)`,
            );
            return EXIT_FAILED;
          }
          resumeAt = err.etcdRevision + 1n;
        } else if (stopReason === undefined) {
          const name = err instanceof EtcdError ? err.name : 'error';
          const message = err instanceof Error ? err.message : String(err);
          if (options.output === 'json') fail(err instanceof Error ? err.name : 'Error', message);
          else fail(name, `${name}: ${message}`);
          return EXIT_FAILED;
        }
      } finally {
        await watch.cancel();
      }
      if (resumeAt === undefined || stopReason !== undefined || printer.isClosed) break;
      fromRevision = resumeAt;
    }
    switch (stopReason) {
      case 'signal':
      case 'stdout-closed':
        return EXIT_OK;
      case 'dial-timeout':
        fail(
          'DialTimeout',
          `no watch established on ${options.endpoints.join(',')} within ${options.dialTimeoutMs} ms`,
        );
        return EXIT_FAILED;
      case undefined:
        fail('WatchEnded', 'the watch ended unexpectedly');
        return EXIT_FAILED;
    }
  } finally {
    clearTimeout(dialTimer);
    io.signals.off('SIGINT', onSignal);
    io.signals.off('SIGTERM', onSignal);
    await client.close();
    await printer.flush();
  }
}
