import { strict as assert } from 'node:assert';
import type { V1ConfigMap, V1Deployment, V1Lease } from '@kubernetes/client-node';
import {
  CONFIG_HASH_ANNOTATION,
  PrefixSyncConditionType,
  type PrefixSync,
  type PrefixSyncSpec,
} from '../../../src/api/index.js';
import { conditionOf, describeConditions } from '../support/kube-api.js';
import { LEASE_TIMING, microTimeMs, type LeaseRef } from '../support/lease.js';
import { ObjectRecorder } from '../support/object-recorder.js';
import { OperatorEnv } from '../support/operator-env.js';
import { newTenant, specFor, type Tenant } from '../support/scenario.js';
import { waitFor } from '../support/wait.js';
import {
  leaderGauge,
  metricSum,
  probes,
  readLease,
  recordLease,
  startCandidate,
  type Candidate,
} from './candidates.js';
import { ChangeBurst, seedPrefixes, type BurstPrefix, type BurstReport } from './change-burst.js';
import { assertConfigMapAtSyncedRevision } from './content-at-revision.js';
import { repeatedRollouts, rolloutHashes } from './rollout-history.js';

/** Allowance for API latency and scheduling on a loaded 2-core machine, on top of the elector's own timing. */
export const LATENCY_SLACK_MS = 2_000;
/**
 * The promise of issue 5: a standby watches the Lease, so it sees the leader's last renewal at once and
 * takes over one lease duration after it; this is all the time it may take on top (the watch event,
 * one read and one write, on a loaded machine).
 */
export const TAKEOVER_SLACK_MS = 1_000;
/** The operator promises an orderly stop within this after SIGTERM (run --help). */
export const SHUTDOWN_LIMIT_MS = 10_000;

/** One tenant's PrefixSync, its burst settings and the recording of its Deployment from creation on. */
export interface SyncedTenant {
  tenant: Tenant;
  spec: PrefixSyncSpec;
  burst: BurstPrefix;
  deployment: ObjectRecorder<V1Deployment>;
}

/** What one SIGKILL failover measured. */
export interface KillMeasurement {
  killed: string;
  successor: string;
  /** From SIGKILL to the successor's acquireTime (its first write: the takeover). */
  takeoverMs: number;
  /** From the dead leader's last renewal to the takeover (never less than the lease duration). */
  sinceLastRenewalMs: number;
  /** Burst operations sent while no one led. */
  opsWithoutLeader: number;
  /** From SIGKILL to the successor's "took over lease" log line. */
  loggedTakeoverMs: number;
}

/** What one SIGTERM hand-over measured. */
export interface TermMeasurement {
  exitCode: number | string;
  exitMs: number;
  /** From SIGTERM to the release (empty holder) of the Lease. */
  releaseMs: number;
  /** From SIGTERM to the successor's acquireTime. */
  takeoverMs: number;
}

/** The candidate's JSON log lines that parse (a line cut by the log tail's start does not). */
function logLines(c: Candidate): Record<string, unknown>[] {
  const lines: Record<string, unknown>[] = [];
  for (const text of c.process.log.split('\n')) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed && typeof parsed === 'object') lines.push(parsed as Record<string, unknown>);
    } catch {
      // not a whole JSON line
    }
  }
  return lines;
}

function holderOf(lease: V1Lease | undefined): string {
  return lease?.spec?.holderIdentity ?? '';
}

/** `waiting`, unless the candidate's process exits first: then its exit, at once rather than at the deadline. */
async function failFastOnExit<T>(c: Candidate, waiting: Promise<T>): Promise<T> {
  const exit = c.process.exited.then((code) => {
    throw new Error(`${c.identity} exited (${code}):\n${c.process.log.slice(-2000)}`);
  });
  exit.catch(() => undefined); // an exit after `waiting` won (e.g. the test kills it) is no failure
  return Promise.race([waiting, exit]);
}

/** Three PrefixSyncs in three formats and debounce settings; only the `files` one can hold binary values. */
const SETUPS: readonly { spec: (t: Tenant) => PrefixSyncSpec; binaryValues: boolean }[] = [
  { spec: (t) => specFor(t, { debounce: '0s' }), binaryValues: true },
  {
    spec: (t) =>
      specFor(t, { debounce: '300ms', target: { name: t.configMap, format: 'yaml', key: 'config.yaml' } }),
    binaryValues: false,
  },
  {
    spec: (t) =>
      specFor(t, {
        debounce: '1s',
        target: { name: t.configMap, format: 'properties', key: 'app.properties' },
      }),
    binaryValues: false,
  },
];

/**
 * Leader-elected operator replicas over real etcd and the simulator, a few PrefixSyncs that roll
 * Deployments mounting their ConfigMaps, a change burst across their prefixes, and the checks a user
 * would make after a failover. Everything is observed through client-node. `close()` stops it all.
 */
export class FailoverScenario {
  readonly candidates: Candidate[] = [];
  readonly tenants: SyncedTenant[] = [];
  readonly lease: LeaseRef = { namespace: `failover-${process.pid}`, name: 'etcd-config-operator-failover' };
  private burst: ChangeBurst | undefined;
  /** The revision of the seed content. */
  private seeded = 0n;
  /** Watches the Lease from the start of each failover. */
  private leaseRecorder: ObjectRecorder<V1Lease> | undefined;

  private constructor(readonly env: OperatorEnv) {}

  /** Starts etcd and the simulator, and creates the Lease's namespace. */
  static async start(): Promise<FailoverScenario> {
    const env = await OperatorEnv.start({ startOperator: false });
    const scenario = new FailoverScenario(env);
    try {
      await env.kube.createNamespace(scenario.lease.namespace);
    } catch (e) {
      await env.close();
      throw e;
    }
    return scenario;
  }

  /**
   * Creates the tenants (Deployments watched from creation), seeds their prefixes, creates the
   * PrefixSyncs, starts two candidates, and checks the starting point: one leader, probes green,
   * every ConfigMap exact, nothing rolled by the first sync.
   */
  async setUp(identities: readonly [string, string]): Promise<void> {
    const env = this.env;
    for (const setup of SETUPS) {
      const tenant = await newTenant(env, 'f');
      const d = await env.kube.createDeployment(tenant.namespace, tenant.deployment, tenant.configMap);
      const deployment = await ObjectRecorder.start<V1Deployment>(
        env.kc,
        `/apis/apps/v1/namespaces/${tenant.namespace}/deployments`,
        tenant.deployment,
        d.metadata?.resourceVersion,
      );
      this.tenants.push({
        tenant,
        spec: setup.spec(tenant),
        burst: { prefix: tenant.prefix, binaryValues: setup.binaryValues },
        deployment,
      });
    }
    const prefixes = this.tenants.map((s) => s.burst);
    this.seeded = await seedPrefixes(env.etcdClient, prefixes);
    this.burst = new ChangeBurst(env.etcdClient, prefixes);
    for (const s of this.tenants)
      await env.kube.createPrefixSync(s.tenant.namespace, s.tenant.prefixSync, s.spec);

    await Promise.all(identities.map((id) => this.addCandidate(id)));
    const { leader, standbys } = await this.roles();
    await this.assertProbesMeanWhatTheySay(leader, standbys);
    for (const s of this.tenants) {
      await this.convergedAt(s, this.seeded, false);
      assert.deepEqual(rolloutHashes(s.deployment), [], 'the first sync rolls nothing');
    }
  }

  /** Starts one more leader-elected replica. */
  async addCandidate(identity: string): Promise<Candidate> {
    const c = await startCandidate(this.env, this.lease, identity);
    this.candidates.push(c);
    return c;
  }

  /** The running candidate holding the Lease, and the other running ones. */
  roles(): Promise<{ leader: Candidate; standbys: Candidate[] }> {
    return waitFor('a running candidate to hold the Lease', async () => {
      const holder = holderOf(await readLease(this.env, this.lease));
      const leader = this.candidates.find((c) => c.identity === holder && c.process.isRunning);
      if (!leader) return `holder '${holder}'`;
      return { leader, standbys: this.candidates.filter((c) => c !== leader && c.process.isRunning) };
    });
  }

  /** Waits until every given candidate answers 200 on /healthz and /readyz and only the leader reports leading. */
  async assertProbesMeanWhatTheySay(leader: Candidate, standbys: readonly Candidate[]): Promise<void> {
    for (const c of [leader, ...standbys]) {
      await failFastOnExit(
        c,
        waitFor(`${c.identity} /healthz and /readyz to answer 200`, async () => {
          const p = await probes(c);
          return (p.healthz === 200 && p.readyz === 200) || JSON.stringify(p);
        }),
      );
    }
    await waitFor(`${leader.identity} to report leading on /metrics`, async () => {
      const v = await leaderGauge(leader, this.lease.name);
      return v === 1 || `leader_election_master_status ${v}`;
    });
    for (const s of standbys) {
      assert.equal(
        await leaderGauge(s, this.lease.name),
        0,
        `${s.identity} (standby) does not report leading`,
      );
      // Every standby here never led: it must not have acted at all (controllers and etcd only while leading).
      assert.equal(
        await metricSum(s, 'controller_runtime_reconcile_total'),
        0,
        `${s.identity} reconciled nothing`,
      );
      assert.equal(
        await metricSum(s, 'etcdconfig_prefix_mirrors'),
        0,
        `${s.identity} mirrors no etcd prefix`,
      );
    }
  }

  /** Starts (or resumes) the change burst and waits until it has sent `ops` more operations. */
  async burstFor(ops: number): Promise<void> {
    const burst = this.burst!;
    const target = burst.ops + ops;
    burst.start();
    await waitFor(`${ops} burst operations`, () => burst.ops >= target || `${burst.ops}/${target}`);
  }

  /** Stops the burst; resolves with what it did in all. */
  stopBurst(): Promise<BurstReport> {
    return this.burst!.stop();
  }

  /**
   * With the burst running: waits until the leader has rolled something out, SIGKILLs it, waits for
   * a standby to take over, and asserts safety (not before the lease ran out after the last
   * renewal) and liveness (done — written and logged — at most a lease duration and
   * {@link TAKEOVER_SLACK_MS} after the kill).
   */
  async killLeaderMidBurst(): Promise<KillMeasurement> {
    const { leader, standbys } = await this.roles();
    assert.ok(standbys.length > 0, 'a standby is running');
    const before = (await readLease(this.env, this.lease))!;
    const leaseDurationMs = (before.spec?.leaseDurationSeconds ?? 0) * 1000;
    assert.equal(
      leaseDurationMs,
      LEASE_TIMING.leaseDurationMs,
      'the Lease states the duration run was given',
    );
    this.leaseRecorder?.stop();
    const rec = await recordLease(this.env, this.lease, before.metadata?.resourceVersion ?? '0');
    this.leaseRecorder = rec;
    const rolledBefore = rolloutHashes(this.tenants[0]!.deployment).length;
    await waitFor('the leader to roll a Deployment out during the burst', () => {
      const n = rolloutHashes(this.tenants[0]!.deployment).length;
      return n > rolledBefore || `${n} rollouts`;
    });

    const killedAt = Date.now();
    await leader.process.kill();
    const opsAtKill = this.burst!.ops;
    const successorIds = new Set(standbys.map((s) => s.identity));
    const takeover = await waitFor(
      'a standby to take the Lease over',
      () =>
        rec.changes.find((c) => successorIds.has(holderOf(c.object)))?.object ??
        `holder ${holderOf(rec.last)}`,
      leaseDurationMs * 3,
    );
    // The successor's log line, read at once: the log keeps only a tail.
    const successor = standbys.find((c) => c.identity === holderOf(takeover))!;
    const logged = await waitFor(`${holderOf(takeover)} to log the takeover`, () => {
      const line = logLines(successor).find((l) => l['message'] === 'took over lease');
      return line ?? 'no "took over lease" line yet';
    });
    assert.equal(logged['previousHolder'], leader.identity, 'the takeover log names the dead leader');
    const loggedTakeoverMs = Date.parse(String(logged['time'])) - killedAt;
    const acquiredAt = microTimeMs(takeover.spec?.acquireTime);
    assert.ok(acquiredAt !== undefined, 'the new holder set acquireTime');
    // The dead leader's last renewal (any request it sent before dying is in the watch before the takeover).
    const lastRenewal = [before, ...rec.changes.map((c) => c.object)]
      .filter((l) => holderOf(l) === leader.identity)
      .map((l) => microTimeMs(l.spec?.renewTime) ?? 0)
      .reduce((a, b) => Math.max(a, b), 0);
    const m: KillMeasurement = {
      killed: leader.identity,
      successor: holderOf(takeover),
      takeoverMs: acquiredAt - killedAt,
      sinceLastRenewalMs: acquiredAt - lastRenewal,
      opsWithoutLeader: this.burst!.ops - opsAtKill,
      loggedTakeoverMs,
    };
    // Safety: nobody takes a lease its holder renewed less than a lease duration ago.
    assert.ok(
      m.sinceLastRenewalMs >= leaseDurationMs,
      `taken over ${m.sinceLastRenewalMs} ms after the last renewal, before the lease (${leaseDurationMs} ms) ran out`,
    );
    // Liveness. A standby counts the lease duration from when it *saw* the last renewal (it cannot
    // trust another process's clock); it watches the Lease, so it saw that renewal at once, and it
    // attempts exactly when the lease runs out. The kill comes at or after the last renewal, so the
    // takeover — its write done and logged — comes at most a lease duration plus a little later.
    const bound = leaseDurationMs + TAKEOVER_SLACK_MS;
    assert.ok(m.takeoverMs <= bound, `takeover started ${m.takeoverMs} ms after SIGKILL, over ${bound} ms`);
    assert.ok(
      m.loggedTakeoverMs <= bound,
      `takeover written and logged ${m.loggedTakeoverMs} ms after SIGKILL, over ${bound} ms`,
    );
    assert.equal(
      takeover.spec?.leaseTransitions,
      (before.spec?.leaseTransitions ?? 0) + 1,
      'one more lease transition',
    );
    assert.equal((await probes(leader)).readyz, 'down', 'the killed leader answers nothing');
    return m;
  }

  /**
   * SIGTERMs the leader: asserts it releases the Lease, exits 0 within the shutdown limit, and that a
   * standby takes the released Lease as soon as its watch shows the release — well within the lease
   * duration.
   */
  async terminateLeader(): Promise<TermMeasurement> {
    const { leader, standbys } = await this.roles();
    assert.ok(standbys.length > 0, 'a standby is running');
    const before = (await readLease(this.env, this.lease))!;
    const leaseDurationMs = (before.spec?.leaseDurationSeconds ?? 0) * 1000;
    this.leaseRecorder?.stop();
    const rec = await recordLease(this.env, this.lease, before.metadata?.resourceVersion ?? '0');
    this.leaseRecorder = rec;
    const successorIds = new Set(standbys.map((s) => s.identity));

    const termAt = Date.now();
    const stopped = leader.process.terminate();
    const released = await waitFor(
      'the leader to release the Lease',
      () => rec.changes.find((c) => holderOf(c.object) === '')?.object ?? `holder ${holderOf(rec.last)}`,
      SHUTDOWN_LIMIT_MS + LATENCY_SLACK_MS,
    );
    const takeover = await waitFor(
      'a standby to take the released Lease',
      () =>
        rec.changes.find((c) => successorIds.has(holderOf(c.object)))?.object ??
        `holder ${holderOf(rec.last)}`,
      leaseDurationMs,
    );
    const { code, ms } = await stopped;
    assert.equal(code, 0, 'exit code after SIGTERM');
    assert.ok(ms <= SHUTDOWN_LIMIT_MS, `stopped in ${ms} ms`);
    const releasedAt = microTimeMs(released.spec?.renewTime);
    const acquiredAt = microTimeMs(takeover.spec?.acquireTime);
    assert.ok(releasedAt !== undefined && acquiredAt !== undefined, 'release and takeover are timed');
    assert.ok(
      acquiredAt - releasedAt <= TAKEOVER_SLACK_MS,
      `a released Lease is taken as soon as the standby's watch shows it (${acquiredAt - releasedAt} ms)`,
    );
    assert.ok(acquiredAt - termAt < leaseDurationMs, 'well within the lease duration');
    assert.equal((await probes(leader)).healthz, 'down', 'the stopped leader answers nothing');
    return { exitCode: code, exitMs: ms, releaseMs: releasedAt - termAt, takeoverMs: acquiredAt - termAt };
  }

  /**
   * After the burst stopped: every PrefixSync syncs its prefix's last change, its ConfigMap equals
   * etcd at status.syncedRevision, and its Deployment was rolled once per content hash, ending on
   * status.contentHash. Returns the rollout count per format.
   */
  async assertConverged(report: BurstReport): Promise<Record<string, number>> {
    const rollouts: Record<string, number> = {};
    for (const s of this.tenants) {
      const ps = await this.convergedAt(s, report.lastRevision.get(s.burst.prefix) ?? this.seeded, true);
      rollouts[s.spec.target.format ?? 'files'] = this.assertRolloutsOnce(s, ps).length;
    }
    // The work was the leader's (the standbys' zero counters above are not a parsing accident).
    const { leader } = await this.roles();
    const reconciles = await metricSum(leader, 'controller_runtime_reconcile_total');
    assert.ok(reconciles > 0, `${leader.identity} counted its reconciles (${reconciles})`);
    return rollouts;
  }

  /**
   * Waits until the PrefixSync has synced at least `revision`, is Ready and Synced, and (when
   * `rolled`) its Deployment carries status.contentHash; then checks the ConfigMap against etcd at
   * exactly status.syncedRevision.
   */
  private async convergedAt(s: SyncedTenant, revision: bigint, rolled: boolean): Promise<PrefixSync> {
    const t = s.tenant;
    const kube = this.env.kube;
    const { ps, cm } = await waitFor(
      `PrefixSync ${t.namespace}/${t.prefixSync} to sync revision ${revision}${rolled ? ' and roll it out' : ''}`,
      async () => {
        const ps = await kube.getPrefixSync(t.namespace, t.prefixSync);
        const at = ps?.status?.syncedRevision;
        if (!ps || at === undefined || BigInt(at) < revision) return `status.syncedRevision ${at}`;
        const ready = conditionOf(ps, PrefixSyncConditionType.Ready)?.status;
        const sync = conditionOf(ps, PrefixSyncConditionType.Synced)?.status;
        if (ready !== 'True' || sync !== 'True') return `conditions: ${describeConditions(ps)}`;
        if (rolled) {
          const d = await kube.getDeployment(t.namespace, t.deployment);
          const hash = d?.spec?.template.metadata?.annotations?.[CONFIG_HASH_ANNOTATION];
          if (hash !== ps.status?.contentHash)
            return `Deployment hash ${hash}, status ${ps.status?.contentHash}`;
        }
        const cm: V1ConfigMap | undefined = await kube.getConfigMap(t.namespace, t.configMap);
        return (cm && { ps, cm }) || 'no ConfigMap';
      },
    );
    const content = await assertConfigMapAtSyncedRevision(this.env.etcdClient, ps, cm);
    if (s.burst.binaryValues && rolled) {
      assert.ok(Object.keys(content.binaryData).length > 0, 'binary values reach binaryData');
    }
    return ps;
  }

  /** No hash rolled out twice, and the Deployment ends on status.contentHash. Returns the rollouts. */
  private assertRolloutsOnce(s: SyncedTenant, ps: PrefixSync): string[] {
    const where = `${s.tenant.namespace}/${s.tenant.deployment}`;
    assert.ok(s.deployment.writes >= 0, 'the Deployment watch is still running'); // throws if it broke
    const hashes = rolloutHashes(s.deployment);
    assert.deepEqual(
      Object.fromEntries(repeatedRollouts(hashes)),
      {},
      `${where}: no content hash rolled out twice (rollouts: ${hashes.join(', ')})`,
    );
    const last = s.deployment.last?.spec?.template.metadata?.annotations?.[CONFIG_HASH_ANNOTATION];
    assert.equal(last, ps.status?.contentHash, `${where}: the last rollout is status.contentHash`);
    return hashes;
  }

  /** Every candidate's log tail, for failure messages. */
  logs(): string {
    return this.candidates
      .map((c) => `--- log of ${c.identity} (tail) ---\n${c.process.log.slice(-5000)}\n---`)
      .join('\n');
  }

  /** Stops the burst, the recorders, every operator, the simulator and etcd. */
  async close(): Promise<void> {
    await this.burst?.stop().catch(() => undefined);
    this.leaseRecorder?.stop();
    for (const s of this.tenants) s.deployment.stop();
    await this.env.close();
  }
}
