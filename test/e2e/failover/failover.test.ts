import { strict as assert } from 'node:assert';
import { FailoverScenario } from './failover-scenario.js';

/** Burst operations before the kill, so that it lands in the middle of the burst. */
const OPS_BEFORE_KILL = 150;
/** Burst operations after the takeover, so the new leader follows a live burst, not only a backlog. */
const OPS_AFTER_TAKEOVER = 100;

describe('operator e2e: failover between two leader-elected replicas', function () {
  this.timeout(240_000);
  let scenario: FailoverScenario | undefined;
  const s = (): FailoverScenario => scenario!;
  /** Takeover times and counts, printed at the end for the record. */
  const measured: Record<string, unknown> = {};

  before(async function () {
    this.timeout(120_000);
    scenario = await FailoverScenario.start();
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed') process.stderr.write(`\n${scenario?.logs() ?? ''}\n`);
  });
  after(async () => {
    await scenario?.close();
    if (Object.keys(measured).length > 0)
      process.stdout.write(`      measured: ${JSON.stringify(measured)}\n`);
  });

  it('SIGKILL of the leader mid-burst: a standby takes over within the lease; ConfigMaps exact; nothing rolled twice', async () => {
    await s().setUp(['op-a', 'op-b']);
    await s().burstFor(OPS_BEFORE_KILL);
    measured['sigkill'] = await s().killLeaderMidBurst();
    await s().burstFor(OPS_AFTER_TAKEOVER);
    const report = await s().stopBurst();
    assert.ok(report.txns > 0 && report.deletes > 0, `txns (${report.txns}) and deletes (${report.deletes})`);
    measured['burstOps'] = report.ops;
    measured['rollouts'] = await s().assertConverged(report);
    const { leader, standbys } = await s().roles();
    await s().assertProbesMeanWhatTheySay(leader, standbys);
  });

  it('SIGTERM of the leader: it releases the Lease and exits 0 within 10 s; a standby takes over at once', async () => {
    await s().addCandidate('op-c');
    const { leader, standbys } = await s().roles();
    await s().assertProbesMeanWhatTheySay(leader, standbys);
    measured['sigterm'] = await s().terminateLeader();
    const now = await s().roles();
    await s().assertProbesMeanWhatTheySay(now.leader, now.standbys);

    // The new leader carries on: a short burst converges, and still nothing has been rolled twice.
    await s().burstFor(50);
    await s().assertConverged(await s().stopBurst());
  });
});
