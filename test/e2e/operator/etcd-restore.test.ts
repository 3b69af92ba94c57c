import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { etcdVersionsUnderTest } from '../../../src/envtest/index.js';
import { useOperatorEnv } from '../support/mocha-hooks.js';
import type { OperatorEnv } from '../support/operator-env.js';
import { newTenant, rolloutState, specFor, waitForExactSync, type Tenant } from '../support/scenario.js';
import { waitFor } from '../support/wait.js';

/** "Within seconds, not at the next resync" (10 min): generous for a loaded 2-core machine. */
const FOLLOW_RESTORE_MS = 20_000;

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
