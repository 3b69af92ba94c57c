import { waitFor } from '../e2e/support/wait.js';
import type { ChaosEnv } from './chaos-env.js';
import type { ChaosWriter } from './chaos-writer.js';
import type { SeededRandom } from './seeded-random.js';

/** Every fault the run injects; `restore` exactly once. */
export const FAULT_KINDS = [
  'member-kill',
  'stream-member-pause',
  'link-blackhole',
  'compaction',
  'operator-kill',
  'restore',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** How long a SIGKILLed member stays down before its restart (quorum holds with the other two). */
const MEMBER_DOWN_MS = 5_000;
/** How long the member serving the watch stays SIGSTOPped. */
const PAUSE_MS = 10_000;
/** How long a link stays blackholed: past the client's keepalive (10 s interval + 5 s timeout). */
const BLACKHOLE_MS = 15_000;
/** Writes the operator misses before a compaction. */
const WRITES_WHILE_AWAY = 40;
/** How long bytes are counted per proxy when the operator's log does not say where its watch is. */
const BYTES_SAMPLE_MS = 2_000;

/** One injected fault. */
export interface FaultRecord {
  kind: FaultKind;
  /** What it hit, e.g. `member m1 (serving the watch: operator log)`. */
  target: string;
  injectedAtMs: number;
  /** When the fault was over: member healthy again, SIGCONT, link healed, compaction done, … */
  healedAtMs: number;
  /** Extra facts, e.g. the revisions of a restore or the takeover time. */
  note?: string;
}

/** What a fault needs. */
export interface FaultContext {
  env: ChaosEnv;
  random: SeededRandom;
  writer: ChaosWriter;
  /** The snapshot taken after set-up, for the one restore. */
  snapshot: { file: string; revision: bigint };
}

const hold = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The member serving the leading replica's watch stream: the endpoint of its last `watch stream open`
 * log line (a proxy, mapped to its member) when that proxy still holds connections; otherwise the
 * member behind the proxy that forwarded the most bytes to the operator over a short sample.
 */
export async function servingMember(env: ChaosEnv): Promise<{ index: number; how: string }> {
  const leader = await waitFor('a running replica to hold the Lease', () => {
    return env.running.find((r) => r.identity === env.leaseHolder) ?? `holder '${env.leaseHolder}'`;
  });
  const endpoint = leader.watchEndpoint?.endpoint.replace(/^[a-z]+:\/\//, '');
  const logged = env.proxies.findIndex((p) => p.endpoint === endpoint);
  if (logged !== -1 && env.proxies[logged]!.connectionCount > 0)
    return { index: logged, how: `${leader.identity}'s log: watch stream open` };
  const before = env.proxies.map((p) => p.bytesDown);
  await hold(BYTES_SAMPLE_MS);
  const deltas = env.proxies.map((p, i) => p.bytesDown - before[i]!);
  const busiest = deltas.indexOf(Math.max(...deltas));
  return { index: busiest, how: `most bytes to the operator (${deltas.join('/')} in ${BYTES_SAMPLE_MS} ms)` };
}

/**
 * Whether the leading replica's watch stream reopened on another member after `sinceMs` (while the
 * member `index` was under a fault), as its log says: a stream that stays on a silent link is one
 * only a keepalive can rescue.
 */
function watchMoved(env: ChaosEnv, index: number, sinceMs: number): string {
  const leader = env.running.find((r) => r.identity === env.leaseHolder);
  const w = leader?.watchEndpoint;
  if (!leader || !w) return 'no watch stream logged';
  const to = env.proxies.findIndex((p) => p.endpoint === w.endpoint.replace(/^[a-z]+:\/\//, ''));
  if (w.timeMs <= sinceMs || to === index) return `${leader.identity}'s watch stayed on the faulted member`;
  return `${leader.identity}'s watch reopened on ${env.etcd.members[to]?.name ?? w.endpoint} ${w.timeMs - sinceMs} ms into the fault`;
}

/**
 * Injects one fault and ends it; resolves with the record once the fault is healed. Throws only when
 * the fault itself could not be injected or healed (a member that does not come back): a harness
 * failure, not a finding about the operator.
 */
export async function injectFault(kind: FaultKind, ctx: FaultContext): Promise<FaultRecord> {
  const { env } = ctx;
  const injectedAtMs = Date.now();
  const done = (target: string, note?: string): FaultRecord => ({
    kind,
    target,
    injectedAtMs,
    healedAtMs: Date.now(),
    ...(note !== undefined ? { note } : {}),
  });
  switch (kind) {
    case 'member-kill': {
      const i = ctx.random.int(env.etcd.members.length);
      const member = env.etcd.members[i]!;
      await member.kill('SIGKILL');
      await hold(MEMBER_DOWN_MS);
      await member.restart();
      return done(`member ${member.name}`);
    }
    case 'stream-member-pause': {
      const { index, how } = await servingMember(env);
      const member = env.etcd.members[index]!;
      const faultAtMs = Date.now();
      await member.pause();
      await hold(PAUSE_MS);
      await member.resume();
      return done(`member ${member.name} (serving the watch: ${how})`, watchMoved(env, index, faultAtMs));
    }
    case 'link-blackhole': {
      const { index, how } = await servingMember(env);
      const proxy = env.proxies[index]!;
      const held = proxy.connectionCount;
      const faultAtMs = Date.now();
      proxy.blackhole();
      await hold(BLACKHOLE_MS);
      const left = proxy.connectionCount;
      proxy.heal();
      return done(
        `link to member ${env.etcd.members[index]!.name} (serving the watch: ${how})`,
        `${held} connections held open, ${left} open at the end; ${watchMoved(env, index, faultAtMs)}`,
      );
    }
    case 'compaction': {
      // Cut the operator off from etcd (its connections closed, new ones held silent), let the writer
      // move on, compact to the current revision, then let it back: its watches resume below the
      // compaction — the path a compaction takes in production when a client was away.
      for (const p of env.proxies) {
        p.blackhole();
        p.cut();
      }
      const opsBefore = ctx.writer.ops;
      await waitFor(`${WRITES_WHILE_AWAY} writes while the operator is cut off`, () => {
        return ctx.writer.ops >= opsBefore + WRITES_WHILE_AWAY || `${ctx.writer.ops - opsBefore}`;
      });
      const client = env.healthyClient();
      const revision = (await client.kv.range({ key: '/' })).revision;
      await client.kv.compact(revision, { physical: true });
      for (const p of env.proxies) p.heal();
      return done(
        'etcd history',
        `compacted at revision ${revision} after ${WRITES_WHILE_AWAY} writes with the operator cut off from every member`,
      );
    }
    case 'operator-kill': {
      const leader = await waitFor('a running replica to hold the Lease', () => {
        return env.running.find((r) => r.identity === env.leaseHolder) ?? `holder '${env.leaseHolder}'`;
      });
      if (env.running.length < 2) await env.startReplica();
      await leader.kill();
      const replacement = await env.startReplica();
      const healed = done(`replica ${leader.identity} (leader)`, `restarted as ${replacement.identity}`);
      const { successor } = await waitFor(
        'a standby to take the Lease over',
        () => {
          const holder = env.leaseHolder;
          const taken = holder !== leader.identity && holder !== '';
          return taken ? { successor: holder } : `holder '${holder}'`;
        },
        60_000,
      );
      healed.note += `; ${successor} took over ${Date.now() - (leader.killedAtMs ?? injectedAtMs)} ms after SIGKILL`;
      return healed;
    }
    case 'restore': {
      await ctx.writer.pause();
      const before = (await env.healthyClient().kv.range({ key: '/' })).revision;
      await env.etcd.restore(ctx.snapshot.file);
      const after = await waitFor('etcd to answer after the restore', async () => {
        return (await env.healthyClient().kv.range({ key: '/' })).revision;
      });
      return done(
        'every member',
        `etcd went back from revision ${before} to ${after} (snapshot at ${ctx.snapshot.revision})`,
      );
    }
  }
}
