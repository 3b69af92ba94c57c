import { parseArgs } from 'node:util';
import { endpointUsesTls, parseEndpoint } from '../api/index.js';

/** Output formats of `watch`. */
export const WATCH_OUTPUTS = ['text', 'json'] as const;
export type WatchOutput = (typeof WATCH_OUTPUTS)[number];

/** What `watch` does when etcd's history went back (restore, wipe, another cluster). */
export const WATCH_ON_RESET = ['exit', 'resume'] as const;
export type WatchOnReset = (typeof WATCH_ON_RESET)[number];

/** Endpoint dialled when `--endpoints` is not given (etcdctl's default too). */
export const DEFAULT_ENDPOINT = '127.0.0.1:2379';
/** How long the first connection may take before `watch` gives up (like etcdctl's `--dial-timeout`). */
export const DEFAULT_DIAL_TIMEOUT_MS = 5_000;

/** The validated flags of `etcd-config-operator watch`. Paths are not read here: that is I/O. */
export interface WatchOptions {
  /** The key prefix to watch; an empty string watches the whole keyspace. */
  prefix: string;
  /** Each member as given (`host:port`, `https://host:port` or `http://host:port`), in order. */
  endpoints: string[];
  /** Replay history from this revision; undefined starts at the current revision. */
  fromRevision?: bigint;
  /** Ask etcd for the previous key-value of each event. */
  isPrevKv: boolean;
  output: WatchOutput;
  /**
   * TLS: PEM files (any of them switches TLS on), or `{}` for https:// endpoints without files (the
   * server verified against the system's CAs). Undefined: plaintext.
   */
  tls?: { caFile?: string; certFile?: string; keyFile?: string };
  auth?: { username: string; password: string };
  /** Deadline for the watch to be established, in milliseconds. */
  dialTimeoutMs: number;
  /**
   * When etcd's history went back: `exit` (default) prints a `reset` line and exits 1; `resume` prints
   * it and goes on watching from etcd's revision at the reset + 1.
   */
  onReset: WatchOnReset;
}

/** What the command line asked for: run a watch, print the help, or a usage error (exit 2). */
export type ParsedWatchArgs =
  { kind: 'run'; options: WatchOptions } | { kind: 'help' } | { kind: 'error'; message: string };

/** `watch --help`. */
export const WATCH_USAGE = `Usage: etcd-config-operator watch [flags] <prefix>

Streams every change under <prefix>, like 'etcdctl watch --prefix', resuming across disconnects
without losing or repeating an event. Ends on compaction or a permanent error (exit 1), on SIGINT
(exit 0), and exits 2 on bad flags. If etcd's history goes back (restored from an older snapshot,
wiped, or another cluster at the same address) it prints a "reset" line and exits 1, or with
--on-reset=resume goes on from etcd's revision at that moment.

Flags:
  --endpoints URL,...         etcd members to dial: host:port, https://host:port (TLS) or
                              http://host:port, as a ClusterEtcdSource and etcdctl take them
                              (default ${DEFAULT_ENDPOINT})
  --from-revision N           replay history from revision N (default: changes from now on)
  --prev-kv                   include each event's previous key-value
  --output text|json          text like etcdctl's (default), or one JSON object per line
  --cacert FILE               CA bundle that verifies the server (turns TLS on)
  --cert FILE, --key FILE     client certificate and key (mTLS)
  --user name:password        authenticate as this etcd user
  --dial-timeout DURATION     give up if etcd is not reached in time (default 5s; e.g. 500ms, 10s)
  --on-reset exit|resume      when etcd's revision goes back: exit 1 (default), or print the reset
                              and go on watching from etcd's revision then
  -h, --help                  print this help

JSON lines: {"type":"created"|"progress","revision"}, {"type":"reconnected","revision","etcdRevision"}
(resuming after "revision"; etcd was at "etcdRevision"), events
{"type":"put"|"delete","key","value","modRevision","createRevision","version","lease","prevKv"?}
on compaction, {"type":"compacted","compactRevision"}, and when etcd went back
{"type":"reset","revision","etcdRevision","previousClusterId"?,"clusterId"?} (the watch had seen
"revision"; etcd is at "etcdRevision"; cluster IDs when another cluster answers). While etcd is
unreachable, {"type":"waiting","error"} once, then {"type":"connected","endpoint"} when it answers
again (text output: "# ..." lines on stderr). Revisions are decimal strings. Key and value are
each encoded on its own: a UTF-8 string, or base64 with "keyEncoding":"base64" (the key) or
"valueEncoding":"base64" (the value) when that one is not valid UTF-8. Errors are one JSON object
on stderr, {"type":"error","error","message"}.
`;

/** A positive decimal integer without sign or exponent; bigint-safe. */
const REVISION_PATTERN = /^[0-9]+$/;
const DURATION_PATTERN = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m)$/;
const DURATION_UNIT_MS = { ms: 1, s: 1_000, m: 60_000 } as const;

function parseDurationMs(text: string): number | undefined {
  const m = DURATION_PATTERN.exec(text);
  if (!m) return undefined;
  const ms = Number(m[1]) * DURATION_UNIT_MS[m[2] as keyof typeof DURATION_UNIT_MS];
  return ms > 0 ? ms : undefined;
}

/**
 * Whether each endpoint uses TLS, by the ClusterEtcdSource's rule (https:// yes, http:// no, a bare
 * host:port when TLS files are given); one client has one TLS setting, so they must agree.
 */
function endpointsTls(
  endpoints: readonly string[],
  hasTlsFiles: boolean,
): { ok: true; isTls: boolean } | { ok: false; message: string } {
  const uses = new Map<boolean, string>();
  for (const text of endpoints) {
    const parsed = parseEndpoint(text);
    if (!parsed.ok) {
      // parseEndpoint names the text in a format error, not in a port error.
      const detail = parsed.message.startsWith("'") ? parsed.message : `'${text}': ${parsed.message}`;
      return { ok: false, message: `--endpoints: ${detail}` };
    }
    const isTls = endpointUsesTls(parsed.endpoint, hasTlsFiles);
    if (parsed.endpoint.scheme === 'http' && hasTlsFiles) {
      return { ok: false, message: `--endpoints: '${text}' is plaintext, but --cacert/--cert ask for TLS` };
    }
    if (!uses.has(isTls)) uses.set(isTls, text);
  }
  if (uses.size > 1) {
    return {
      ok: false,
      message: `--endpoints: '${uses.get(true)}' uses TLS and '${uses.get(false)}' does not; give one kind`,
    };
  }
  return { ok: true, isTls: uses.has(true) };
}

/** The etcd connection flags `watch` shares with `render` and the kubectl plugin, as parseArgs options. */
export const ETCD_CONNECTION_FLAGS = {
  endpoints: { type: 'string' },
  cacert: { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
  user: { type: 'string' },
  'dial-timeout': { type: 'string' },
} as const;

/**
 * Parses `watch`'s arguments (after the subcommand name). Never throws and reads no files: every
 * problem becomes `{kind: 'error'}` with a one-line message for stderr.
 */
export function parseWatchArgs(argv: readonly string[]): ParsedWatchArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        ...ETCD_CONNECTION_FLAGS,
        'from-revision': { type: 'string' },
        'prev-kv': { type: 'boolean' },
        output: { type: 'string', short: 'w' },
        'on-reset': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    // parseArgs names the flag in its first sentence ("Unknown option '--x'"); the rest is advice
    // about '--' that does not help here.
    const first = (err as Error).message.split('\n')[0]!.split(/\. (?=[A-Z])/)[0]!;
    return { kind: 'error', message: first };
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: 'help' };

  if (positionals.length !== 1) {
    return {
      kind: 'error',
      message:
        positionals.length === 0
          ? 'missing <prefix> (use "" for the whole keyspace)'
          : `expected one <prefix>, got ${positionals.length}: ${positionals.join(' ')}`,
    };
  }
  const prefix = positionals[0]!;

  const connection = parseEtcdConnectionFlags(values);
  if (!connection.ok) return { kind: 'error', message: connection.message };
  const { tls, auth, dialTimeoutMs } = connection.flags;
  const endpoints = connection.flags.endpoints ?? [DEFAULT_ENDPOINT];

  let fromRevision: bigint | undefined;
  const rev = values['from-revision'];
  if (rev !== undefined) {
    if (!REVISION_PATTERN.test(rev) || BigInt(rev) < 1n) {
      return { kind: 'error', message: `--from-revision: '${rev}' is not a revision (an integer ≥ 1)` };
    }
    fromRevision = BigInt(rev);
  }

  const output = values.output ?? 'text';
  if (!(WATCH_OUTPUTS as readonly string[]).includes(output)) {
    return { kind: 'error', message: `--output: '${output}' is not one of ${WATCH_OUTPUTS.join(', ')}` };
  }

  const onReset = values['on-reset'] ?? 'exit';
  if (!(WATCH_ON_RESET as readonly string[]).includes(onReset)) {
    return { kind: 'error', message: `--on-reset: '${onReset}' is not one of ${WATCH_ON_RESET.join(', ')}` };
  }

  return {
    kind: 'run',
    options: {
      prefix,
      endpoints,
      fromRevision,
      isPrevKv: values['prev-kv'] ?? false,
      output: output as WatchOutput,
      tls,
      auth,
      dialTimeoutMs,
      onReset: onReset as WatchOnReset,
    },
  };
}

/**
 * The output format `argv` asks for, read leniently (for reporting a usage error in the format the
 * user expects when the arguments as a whole do not parse): 'text' unless `--output`/`-w` says json.
 */
export function requestedOutput(argv: readonly string[]): WatchOutput {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') break;
    const inline = /^(?:--output=|-w=?)(.+)$/.exec(arg)?.[1];
    const value = inline ?? (arg === '--output' || arg === '-w' ? argv[i + 1] : undefined);
    if (value === 'json') return 'json';
  }
  return 'text';
}

/** The etcd connection flags' values as parseArgs returns them. */
export type EtcdConnectionFlagValues = Partial<Record<keyof typeof ETCD_CONNECTION_FLAGS, string>>;

/** The validated connection flags; `endpoints` is undefined when not given (each command has its default). */
export interface EtcdConnectionFlags {
  endpoints?: string[];
  tls?: WatchOptions['tls'];
  auth?: WatchOptions['auth'];
  dialTimeoutMs: number;
}

/**
 * Validates the connection flags of {@link ETCD_CONNECTION_FLAGS} with the same rules as `watch`.
 * Never throws and reads no files.
 */
export function parseEtcdConnectionFlags(
  values: EtcdConnectionFlagValues,
): { ok: true; flags: EtcdConnectionFlags } | { ok: false; message: string } {
  if ((values.cert === undefined) !== (values.key === undefined)) {
    return { ok: false, message: '--cert and --key go together' };
  }
  const hasTlsFiles = values.cacert !== undefined || values.cert !== undefined;
  let endpoints: string[] | undefined;
  let isTls = hasTlsFiles;
  if (values.endpoints !== undefined) {
    endpoints = values.endpoints.split(',').map((e) => e.trim());
    const checked = endpointsTls(endpoints, hasTlsFiles);
    if (!checked.ok) return checked;
    isTls = checked.isTls;
  }
  const tls = hasTlsFiles
    ? { caFile: values.cacert, certFile: values.cert, keyFile: values.key }
    : isTls
      ? {}
      : undefined;
  let auth: WatchOptions['auth'];
  if (values.user !== undefined) {
    const colon = values.user.indexOf(':');
    if (colon <= 0) return { ok: false, message: '--user: expected name:password' };
    auth = { username: values.user.slice(0, colon), password: values.user.slice(colon + 1) };
  }
  let dialTimeoutMs = DEFAULT_DIAL_TIMEOUT_MS;
  if (values['dial-timeout'] !== undefined) {
    const ms = parseDurationMs(values['dial-timeout']);
    if (ms === undefined) {
      return { ok: false, message: `--dial-timeout: '${values['dial-timeout']}' is not a duration like 5s` };
    }
    dialTimeoutMs = ms;
  }
  return { ok: true, flags: { endpoints, tls, auth, dialTimeoutMs } };
}
