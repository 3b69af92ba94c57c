import { parseArgs } from 'node:util';

/** What one chaos run does; every field has a default (see {@link parseChaosOptions}). */
export interface ChaosOptions {
  /** How long the fault loop runs after set-up; the first round (every kind once) always completes. */
  minutes: number;
  /** Seed of every random choice: fault order, victims, writes. */
  seed: number;
  /** PrefixSyncs (one namespace, Deployment and etcd prefix each). */
  prefixSyncs: number;
  /** etcd release: `3.5` (from .tools, what production runs) or `path` (the `etcd` on PATH, 3.4 here). */
  etcd: '3.5' | 'path';
  /** How long the checker waits after a fault is healed for everything to converge. */
  convergeTimeoutMs: number;
  /** Keep the run's directory (operator logs) even when it passes. */
  keepLogs: boolean;
}

const DEFAULT_MINUTES = 3;
const DEFAULT_PREFIX_SYNCS = 20;
const DEFAULT_CONVERGE_TIMEOUT_MS = 60_000;

const USAGE = `Usage: npm run test:chaos -- [--minutes N] [--seed S] [--prefix-syncs N] [--etcd 3.5|path]
                              [--converge-timeout-ms MS] [--keep-logs]
Environment: CHAOS_MINUTES, CHAOS_SEED (flags win). Defaults: ${DEFAULT_MINUTES} minutes, a seed from the
clock (printed, so a run can be replayed), ${DEFAULT_PREFIX_SYNCS} PrefixSyncs, etcd 3.5, ${DEFAULT_CONVERGE_TIMEOUT_MS} ms.`;

function positiveNumber(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new RangeError(`${name} must be a positive number, got '${text}'`);
  return n;
}

/**
 * Reads the options from `argv` (after the script name) and `env`, applying the defaults. Throws a
 * RangeError naming the flag for a bad value; prints the usage and exits 0 for `--help`.
 */
export function parseChaosOptions(argv: readonly string[], env: NodeJS.ProcessEnv): ChaosOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      minutes: { type: 'string' },
      seed: { type: 'string' },
      'prefix-syncs': { type: 'string' },
      etcd: { type: 'string' },
      'converge-timeout-ms': { type: 'string' },
      'keep-logs': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const etcd = values.etcd ?? '3.5';
  if (etcd !== '3.5' && etcd !== 'path') throw new RangeError(`--etcd must be 3.5 or path, got '${etcd}'`);
  const seedText = values.seed ?? env['CHAOS_SEED'];
  const seed = seedText === undefined || seedText === '' ? Date.now() % 1_000_000 : Number(seedText);
  if (!Number.isInteger(seed)) throw new RangeError(`--seed must be an integer, got '${seedText}'`);
  const prefixSyncs = positiveNumber('--prefix-syncs', values['prefix-syncs'], DEFAULT_PREFIX_SYNCS);
  if (!Number.isInteger(prefixSyncs) || prefixSyncs < 2)
    throw new RangeError('--prefix-syncs must be an integer of at least 2');
  return {
    minutes: positiveNumber('--minutes', values.minutes ?? env['CHAOS_MINUTES'], DEFAULT_MINUTES),
    seed,
    prefixSyncs,
    etcd,
    convergeTimeoutMs: positiveNumber(
      '--converge-timeout-ms',
      values['converge-timeout-ms'],
      DEFAULT_CONVERGE_TIMEOUT_MS,
    ),
    keepLogs: values['keep-logs'] ?? false,
  };
}
