// Flags of `etcd-config-operator demo`, parsed as a pure function so that they can be unit-tested.
import { parseDuration } from '../api/index.js';

/** Default deadline of the non-interactive run. */
export const DEFAULT_DEMO_TIMEOUT_MS = 120_000;

export const DEMO_USAGE = `Usage: etcd-config-operator demo [flags]

Runs everything on this machine: a real etcd, a Kubernetes API simulator, the operator, and a small
example (a PrefixSync mirroring /config/app/ into the ConfigMap app-config, mounted by the Deployment
web). It then shows live what the operator does while you change keys with etcdctl in another
terminal. Ctrl-C stops everything and removes what it created.

Flags:
  --dir DIR           where the kubeconfig and the operator's log go (default: a new
                      temp dir, removed on exit; an existing DIR is kept, only the
                      demo's own files in it are removed)
  --exit-after-sync   non-interactive: wait for the first sync, change one key, wait for the
                      rollout, then clean up and exit (0 on success)
  --timeout DURATION  deadline of --exit-after-sync, a Go duration like the other flags take
                      (90s, 2m, 1m30s); a bare number is seconds (default 2m)
  -h, --help          show this help
`;

/** Parsed flags of `demo`. */
export interface DemoOptions {
  /** The --dir value; undefined means a fresh temp dir of the demo's own. */
  dir: string | undefined;
  exitAfterSync: boolean;
  timeoutMs: number;
}

/** A flag `demo` does not understand, or a bad value. */
export class DemoUsageError extends Error {}

/** `--timeout`: a Go duration (`2m`), or a number of seconds as earlier releases took it; above 0. */
function parseTimeout(text: string): number {
  const ms = /^\d+$/.test(text) ? Number(text) * 1000 : undefined;
  const parsed = ms === undefined ? parseDuration(text) : { ok: true as const, ms };
  if (!parsed.ok) throw new DemoUsageError(`--timeout: ${parsed.message}`);
  if (!(parsed.ms > 0)) throw new DemoUsageError(`--timeout: '${text}' must be longer than 0`);
  return parsed.ms;
}

/** Parses `demo`'s flags; returns 'help' for -h/--help; throws DemoUsageError on a bad flag. */
export function parseDemoArgs(argv: readonly string[]): DemoOptions | 'help' {
  const options: DemoOptions = {
    dir: undefined,
    exitAfterSync: false,
    timeoutMs: DEFAULT_DEMO_TIMEOUT_MS,
  };
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i] ?? '';
    const eq = raw.indexOf('=');
    const flag = eq > 0 ? raw.slice(0, eq) : raw;
    const value = (): string => {
      const v = eq > 0 ? raw.slice(eq + 1) : argv[++i];
      if (v === undefined || v === '') throw new DemoUsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '-h':
      case '--help':
        return 'help';
      case '--dir':
        options.dir = value();
        break;
      case '--exit-after-sync':
        options.exitAfterSync = true;
        break;
      case '--timeout':
        options.timeoutMs = parseTimeout(value());
        break;
      default:
        throw new DemoUsageError(`unknown flag '${raw}'`);
    }
  }
  return options;
}
