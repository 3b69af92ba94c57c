import { strict as assert } from 'node:assert';
import type { V1ConfigMap, V1Deployment, V1Lease } from '@kubernetes/client-node';
import {
  CONFIG_HASH_ANNOTATION,
  PrefixSyncConditionType,
  type PrefixSync,
  type PrefixSyncSpec,
} from '../../../src/api/index.js';
import { DEFAULT_RETRY_PERIOD_MS, RETRY_JITTER } from '../../../src/runtime/index.js';
import { conditionOf, describeConditions } from '../support/kube-api.js';
import { ObjectRecorder } from '../support/object-recorder.js';
import { OperatorEnv } from '../support/operator-env.js';
import { newTenant, specFor, type Tenant } from '../support/scenario.js';
import { waitFor } from '../support/wait.js';
import {
  leaderGauge,
  microTimeMs,
  probes,
  readLease,
  recordLease,
  startCandidate,
  type Candidate,
  type LeaseRef,
} from './candidates.js';
import { ChangeBurst, seedPrefixes, type BurstPrefix } from './change-burst.js';
import { assertConfigMapAtSyncedRevision } from './content-at-revision.js';
import { repeatedRollouts, rolloutHashes } from './rollout-history.js';

/**
 * `run` has no flags for the lease timings, so the candidates use the elector's defaults; the lease
 * duration itself is read from the Lease they write. One jittered retry period is the longest a
 * candidate waits between two looks at the Lease.
 */
const MAX_RETRY_MS = DEFAULT_RETRY_PERIOD_MS * (1 + RETRY_JITTER);
/** Allowance for API latency and scheduling on a loaded 2-core machine, on top of the elector's own timing. */
const LATENCY_SLACK_MS = 2_000;
/** The operator promises an orderly stop within this after SIGTERM (run --help). */
const SHUTDOWN_LIMIT_MS = 10_000;
/** Operations of the burst before the leader is killed, so that the kill lands in the middle of it. */
const OPS_BEFORE_KILL = 150;
/** Operations after the takeover, so the new leader follows a live burst, not only a backlog. */
const OPS_AFTER_TAKEOVER = 100;

/** One tenant's PrefixSync, its burst settings and the recording of its Deployment from creation on. */
interface Synced {
  tenant: Tenant;
  spec: PrefixSyncSpec;
  burst: BurstPrefix;
  deployment: ObjectRecorder<V1Deployment>;
}

function holderOf(lease: V1Lease | undefined): string {
  return lease?.spec?.holderIdentity ?? '';
}

describe('operator e2e: failover between two leader-elected replicas', function () {
  this.timeout(240_000);
  let env: OperatorEnv | undefined;
  const e = (): OperatorEnv => env!;
  const candidates: Candidate[] = [];
  const synced: Synced[] = [];
  let burst: ChangeBurst | undefined;
  let leaseRec: ObjectRecorder<V1Lease> | undefined;
  const lease: LeaseRef = { namespace: `failover-${process.pid}`, name: 'etcd-config-operator-failover' };
  /** Measured takeover times, printed at the end for the record. */
  const measured: Record<string, number> = {};

  before(async function () {
    this.timeout(120_000);
    env = await OperatorEnv.start({ startOperator: false });
    await e().kube.createNamespace(lease.namespace);
  });
  afterEach(function () {
    if (this.currentTest?.state !== 'failed') return;
    for (const c of candidates) {
      process.stderr.write(`\n--- log of ${c.identity} (tail) ---\n${c.process.log.slice(-5000)}\n---\n`);
    }
  });
  after(async () => {
    await burst?.stop().catch(() => undefined);
    leaseRec?.stop();
    for (const s of synced) s.deployment.stop();
    await env?.close();
    if (Object.keys(measured).length > 0)
      process.stdout.write(`      measured: ${JSON.stringify(measured)}\n`);
  });

  /** The running candidate holding the Lease, and the other running ones. */
  async function roles(): Promise<{ leader: Candidate; standbys: Candidate[] }> {
    return waitFor('a running candidate to hold the Lease', async () => {
      const holder = holderOf(await readLease(e(), lease));
      const leader = candidates.find((c) => c.identity === holder && c.process.isRunning);
      if (!leader) return `holder '${holder}'`;
      return { leader, standbys: candidates.filter((c) => c !== leader && c.process.isRunning) };
    });
  }

  /** Waits until every running candidate is healthy and ready, and only the leader reports leading. */
  async function assertProbesMeanWhatTheySay(
    leader: Candidate,
    standbys: readonly Candidate[],
  ): Promise<void> {
    for (const c of [leader, ...standbys]) {
      await waitFor(`${c.identity} /healthz and /readyz to answer 200`, async () => {
        const p = await probes(c);
        return (p.healthz === 200 && p.readyz === 200) || JSON.stringify(p);
      });
    }
    await waitFor(`${leader.identity} to report leading on /metrics`, async () => {
      const v = await leaderGauge(leader, lease.name);
      return v === 1 || `leader_election_master_status ${v}`;
    });
    for (const s of standbys) {
      assert.equal(await leaderGauge(s, lease.name), 0, `${s.identity} (standby) does not report leading`);
    }
  }

  /**
   * Waits until the PrefixSync has synced at least `revision`, is Ready and Synced, and (when
   * `rolled`) its Deployment carries status.contentHash; then checks the ConfigMap against etcd at
   * exactly status.syncedRevision. Returns the PrefixSync.
   */
  async function convergedAt(s: Synced, revision: bigint, rolled: boolean): Promise<PrefixSync> {
    const t = s.tenant;
    const { ps, cm } = await waitFor(
      `PrefixSync ${t.namespace}/${t.prefixSync} to sync revision ${revision}${rolled ? ' and roll it out' : ''}`,
      async () => {
        const ps = await e().kube.getPrefixSync(t.namespace, t.prefixSync);
        const at = ps?.status?.syncedRevision;
        if (!ps || at === undefined || BigInt(at) < revision) return `status.syncedRevision ${at}`;
        const ready = conditionOf(ps, PrefixSyncConditionType.Ready)?.status;
        const sync = conditionOf(ps, PrefixSyncConditionType.Synced)?.status;
        if (ready !== 'True' || sync !== 'True') return `conditions: ${describeConditions(ps)}`;
        if (rolled) {
          const d = await e().kube.getDeployment(t.namespace, t.deployment);
          const hash = d?.spec?.template.metadata?.annotations?.[CONFIG_HASH_ANNOTATION];
          if (hash !== ps.status?.contentHash)
            return `Deployment hash ${hash}, status ${ps.status?.contentHash}`;
        }
        const cm: V1ConfigMap | undefined = await e().kube.getConfigMap(t.namespace, t.configMap);
        return (cm && { ps, cm }) || 'no ConfigMap';
      },
    );
    const content = await assertConfigMapAtSyncedRevision(e().etcdClient, ps, cm);
    if (s.burst.binaryValues && rolled) {
      assert.ok(Object.keys(content.binaryData).length > 0, 'binary values reach binaryData');
    }
    return ps;
  }

  /** No hash rolled out twice, and the Deployment ends on status.contentHash. */
  function assertRolloutsOnce(s: Synced, ps: PrefixSync): string[] {
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

  it('SIGKILL of the leader mid-burst: the standby takes over within the lease, ConfigMaps exact, nothing rolled twice', async () => {
    // Three PrefixSyncs in three formats and debounce settings, each rolling a Deployment that mounts its ConfigMap.
    const setups: { spec: (t: Tenant) => PrefixSyncSpec; binaryValues: boolean }[] = [
      { spec: (t) => specFor(t, { debounce: '0s' }), binaryValues: true },
      {
        spec: (t) =>
          specFor(t, {
            debounce: '300ms',
            target: { name: t.configMap, format: 'yaml', key: 'config.yaml' },
          }),
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
    for (const setup of setups) {
      const tenant = await newTenant(e(), 'f');
      const d = await e().kube.createDeployment(tenant.namespace, tenant.deployment, tenant.configMap);
      const deployment = await ObjectRecorder.start<V1Deployment>(
        e().kc,
        `/apis/apps/v1/namespaces/${tenant.namespace}/deployments`,
        tenant.deployment,
        d.metadata?.resourceVersion,
      );
      synced.push({
        tenant,
        spec: setup.spec(tenant),
        burst: { prefix: tenant.prefix, binaryValues: setup.binaryValues },
        deployment,
      });
    }
    const seeded = await seedPrefixes(
      e().etcdClient,
      synced.map((s) => s.burst),
    );
    for (const s of synced) await e().kube.createPrefixSync(s.tenant.namespace, s.tenant.prefixSync, s.spec);

    candidates.push(
      ...(await Promise.all([startCandidate(e(), lease, 'op-a'), startCandidate(e(), lease, 'op-b')])),
    );
    const { leader, standbys } = await roles();
    const standby = standbys[0]!;
    await assertProbesMeanWhatTheySay(leader, standbys);
    for (const s of synced) {
      await convergedAt(s, seeded, false);
      assert.deepEqual(rolloutHashes(s.deployment), [], 'the first sync rolls nothing');
    }

    const before = await readLease(e(), lease);
    const leaseDurationMs = (before?.spec?.leaseDurationSeconds ?? 0) * 1000;
    assert.ok(leaseDurationMs > 0, 'the Lease states its duration');
    leaseRec = await recordLease(e(), lease, before?.metadata?.resourceVersion ?? '0');

    burst = new ChangeBurst(
      e().etcdClient,
      synced.map((s) => s.burst),
    );
    burst.start();
    await waitFor(`${OPS_BEFORE_KILL} burst operations and a rollout by the leader`, () => {
      const rolled = rolloutHashes(synced[0]!.deployment).length;
      return (burst!.ops >= OPS_BEFORE_KILL && rolled > 0) || `${burst!.ops} ops, ${rolled} rollouts`;
    });

    const killedAt = Date.now();
    await leader.process.kill();
    const opsAtKill = burst.ops;
    const takeover = await waitFor(
      `${standby.identity} to take the Lease over`,
      () =>
        leaseRec!.changes.find((c) => holderOf(c.object) === standby.identity)?.object ??
        `holder ${holderOf(leaseRec!.last)}`,
      leaseDurationMs * 3,
    );
    const acquiredAt = microTimeMs(takeover.spec?.acquireTime);
    assert.ok(acquiredAt !== undefined, 'the new holder set acquireTime');
    // The dead leader's last renewal (any request it sent before dying is in the watch before the takeover).
    const lastRenewal = [before!, ...leaseRec.changes.map((c) => c.object)]
      .filter((l) => holderOf(l) === leader.identity)
      .map((l) => microTimeMs(l.spec?.renewTime) ?? 0)
      .reduce((a, b) => Math.max(a, b), 0);
    measured['sigkillTakeoverMs'] = acquiredAt - killedAt;
    measured['sinceLastRenewalMs'] = acquiredAt - lastRenewal;
    measured['opsDuringTakeover'] = burst.ops - opsAtKill;
    // Safety: nobody takes a lease its holder renewed less than a lease duration ago.
    assert.ok(
      acquiredAt - lastRenewal >= leaseDurationMs,
      `taken over ${acquiredAt - lastRenewal} ms after the last renewal, before the lease (${leaseDurationMs} ms) ran out`,
    );
    // Liveness. The standby counts the lease duration from when it *saw* the last renewal (it cannot
    // trust another process's clock), which may be one retry period after the renewal, and it looks
    // again only every retry period: so from the kill (at or after the last renewal) the takeover
    // comes at most a lease duration plus two retry periods later.
    const bound = leaseDurationMs + 2 * MAX_RETRY_MS + LATENCY_SLACK_MS;
    assert.ok(
      acquiredAt - killedAt <= bound,
      `takeover ${acquiredAt - killedAt} ms after SIGKILL exceeds ${bound} ms`,
    );
    assert.equal(
      takeover.spec?.leaseTransitions,
      (before?.spec?.leaseTransitions ?? 0) + 1,
      'one more lease transition',
    );

    const opsAtTakeover = burst.ops;
    await waitFor(
      `${OPS_AFTER_TAKEOVER} more burst operations under the new leader`,
      () => burst!.ops >= opsAtTakeover + OPS_AFTER_TAKEOVER || `${burst!.ops - opsAtTakeover}`,
    );
    const report = await burst.stop();
    measured['burstOps'] = report.ops;
    assert.ok(
      report.txns > 0 && report.deletes > 0,
      `the burst had txns (${report.txns}) and deletes (${report.deletes})`,
    );

    for (const s of synced) {
      const ps = await convergedAt(s, report.lastRevision.get(s.burst.prefix) ?? seeded, true);
      const hashes = assertRolloutsOnce(s, ps);
      measured[`rollouts:${s.spec.target.format ?? 'files'}`] = hashes.length;
    }
    assert.equal(await probes(leader).then((p) => p.readyz), 'down', 'the killed leader answers nothing');
    await assertProbesMeanWhatTheySay(standby, []);
  });

  it('SIGTERM of the leader: it releases the Lease and exits 0 within 10 s; a standby takes over at once', async () => {
    const { leader } = await roles();
    const next = await startCandidate(e(), lease, 'op-c');
    candidates.push(next);
    await assertProbesMeanWhatTheySay(leader, [next]);
    leaseRec?.stop();
    const before = await readLease(e(), lease);
    const leaseDurationMs = (before?.spec?.leaseDurationSeconds ?? 0) * 1000;
    leaseRec = await recordLease(e(), lease, before?.metadata?.resourceVersion ?? '0');

    const termAt = Date.now();
    const stopped = leader.process.terminate();
    const released = await waitFor(
      'the leader to release the Lease',
      () =>
        leaseRec!.changes.find((c) => holderOf(c.object) === '')?.object ??
        `holder ${holderOf(leaseRec!.last)}`,
      SHUTDOWN_LIMIT_MS + LATENCY_SLACK_MS,
    );
    const takeover = await waitFor(
      `${next.identity} to take the released Lease`,
      () =>
        leaseRec!.changes.find((c) => holderOf(c.object) === next.identity)?.object ??
        `holder ${holderOf(leaseRec!.last)}`,
      leaseDurationMs,
    );
    const { code, ms } = await stopped;
    assert.equal(code, 0, 'exit code after SIGTERM');
    assert.ok(ms <= SHUTDOWN_LIMIT_MS, `stopped in ${ms} ms`);
    const releasedAt = microTimeMs(released.spec?.renewTime);
    const acquiredAt = microTimeMs(takeover.spec?.acquireTime);
    assert.ok(releasedAt !== undefined && acquiredAt !== undefined, 'release and takeover are timed');
    measured['sigtermExitMs'] = ms;
    measured['sigtermReleaseMs'] = releasedAt - termAt;
    measured['sigtermTakeoverMs'] = acquiredAt - termAt;
    assert.ok(
      acquiredAt - releasedAt <= MAX_RETRY_MS + LATENCY_SLACK_MS,
      `a released Lease is taken at the standby's next look (${acquiredAt - releasedAt} ms)`,
    );
    assert.ok(acquiredAt - termAt < leaseDurationMs, 'well within the lease duration');
    await assertProbesMeanWhatTheySay(next, []);
    assert.equal((await probes(leader)).healthz, 'down', 'the stopped leader answers nothing');

    // The new leader carries on: a short burst converges, and still nothing has been rolled twice.
    burst!.start();
    await waitFor(
      '50 more burst operations',
      () => burst!.ops >= (measured['burstOps'] ?? 0) + 50 || `${burst!.ops}`,
    );
    const report = await burst!.stop();
    for (const s of synced) {
      const ps = await convergedAt(s, report.lastRevision.get(s.burst.prefix) ?? 0n, true);
      assertRolloutsOnce(s, ps);
    }
  });
});
