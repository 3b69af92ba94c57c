// npm run test:chaos [-- --minutes N --seed S]: the operator under a loop of faults against a 3-member
// etcd cluster, with an invariant check after each (see test/chaos/README.md). Not part of `npm test`.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../e2e/support/wait.js';
import { ChaosEnv } from './chaos-env.js';
import { parseChaosOptions, type ChaosOptions } from './chaos-options.js';
import { ChaosWriter } from './chaos-writer.js';
import { FAULT_KINDS, injectFault, type FaultContext, type FaultKind } from './faults.js';
import {
  actorViolations,
  checkedEvidence,
  recordingViolations,
  rolloutViolations,
  waitConverged,
  type Violation,
} from './invariants.js';
import { formatTable, type FaultOutcome } from './report.js';
import { SeededRandom } from './seeded-random.js';

/** Writes between two faults, so each fault meets the operator mid-stream. */
const WRITES_BEFORE_FAULT = 40;
/** Writes before the snapshot that the restore goes back to. */
const WRITES_BEFORE_SNAPSHOT = 60;
/** Deadline for the first sync of every PrefixSync after set-up. */
const INITIAL_SYNC_TIMEOUT_MS = 120_000;
/** Pending lines kept per violation report. */
const MAX_PENDING_SHOWN = 20;

const say = (line: string): void => void process.stdout.write(`${line}\n`);

/** Every check over the whole recording; returns the violations not reported before. */
function newViolations(env: ChaosEnv, seen: Set<string>): Violation[] {
  const found: Violation[] = [
    ...rolloutViolations(env).map((detail) => ({ invariant: 'rollout' as const, detail })),
    ...actorViolations(env).map((detail) => ({ invariant: 'single-actor' as const, detail })),
    ...recordingViolations(env).map((detail) => ({ invariant: 'recording' as const, detail })),
  ];
  const fresh = found.filter((v) => !seen.has(`${v.invariant}:${v.detail}`));
  for (const v of fresh) seen.add(`${v.invariant}:${v.detail}`);
  return fresh;
}

/** The leader's etcd recovery counters, for the progress line. */
async function leaderCounters(env: ChaosEnv): Promise<string> {
  const leader = env.running.find((r) => r.identity === env.leaseHolder);
  if (!leader) return 'no leader';
  const names = {
    compactions: 'etcdconfig_etcd_compactions_total',
    resyncs: 'etcdconfig_etcd_resyncs_total',
    'went-back': 'etcdconfig_etcd_revision_went_back_total',
    'watch reconnects': 'etcdconfig_etcd_reconnects_total',
  };
  const parts: string[] = [];
  for (const [label, name] of Object.entries(names))
    parts.push(`${label} ${(await leader.metric(name)) ?? '-'}`);
  return `leader ${leader.identity} counters since it started: ${parts.join(', ')}`;
}

/** The fault order: a first round of every kind once (the restore included), then rounds without it. */
function* faultOrder(random: SeededRandom): Generator<{ kind: FaultKind; isFirstRound: boolean }> {
  for (const kind of random.shuffle(FAULT_KINDS)) yield { kind, isFirstRound: true };
  const rest = FAULT_KINDS.filter((k) => k !== 'restore');
  for (;;) for (const kind of random.shuffle(rest)) yield { kind, isFirstRound: false };
}

async function run(
  options: ChaosOptions,
  env: ChaosEnv,
): Promise<{ outcomes: FaultOutcome[]; exitCode: number }> {
  const random = new SeededRandom(options.seed);
  await env.createTenants();
  await env.startReplica();
  await env.startReplica();
  const initial = await waitConverged(env, Date.now(), INITIAL_SYNC_TIMEOUT_MS);
  if (!initial.isConverged)
    throw new Error(
      `the first sync did not converge:\n  ${initial.pending.slice(0, MAX_PENDING_SHOWN).join('\n  ')}`,
    );
  say(
    `set-up: ${env.tenants.length} PrefixSyncs synced in ${initial.ms} ms; replicas ${env.running.map((r) => r.identity).join(', ')}`,
  );

  const writer = new ChaosWriter(
    () => env.healthyClient(),
    env.tenants.map((t) => t.writer),
    random,
  );
  writer.start();
  await waitFor(
    `${WRITES_BEFORE_SNAPSHOT} writes`,
    () => writer.ops >= WRITES_BEFORE_SNAPSHOT || `${writer.ops}`,
  );
  await writer.pause();
  const file = join(env.dir, 'snapshot.db');
  const revision = await env.etcd.snapshotSave(file);
  say(`snapshot for the restore taken at revision ${revision}`);
  const ctx: FaultContext = { env, random, writer, snapshot: { file, revision } };

  const outcomes: FaultOutcome[] = [];
  const seen = new Set<string>();
  const endAt = Date.now() + options.minutes * 60_000;
  for (const { kind, isFirstRound } of faultOrder(random)) {
    if (!isFirstRound && Date.now() >= endAt) break;
    const opsBefore = writer.ops;
    writer.start();
    await waitFor(`${WRITES_BEFORE_FAULT} writes before the fault`, () => {
      return writer.ops >= opsBefore + WRITES_BEFORE_FAULT || `${writer.ops - opsBefore}`;
    });
    const fault = await injectFault(kind, ctx);
    await writer.pause();
    const convergence = await waitConverged(env, fault.healedAtMs, options.convergeTimeoutMs);
    const violations = newViolations(env, seen);
    if (!convergence.isConverged) {
      const shown = convergence.pending.slice(0, MAX_PENDING_SHOWN);
      if (convergence.pending.length > shown.length)
        shown.push(`… ${convergence.pending.length - shown.length} more`);
      violations.unshift({
        invariant: 'convergence',
        detail: `not converged ${convergence.ms} ms after the ${kind} was healed:\n      ${shown.join('\n      ')}`,
      });
    }
    outcomes.push({ fault, convergence, violations });
    const result = convergence.isConverged
      ? `converged in ${convergence.ms} ms${convergence.compactedSkips ? ` (${convergence.compactedSkips} status revisions compacted, checked against now)` : ''}`
      : `NOT converged after ${convergence.ms} ms`;
    say(
      `#${outcomes.length} ${kind} → ${fault.target}${fault.note ? ` [${fault.note}]` : ''}: ${result}; ${violations.length} violations`,
    );
    const first = convergence.firstPending;
    say(
      `    at the first look ${first.length}/${env.tenants.length} PrefixSyncs were not yet as promised${first[0] ? `, e.g. ${first[0]}` : ''}`,
    );
    say(`    ${await leaderCounters(env)}`);
    for (const v of violations) say(`    ✗ ${v.invariant}: ${v.detail}`);
  }
  const counts = writer.counts;
  say('');
  say(formatTable(FAULT_KINDS, outcomes));
  const total = outcomes.reduce((n, o) => n + o.violations.length, 0);
  say(
    `writer: ${counts.ops} writes confirmed, ${counts.failures} failed under faults; replicas started: ${env.replicas.length}`,
  );
  say(checkedEvidence(env));
  say(`violations: ${total}${total === 0 ? '' : ' (see ✗ lines above)'}`);
  return { outcomes, exitCode: total === 0 ? 0 : 1 };
}

async function main(): Promise<number> {
  const options = parseChaosOptions(process.argv.slice(2), process.env);
  const dir = await mkdtemp(join(tmpdir(), 'etcd-config-chaos-'));
  say(
    `chaos: ${options.minutes} min of faults, seed ${options.seed} (replay: --seed ${options.seed}), ${options.prefixSyncs} PrefixSyncs; logs in ${dir}`,
  );
  let env: ChaosEnv | undefined;
  let exitCode = 2;
  const cleanUp = async (): Promise<void> => {
    await env?.close().catch((e: unknown) => say(`clean-up: ${e instanceof Error ? e.message : String(e)}`));
    if (exitCode === 0 && !options.keepLogs) await rm(dir, { recursive: true, force: true });
    else say(`operator logs kept in ${dir}`);
  };
  let isInterrupted = false;
  const interrupted = (signal: NodeJS.Signals): void => {
    if (isInterrupted) return;
    isInterrupted = true;
    say(`\n${signal}: stopping everything`);
    exitCode = 130;
    cleanUp().then(
      () => process.exit(130),
      () => process.exit(130),
    );
  };
  // `on`, not `once`: envtest's process guard re-raises a signal nobody else listens to any more,
  // which would end the process before this clean-up has run.
  process.on('SIGINT', interrupted);
  process.on('SIGTERM', interrupted);
  try {
    env = await ChaosEnv.start(options, dir);
    exitCode = (await run(options, env)).exitCode;
  } catch (e) {
    say(`chaos run failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    for (const r of env?.replicas ?? []) say(`--- ${r.identity} log (tail) ---\n${r.logTail.slice(-3000)}`);
    exitCode = 2;
  }
  await cleanUp();
  return exitCode;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(2);
  },
);
