// Soak variant of failover.test.ts (npm run test:failover-soak; not part of `npm test`): many SIGKILL
// failovers in a row on one set of PrefixSyncs, each checked like the e2e test, with the takeover
// times summarised at the end. FAILOVER_SOAK_CYCLES sets the number of kills (default 6).
import { FailoverScenario, type KillMeasurement } from './failover-scenario.js';

const CYCLES = Number(process.env['FAILOVER_SOAK_CYCLES'] ?? '6');

describe('operator soak: repeated failovers under a change burst', function () {
  this.timeout(0);
  let scenario: FailoverScenario | undefined;
  const s = (): FailoverScenario => scenario!;
  const kills: KillMeasurement[] = [];

  before(async function () {
    this.timeout(120_000);
    scenario = await FailoverScenario.start();
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed') process.stderr.write(`\n${scenario?.logs() ?? ''}\n`);
  });
  after(async () => {
    await scenario?.close();
    const ms = kills.map((k) => k.takeoverMs).sort((a, b) => a - b);
    if (ms.length > 0) {
      process.stdout.write(
        `      SIGKILL → takeover over ${ms.length} kills: min ${ms[0]} ms, median ${ms[Math.floor(ms.length / 2)]} ms, max ${ms[ms.length - 1]} ms\n` +
          `      ${JSON.stringify(kills)}\n`,
      );
    }
  });

  it('starts two replicas and syncs every PrefixSync exactly', async () => {
    await s().setUp(['op-0', 'op-1']);
  });

  for (let i = 1; i <= CYCLES; i++) {
    it(`failover ${i}/${CYCLES}: SIGKILL mid-burst, takeover in time, exact ConfigMaps, no double rollout`, async () => {
      const { standbys } = await s().roles();
      if (standbys.length === 0) await s().addCandidate(`op-${i + 1}`);
      await s().burstFor(150);
      kills.push(await s().killLeaderMidBurst());
      await s().burstFor(100);
      await s().assertConverged(await s().stopBurst());
    });
  }

  it('SIGTERM hand-over at the end, then converges again', async () => {
    await s().addCandidate('op-last');
    const { leader, standbys } = await s().roles();
    await s().assertProbesMeanWhatTheySay(leader, standbys);
    const m = await s().terminateLeader();
    process.stdout.write(`      SIGTERM: ${JSON.stringify(m)}\n`);
    await s().burstFor(50);
    await s().assertConverged(await s().stopBurst());
  });
});
