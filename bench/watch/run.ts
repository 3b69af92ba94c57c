// `npm run bench:watch`: our watch client, the `etcd3` npm client and Go's (etcdctl watch -w json) side by
// side on one real etcd, five phases, one table; then phase 6, the `watch` commands themselves (ours and
// `etcdctl watch -w json`) through a pipe into a reader, in a second table. See bench/README.md.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { EtcdCluster } from '../../src/envtest/etcd/index.js';
import { ConsumerProcess } from './consumer-process.js';
import { CONSUMERS, TIMESTAMP_PREFIX, nowMs, type ConsumerName, type ConsumerResult } from './protocol.js';
import { RawWriter } from './raw-writer.js';
import { formatNumber, median, quantile, renderTable } from './stats.js';
import { procCpuMicros } from './proc-cpu.js';
import { TcpProxy } from './tcp-proxy.js';
import { CliPhase } from './cli-phase.js';
import type { CliTool } from './cli-replay.js';

const { values: flags } = parseArgs({
  options: {
    runs: { type: 'string', default: '1' },
    consumers: { type: 'string', default: CONSUMERS.join(',') },
    'replay-revisions': { type: 'string', default: '50000' },
    'burst-txns': { type: 'string', default: '2000' },
    'txn-size': { type: 'string', default: '100' },
    'latency-seconds': { type: 'string', default: '10' },
    'resume-seconds': { type: 'string', default: '12' },
    kills: { type: 'string', default: '3' },
    phases: { type: 'string', default: '1,2,3,4,5,6' },
    'cli-tools': { type: 'string', default: 'ours-built,ours-bundle,ours-bin,etcdctl' },
    /** Reuse the last build of phase 6 (.tmp/bench-watch-dist) instead of building again. */
    'skip-build': { type: 'boolean', default: false },
    'cpu-prof': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (flags.help) {
  process.stdout.write(
    'Usage: npm run bench:watch -- [--runs N] [--consumers ours,etcd3,etcdctl] [--phases 1,2,3,4,5,6]\n' +
      '  [--cli-tools ours-built,ours-bundle,ours-bin,etcdctl] [--skip-build]\n' +
      '  [--replay-revisions 50000] [--burst-txns 2000] [--txn-size 100] [--latency-seconds 10]\n' +
      '  [--resume-seconds 12] [--kills 3] [--cpu-prof]   (see bench/README.md)\n',
  );
  process.exit(0);
}

const RUNS = Number(flags.runs);
const CHOSEN = flags.consumers.split(',') as ConsumerName[];
const PHASES = new Set(flags.phases.split(',').map(Number));
const REPLAY_REVISIONS = Number(flags['replay-revisions']);
const BURST_TXNS = Number(flags['burst-txns']);
const TXN_SIZE = Number(flags['txn-size']);
const LATENCY_SECONDS = Number(flags['latency-seconds']);
const RESUME_SECONDS = Number(flags['resume-seconds']);
const KILLS = Number(flags.kills);
/** Put rate of the latency and resume phases. */
const PUTS_PER_SECOND = 200;
/** Writes in flight while loading history. */
const LOAD_CONCURRENCY = 64;
/** Catch-up phase: this many values of this size written while the consumers are cut off. */
const CATCHUP_VALUES = 60;
const CATCHUP_VALUE_BYTES = 100 * 1024;
/** How long a consumer may take to deliver everything of a phase before it counts as lost. */
const DELIVERY_TIMEOUT_MS = 60_000;
const CATCHUP_TIMEOUT_MS = 20_000;
/** Outside the repository, so that profiles never end up in a commit or in lint. */
const CPU_PROFILE_DIR = join(tmpdir(), 'bench-watch-profiles');
const cliPhase = PHASES.has(6)
  ? new CliPhase(
      flags['cli-tools'].split(',') as CliTool[],
      BURST_TXNS,
      TXN_SIZE,
      log,
      // Our commands are profiled too (etcdctl is no Node process).
      flags['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${CPU_PROFILE_DIR}`] : [],
    )
  : undefined;

/** A measured cell: a number, or why there is none. */
type Cell = number;
/** phase/metric → consumer → one value per run. */
const table = new Map<string, Map<ConsumerName, Cell[]>>();

function record(metric: string, consumer: ConsumerName, value: number): void {
  let row = table.get(metric);
  if (!row) table.set(metric, (row = new Map<ConsumerName, Cell[]>()));
  let cells = row.get(consumer);
  if (!cells) row.set(consumer, (cells = []));
  cells.push(value);
}

/** Decimals shown for a metric: CPU seconds 3, milliseconds 1, counts and rates none. */
function digitsOf(metric: string): number {
  return /CPU/.test(metric) ? 3 : /ms/.test(metric) ? 1 : 0;
}

/** Notes printed under the table (errors, timeouts), deduplicated. */
const notes = new Set<string>();

function log(message: string): void {
  process.stderr.write(`[bench:watch ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));

function timestamped(padTo: number): Buffer {
  const head = `${TIMESTAMP_PREFIX}${nowMs().toFixed(3)};`;
  return Buffer.from(head.padEnd(padTo, 'x'));
}

/** Writes `count` puts through `put`, at most `concurrency` at a time. */
async function writeConcurrently(
  count: number,
  concurrency: number,
  put: (i: number) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await put(next++);
    }),
  );
}

/** Distinct events delivered (received minus duplicates). */
const distinct = (r: ConsumerResult): number => r.received - r.duplicates;

function noteError(phase: string, c: ConsumerProcess, r: ConsumerResult): void {
  if (r.error) notes.add(`${phase}, ${c.name}: ${r.error.split('\n')[0]!.slice(0, 160)}`);
}

/** etcd counts as settled when it used less than this share of one core over a sample. */
const ETCD_QUIET_SHARE = 0.1;
const ETCD_QUIET_SAMPLE_MS = 250;
const ETCD_QUIET_SAMPLES = 2;
const ETCD_SETTLE_TIMEOUT_MS = 60_000;

/**
 * Waits until etcd is idle, so that server work left over from one consumer's watch (etcd keeps
 * building a response after its watcher is gone) is not charged to the next consumer measured.
 */
async function settleEtcd(pid: number | undefined): Promise<void> {
  if (pid === undefined) return;
  const started = Date.now();
  let before = procCpuMicros(pid);
  // Two quiet samples in a row: one can fall into a pause of a busy server.
  for (let quiet = 0; quiet < ETCD_QUIET_SAMPLES;) {
    await sleep(ETCD_QUIET_SAMPLE_MS);
    const now = procCpuMicros(pid);
    quiet = now - before < ETCD_QUIET_SHARE * ETCD_QUIET_SAMPLE_MS * 1000 ? quiet + 1 : 0;
    before = now;
    if (Date.now() - started > ETCD_SETTLE_TIMEOUT_MS) {
      notes.add(`etcd still busy ${ETCD_SETTLE_TIMEOUT_MS / 1000} s after a consumer finished`);
      break;
    }
  }
  const waited = Date.now() - started;
  if (waited > 2_000) log(`waited ${(waited / 1000).toFixed(1)} s for etcd to settle`);
}

/** Phases 1 and 2: each consumer alone, watching a history from its first revision. */
async function replay(
  phase: string,
  consumers: ConsumerProcess[],
  etcdPid: () => number | undefined,
  endpoint: string,
  prefix: string,
  fromRevision: bigint,
  events: number,
  eventsPerRevision: number,
  isCpuRecorded: boolean,
): Promise<void> {
  for (const c of consumers) {
    await settleEtcd(etcdPid());
    await c.watch({
      endpoints: [endpoint],
      prefix,
      fromRevision: fromRevision.toString(),
      eventsPerRevision,
      isLatencyTracked: false,
    });
    c.expect(events);
    const isComplete = await c.waitReached(DELIVERY_TIMEOUT_MS);
    const r = await c.stop();
    noteError(phase, c, r);
    if (!isComplete)
      notes.add(`${phase}, ${c.name}: only ${distinct(r)} of ${events} events within the deadline`);
    const seconds = (r.lastAt - r.startedAt) / 1000;
    record(`${phase}: events/s`, c.name, isComplete ? events / seconds : Number.NaN);
    if (isCpuRecorded) {
      record(
        `${phase}: CPU s per 100k events`,
        c.name,
        isComplete ? r.cpuMicros / 1e6 / (events / 1e5) : Number.NaN,
      );
    }
    record(`${phase}: lost`, c.name, events - distinct(r));
    record(`${phase}: duplicates`, c.name, r.duplicates);
    const took = r.lastAt > 0 ? ` by ${seconds.toFixed(2)} s` : '';
    log(`${phase} ${c.name}: ${distinct(r)}/${events}${took}, cpu ${(r.cpuMicros / 1e6).toFixed(2)} s`);
  }
}

/**
 * Starts every consumer on `prefix` from the next revision and waits until each has seen a first
 * (warm-up) event, so that the measured writes find every watch established.
 */
async function startLive(
  etcdPid: number | undefined,
  consumers: ConsumerProcess[],
  writer: RawWriter,
  endpointOf: (c: ConsumerProcess) => string,
  prefix: string,
): Promise<bigint> {
  await settleEtcd(etcdPid);
  const base = await writer.currentRevision();
  for (const c of consumers) {
    await c.watch({
      endpoints: [endpointOf(c)],
      prefix,
      fromRevision: (base + 1n).toString(),
      eventsPerRevision: 1,
      isLatencyTracked: true,
    });
  }
  await writer.put(`${prefix}warm-up`, 'warm-up');
  await Promise.all(consumers.map((c) => c.next('first-event', DELIVERY_TIMEOUT_MS)));
  return base;
}

/** Ends a live phase: tells every consumer how many events there were, waits, collects results. */
async function finishLive(
  phase: string,
  consumers: ConsumerProcess[],
  events: number,
  timeoutMs: number,
): Promise<Map<ConsumerName, ConsumerResult>> {
  for (const c of consumers) c.expect(events);
  const complete = await Promise.all(consumers.map((c) => c.waitReached(timeoutMs)));
  const results = new Map<ConsumerName, ConsumerResult>();
  for (const [i, c] of consumers.entries()) {
    const r = await c.stop();
    noteError(phase, c, r);
    if (!complete[i])
      notes.add(`${phase}, ${c.name}: ${distinct(r)} of ${events} events within the deadline`);
    results.set(c.name, r);
  }
  return results;
}

/** Writes at PUTS_PER_SECOND for `seconds`, each value stamped with the time of the attempt that landed. */
async function writePaced(
  writer: RawWriter,
  prefix: string,
  seconds: number,
  during?: () => Promise<void>,
): Promise<void> {
  const count = Math.round(seconds * PUTS_PER_SECOND);
  const t0 = nowMs();
  const writes: Promise<bigint>[] = [];
  const side = during?.();
  for (let i = 0; i < count; i++) {
    await sleep(t0 + (i * 1000) / PUTS_PER_SECOND - nowMs());
    writes.push(
      writer.putUntilAcknowledged(`${prefix}k${i % 100}`, () => timestamped(64), Date.now() + 60_000),
    );
  }
  await Promise.all([...writes, side]);
}

/**
 * Event latencies measured from an estimate of when etcd committed each put, by revision. While etcd
 * restarts, a put can sit in the writer's channel for hundreds of ms before etcd takes it; timing
 * from when it was sent would charge that wait to every consumer alike and hide their own resume gaps.
 * The commit is estimated as max(sent, acknowledged − the writer's median round trip); for an ordinary
 * put that is when it was sent. Events of puts the writer never saw acknowledged are left out.
 */
function sinceCommit(r: ConsumerResult, acks: RawWriter['acks']): Map<number, number> {
  const trips = [...acks.values()].map((a) => a.ackedAt - a.sentAt);
  const typicalTrip = median(trips);
  const out = new Map<number, number>();
  r.receipts.revisions.forEach((revision, i) => {
    const ack = acks.get(revision);
    if (!ack) return;
    const committedAt = Math.max(ack.sentAt, ack.ackedAt - typicalTrip);
    out.set(revision, r.receipts.receivedAt[i]! - committedAt);
  });
  return out;
}

/** Time etcd takes at least to come back after a SIGKILL: an acknowledgement later than this is a new commit. */
const RESTART_FLOOR_MS = 50;

/**
 * The first revision etcd committed after each kill (`killedAt`, epoch ms): the first acknowledged
 * later than any put that could have landed before the kill.
 */
function firstRevisionsAfter(killedAt: readonly number[], acks: RawWriter['acks']): number[] {
  const byRevision = [...acks.entries()].sort(([a], [b]) => a - b);
  return killedAt.flatMap((t) => {
    const first = byRevision.find(([, ack]) => ack.ackedAt > t + RESTART_FLOOR_MS);
    return first ? [first[0]] : [];
  });
}

async function runOnce(run: number, consumers: ConsumerProcess[]): Promise<void> {
  log(`run ${run}: starting etcd`);
  const cluster = await EtcdCluster.start();
  const member = cluster.members[0]!;
  const endpoint = member.endpoint;
  const writer = new RawWriter(endpoint);
  const proxies: TcpProxy[] = [];
  try {
    if (PHASES.has(1)) {
      log(`phase 1: writing ${REPLAY_REVISIONS} revisions`);
      const first = (await writer.currentRevision()) + 1n;
      await writeConcurrently(REPLAY_REVISIONS, LOAD_CONCURRENCY, (i) =>
        writer.put(`/replay/k${i % 1000}`, 'v'.repeat(32)),
      );
      await replay(
        '1 replay',
        consumers,
        () => member.pid,
        endpoint,
        '/replay/',
        first,
        REPLAY_REVISIONS,
        1,
        false,
      );
    }

    if (PHASES.has(2)) {
      log(`phase 2: writing ${BURST_TXNS} txns of ${TXN_SIZE} puts`);
      const first = (await writer.currentRevision()) + 1n;
      // Short keys and values: one 1,000-revision catch-up batch stays under grpc's 4 MiB default, so
      // etcd3 (which does not raise it) can take part; what is measured is per-event client cost.
      const pairs = Array.from({ length: TXN_SIZE }, (_, j) => [`/b/${j}`, 'v0123456'] as [string, string]);
      await writeConcurrently(BURST_TXNS, 8, () => writer.txnPuts(pairs));
      await replay(
        '2 burst',
        consumers,
        () => member.pid,
        endpoint,
        '/b/',
        first,
        BURST_TXNS * TXN_SIZE,
        TXN_SIZE,
        true,
      );
    }

    if (PHASES.has(3)) {
      log(`phase 3: ${PUTS_PER_SECOND} puts/s for ${LATENCY_SECONDS} s`);
      const base = await startLive(member.pid, consumers, writer, () => endpoint, '/latency/');
      await writePaced(writer, '/latency/', LATENCY_SECONDS);
      const results = await finishLive(
        '3 latency',
        consumers,
        Number(writer.lastRevision - base),
        DELIVERY_TIMEOUT_MS,
      );
      for (const [name, r] of results) {
        record('3 latency: p50 ms', name, quantile(r.latenciesMs, 0.5));
        record('3 latency: p99 ms', name, quantile(r.latenciesMs, 0.99));
        record('3 latency: lost', name, Number(writer.lastRevision - base) - distinct(r));
        record('3 latency: duplicates', name, r.duplicates);
      }
    }

    if (PHASES.has(4)) {
      log(`phase 4: ${PUTS_PER_SECOND} puts/s for ${RESUME_SECONDS} s through ${KILLS} SIGKILLs of etcd`);
      const base = await startLive(member.pid, consumers, writer, () => endpoint, '/resume/');
      const gaps: number[] = [];
      const killedAt: number[] = [];
      await writePaced(writer, '/resume/', RESUME_SECONDS, async () => {
        for (let k = 1; k <= KILLS; k++) {
          await sleep((RESUME_SECONDS * 1000) / (KILLS + 1) - (k > 1 ? gaps[k - 2]! : 0));
          const t = nowMs();
          killedAt.push(t);
          await member.restart({ signal: 'SIGKILL' });
          gaps.push(nowMs() - t);
          log(`phase 4: etcd killed and back after ${gaps.at(-1)!.toFixed(0)} ms`);
        }
      });
      const events = Number(writer.lastRevision - base);
      const results = await finishLive('4 resume', consumers, events, DELIVERY_TIMEOUT_MS);
      const firstAfterRestart = firstRevisionsAfter(killedAt, writer.acks);
      for (const [name, r] of results) {
        const byRevision = sinceCommit(r, writer.acks);
        const latencies = [...byRevision.values()].sort((a, b) => a - b);
        record('4 resume: lost', name, events - distinct(r));
        record('4 resume: duplicates', name, r.duplicates);
        record('4 resume: p99 ms', name, quantile(latencies, 0.99));
        record('4 resume: max ms', name, quantile(latencies, 1));
        // The consumer's own resume gap: how late the first change after each restart arrived, apart
        // from how long etcd then takes to deliver the burst of writes that queued up meanwhile.
        // NaN (shown as –) when there was no restart or the consumer never got that event (then `lost` says so).
        const firsts = firstAfterRestart.map((rev) => byRevision.get(rev) ?? Number.NaN);
        const worst = firsts.length === 0 || firsts.some(Number.isNaN) ? Number.NaN : Math.max(...firsts);
        record('4 resume: first event after restart, worst ms', name, worst);
        // Why a run misses: etcd serves a watch re-created behind its revision from a 100 ms loop.
        record(`4 resume: re-created behind etcd, of ${KILLS} kills`, name, r.recreatedBehind ?? Number.NaN);
      }
    }

    if (PHASES.has(5)) {
      log(
        `phase 5: ${CATCHUP_VALUES} × ${CATCHUP_VALUE_BYTES / 1024} KiB written while the consumers are cut off`,
      );
      const proxyOf = new Map<ConsumerName, TcpProxy>();
      for (const c of consumers) {
        const p = await TcpProxy.start(endpoint);
        proxies.push(p);
        proxyOf.set(c.name, p);
      }
      const base = await startLive(
        member.pid,
        consumers,
        writer,
        (c) => proxyOf.get(c.name)!.endpoint,
        '/catchup/',
      );
      for (const p of proxies) p.cut();
      for (let i = 0; i < CATCHUP_VALUES; i++)
        await writer.put(`/catchup/v${i}`, timestamped(CATCHUP_VALUE_BYTES));
      for (const p of proxies) p.restore();
      const events = Number(writer.lastRevision - base);
      const results = await finishLive('5 catch-up', consumers, events, CATCHUP_TIMEOUT_MS);
      for (const [name, r] of results) {
        // The warm-up event arrived before the cut; count only the 60 written while cut off.
        const delivered = Math.max(0, distinct(r) - 1);
        record(`5 catch-up: delivered of ${CATCHUP_VALUES}`, name, delivered);
        record('5 catch-up: lost', name, CATCHUP_VALUES - delivered);
        record('5 catch-up: duplicates', name, r.duplicates);
      }
    }

    if (cliPhase) await cliPhase.run(writer, endpoint, () => settleEtcd(member.pid));
  } finally {
    await Promise.all(proxies.map((p) => p.close()));
    writer.close();
    await cluster.close();
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  const consumers: ConsumerProcess[] = [];
  try {
    if (!flags['skip-build']) await cliPhase?.prepare();
    // Phase 6 runs commands of its own; the consumer processes serve phases 1–5.
    const isConsumerPhase = [1, 2, 3, 4, 5].some((p) => PHASES.has(p));
    for (const name of isConsumerPhase ? CHOSEN : []) {
      const nodeFlags =
        flags['cpu-prof'] && name !== 'etcdctl' ? ['--cpu-prof', `--cpu-prof-dir=${CPU_PROFILE_DIR}`] : [];
      consumers.push(await ConsumerProcess.start(name, nodeFlags));
    }
    if (flags['cpu-prof']) log(`CPU profiles of the Node consumers go to ${CPU_PROFILE_DIR}`);
    for (let run = 1; run <= RUNS; run++) await runOnce(run, consumers);
  } finally {
    await Promise.all(consumers.map((c) => c.close()));
  }

  for (const n of cliPhase?.notes ?? []) notes.add(n);
  const header = ['phase: metric', ...CHOSEN.map((n) => (RUNS > 1 ? `${n} (median of ${RUNS})` : n))];
  const rows = [...table.entries()].map(([metric, byConsumer]) => {
    return [metric, ...CHOSEN.map((n) => formatNumber(median(byConsumer.get(n) ?? []), digitsOf(metric)))];
  });
  if (table.size > 0) process.stdout.write(`\n${renderTable(header, rows)}\n`);
  if (RUNS > 1 && table.size > 0) {
    // Some goals hold "in every run": show each run's value too, not only the median.
    const eachHeader = ['phase: metric', ...CHOSEN.map((n) => `${n} (each run)`)];
    const eachRows = [...table.entries()].map(([metric, byConsumer]) => {
      return [
        metric,
        ...CHOSEN.map((n) =>
          (byConsumer.get(n) ?? []).map((v) => formatNumber(v, digitsOf(metric))).join(' / '),
        ),
      ];
    });
    process.stdout.write(`\n${renderTable(eachHeader, eachRows)}\n`);
  }
  if (cliPhase) process.stdout.write(`\n${cliPhase.render()}\n`);
  if (notes.size > 0) process.stdout.write(`\nnotes:\n${[...notes].map((n) => `  - ${n}`).join('\n')}\n`);
  process.stdout.write(`\n${RUNS} run(s) in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
  // Output that differs from etcdctl's is a failure, not a figure.
  if (cliPhase?.isMismatch) process.exitCode = 1;
}

await main();
