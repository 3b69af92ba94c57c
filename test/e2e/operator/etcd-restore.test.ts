import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { etcdVersionsUnderTest } from '../../../src/envtest/index.js';
import { useOperatorEnv } from '../support/mocha-hooks.js';
import type { OperatorEnv } from '../support/operator-env.js';
import {
  newTenant,
  rolloutState,
  specFor,
  waitForCondition,
  waitForExactSync,
  type Tenant,
} from '../support/scenario.js';
import { waitFor } from '../support/wait.js';

/** "Within seconds, not at the next resync" (10 min): generous for a loaded 2-core machine. */
const FOLLOW_RESTORE_MS = 20_000;
/**
 * An outage and a recovery are seen at once (connectivity change, fail-fast probe): ~0.3 s measured;
 * the bound leaves room for a loaded machine while staying under the 10 s periodic probe.
 */
const OUTAGE_MS = 8_000;

/**
 * Two tenants synced, a backup taken, then A changes for good while B changes and changes back (same
 * content as in the backup, at a higher revision). Returns what both looked like before the restore.
 */
async function changedSinceBackup(env: OperatorEnv, backup: string) {
  const a = await newTenant(env, 'ra');
  const b = await newTenant(env, 'rb');
  const kv = env.etcdClient.kv;
  await kv.put(`${a.prefix}mode`, 'safe');
  await kv.put(`${b.prefix}x`, '1');
  for (const t of [a, b]) {
    await env.kube.createDeployment(t.namespace, t.deployment, t.configMap);
    await env.kube.createPrefixSync(t.namespace, t.prefixSync, specFor(t));
  }
  const backedUpA = await waitForExactSync(env, a);
  await waitForExactSync(env, b);
  await env.etcd.snapshotSave(backup);

  await kv.put(`${a.prefix}mode`, 'fast');
  await kv.put(`${a.prefix}extra`, 'yes');
  await kv.put(`${b.prefix}x`, '2');
  await waitForExactSync(env, b);
  const last = await kv.put(`${b.prefix}x`, '1');
  const before = {
    a: await waitForExactSync(env, a),
    b: await waitForExactSync(env, b, { exactRevision: last.revision }),
    rolloutA: await rolloutState(env, a),
    rolloutB: await rolloutState(env, b),
  };
  assert.equal(before.a.configMap.data?.['mode'], 'fast');
  return { a, b, backedUpHashA: backedUpA.prefixSync.status?.contentHash, before };
}

/** What a user sees once the operator has followed the restore, for both tenants. */
async function assertFollowed(
  env: OperatorEnv,
  s: Awaited<ReturnType<typeof changedSinceBackup>>,
  restoredRevision: bigint,
): Promise<void> {
  const afterA = await waitForExactSync(env, s.a, {
    exactRevision: restoredRevision,
    timeoutMs: FOLLOW_RESTORE_MS,
  });
  assert.deepEqual(afterA.configMap.data, { mode: 'safe' }, 'A holds the restored content');
  assert.equal(afterA.prefixSync.status?.contentHash, s.backedUpHashA);
  const afterB = await waitForExactSync(env, s.b, {
    exactRevision: restoredRevision,
    timeoutMs: FOLLOW_RESTORE_MS,
  });
  assert.deepEqual(afterB.configMap.data, { x: '1' });

  // A's content changed back: rolled (to the backed-up hash); B's content is what it was: not rolled.
  const rolledA = await waitFor('A rolled back to the backed-up content', async () => {
    const r = await rolloutState(env, s.a);
    return r.hash === s.backedUpHashA ? r : `config-hash ${r.hash}, want ${s.backedUpHashA}`;
  });
  assert.ok(rolledA.generation > s.before.rolloutA.generation);
  const rolloutB = await rolloutState(env, s.b);
  assert.equal(rolloutB.generation, s.before.rolloutB.generation, 'B was not restarted: same content');
  assert.equal(rolloutB.hash, s.before.rolloutB.hash);

  // Said loudly: an Event on each PrefixSync naming both revisions, and one on each source.
  for (const [t, from] of [
    [s.a, s.before.a.revision],
    [s.b, s.before.b.revision],
  ] as [Tenant, bigint][]) {
    await waitFor(`an EtcdRevisionWentBack Event on PrefixSync ${t.namespace}/${t.prefixSync}`, async () => {
      const events = await env.kube.eventsOf('PrefixSync', t.prefixSync, t.namespace);
      const wanted = `etcd went back from revision ${from} to ${restoredRevision}`;
      return events.some((e) => e.startsWith('Warning/EtcdRevisionWentBack: ') && e.includes(wanted))
        ? true
        : `events: ${events.join(' | ')}`;
    });
    await waitFor(`an EtcdRevisionWentBack Event on ClusterEtcdSource ${t.source}`, async () => {
      const events = await env.kube.eventsOf('ClusterEtcdSource', t.source);
      return events.some(
        (e) => e.startsWith('Warning/EtcdRevisionWentBack: ') && e.includes(`to ${restoredRevision}`),
      )
        ? true
        : `events: ${events.join(' | ')}`;
    });
    const sourceEvents = await env.kube.eventsOf('ClusterEtcdSource', t.source);
    assert.equal(
      sourceEvents.filter((e) => e.includes('EtcdRevisionWentBack')).length,
      1,
      `one restore, one Event on the source: ${sourceEvents.join(' | ')}`,
    );
    await waitFor(`ClusterEtcdSource ${t.source} status to show the restored revision`, async () => {
      const revision = (await env.kube.getSource(t.source))?.status?.revision;
      return revision !== undefined && BigInt(revision) <= restoredRevision ? true : `revision ${revision}`;
    });
  }
  assert.match(
    env.operatorLog,
    /"level":"warn".*etcd revision went back|etcd revision went back.*"level":"warn"/,
  );
}

for (const etcd of etcdVersionsUnderTest()) {
  describe(`operator e2e: etcd restored from a backup (etcd ${etcd.version})`, function () {
    this.timeout(240_000);
    const e = useOperatorEnv({ etcd });

    it('follows a restore under a running operator within seconds: restored content, lower revision, Events, rollouts only where content changed', async () => {
      const backup = join(e().dir, 'running.db');
      const s = await changedSinceBackup(e(), backup);
      await e().etcd.restore(backup);
      const restoredRevision = await e().etcdRevision();
      assert.ok(restoredRevision < s.before.a.revision, `etcd went back to ${restoredRevision}`);
      await assertFollowed(e(), s, restoredRevision);
    });

    it('follows a restore made while the operator was stopped', async () => {
      const backup = join(e().dir, 'stopped.db');
      const s = await changedSinceBackup(e(), backup);
      await e().operator!.kill();
      await e().etcd.restore(backup);
      const restoredRevision = await e().etcdRevision();
      await e().startOperator();
      await assertFollowed(e(), s, restoredRevision);
    });
  });
}

describe('operator e2e: etcd outages and a replaced cluster', function () {
  this.timeout(240_000);
  const e = useOperatorEnv();

  it('reports a stopped etcd on the PrefixSync within seconds and recovers as fast (not at the next probe)', async () => {
    const t = await newTenant(e(), 'out');
    await e().etcdClient.kv.put(`${t.prefix}a`, '1');
    await e().kube.createPrefixSync(t.namespace, t.prefixSync, specFor(t, { rollout: { mode: 'none' } }));
    await waitForExactSync(e(), t);
    const member = e().etcd.members[0]!;
    const stoppedAt = Date.now();
    await member.kill('SIGKILL');
    try {
      await waitForCondition(
        e(),
        t.namespace,
        t.prefixSync,
        'Ready',
        'False',
        'SourceUnavailable',
        OUTAGE_MS,
      );
    } finally {
      await member.restart();
    }
    const downMs = Date.now() - stoppedAt;
    const restartedAt = Date.now();
    await waitForExactSync(e(), t, { timeoutMs: OUTAGE_MS });
    console.log(
      `      Ready=False ${downMs} ms after SIGKILL; Ready=True ${Date.now() - restartedAt} ms after restart`,
    );
  });

  it('follows a wiped etcd bootstrapped as another cluster: new content, and both cluster IDs named', async () => {
    const t = await newTenant(e(), 'wipe');
    const kv = e().etcdClient.kv;
    for (let i = 0; i < 5; i++) await kv.put(`${t.prefix}k${i}`, `old${i}`);
    await e().kube.createPrefixSync(t.namespace, t.prefixSync, specFor(t, { rollout: { mode: 'none' } }));
    const before = await waitForExactSync(e(), t);
    const clusterBefore = (await e().kube.getSource(t.source))?.status?.clusterId;
    await e().etcd.wipe({ newClusterToken: true });
    const written = await kv.put(`${t.prefix}fresh`, 'new cluster');
    assert.ok(written.revision < before.revision);
    const after = await waitForExactSync(e(), t, {
      exactRevision: written.revision,
      timeoutMs: FOLLOW_RESTORE_MS,
    });
    assert.deepEqual(after.configMap.data, { fresh: 'new cluster' });
    const clusterAfter = await waitFor('the source status to show the new cluster ID', async () => {
      const id = (await e().kube.getSource(t.source))?.status?.clusterId;
      // (a string result means "not yet" to waitFor: wrap the ID)
      return id !== undefined && id !== clusterBefore ? { id } : `clusterId ${id}`;
    });
    await waitFor('an Event on the source naming both cluster IDs', async () => {
      const events = await e().kube.eventsOf('ClusterEtcdSource', t.source);
      return events.some(
        (ev) =>
          ev.startsWith('Warning/EtcdRevisionWentBack: ') &&
          ev.includes(`cluster ID changed from ${clusterBefore} to ${clusterAfter.id}`),
      )
        ? true
        : `events: ${events.join(' | ')}`;
    });
  });
});
