import { strict as assert } from 'node:assert';
import { DeadlineExceededError, NoLeaderError, UnavailableError } from '../../../src/etcd/index.js';
import { useOperatorEnv } from '../support/mocha-hooks.js';
import { newTenant, specFor, waitForExactSync } from '../support/scenario.js';
import { waitFor } from '../support/wait.js';

describe('operator e2e: recovery from lost etcd and lost history', function () {
  this.timeout(180_000);
  const e = useOperatorEnv();

  it('converges to etcd’s exact state after changes and a compaction made while the operator was down', async () => {
    const t = await newTenant(e());
    const kv = e().etcdClient.kv;
    for (let i = 0; i < 20; i++) await kv.put(`${t.prefix}k${i}`, `v${i}`);
    await e().kube.createDeployment(t.namespace, t.deployment, t.configMap);
    await e().kube.createPrefixSync(t.namespace, t.prefixSync, specFor(t));
    await waitForExactSync(e(), t);

    await e().operator!.kill();
    for (let i = 0; i < 20; i += 2) await kv.delete({ key: `${t.prefix}k${i}` });
    for (let i = 0; i < 200; i++) await kv.put(`${t.prefix}k${i % 30}`, `changed-${i}`);
    const last = await kv.put(`${t.prefix}new`, 'added while down');
    await kv.compact(last.revision, { physical: true });

    await e().startOperator();
    const synced = await waitForExactSync(e(), t, { exactRevision: last.revision });
    assert.equal(synced.configMap.data?.['new'], 'added while down');
    assert.equal(synced.prefixSync.status?.keyCount, 31);
  });

  it('converges to etcd’s exact state after etcd is killed and restarted under a running operator', async () => {
    const t = await newTenant(e());
    const kv = e().etcdClient.kv;
    await kv.put(`${t.prefix}a`, '1');
    await kv.put(`${t.prefix}b`, '2');
    await e().kube.createDeployment(t.namespace, t.deployment, t.configMap);
    await e().kube.createPrefixSync(t.namespace, t.prefixSync, specFor(t));
    await waitForExactSync(e(), t);

    const member = e().etcd.members[0]!;
    await member.kill('SIGKILL');
    await member.restart();
    // The operator's watch must resume on the restarted member and see every later change.
    await kv.put(`${t.prefix}a`, 'after-restart');
    await kv.delete({ key: `${t.prefix}b` });
    const last = await kv.put(`${t.prefix}c`, '3');
    const synced = await waitForExactSync(e(), t, { exactRevision: last.revision });
    assert.deepEqual(synced.configMap.data, { a: 'after-restart', c: '3' });

    // And once more, with a compaction right after the restart, before further changes.
    await member.kill('SIGKILL');
    await member.restart();
    const more = await kv.put(`${t.prefix}d`, '4');
    await kv.compact(more.revision);
    const last2 = await kv.put(`${t.prefix}e`, '5');
    const synced2 = await waitForExactSync(e(), t, { exactRevision: last2.revision });
    assert.deepEqual(synced2.configMap.data, { a: 'after-restart', c: '3', d: '4', e: '5' });
  });
});

describe('operator e2e: recovery under a stalled operator and a lost etcd member', function () {
  this.timeout(180_000);
  const e = useOperatorEnv({ etcdMembers: 3 });

  it('converges after the operator was frozen (SIGSTOP) through 2 MB of changes and a compaction', async () => {
    const t = await newTenant(e());
    const kv = e().etcdClient.kv;
    await kv.put(`${t.prefix}a`, '1');
    await e().kube.createPrefixSync(t.namespace, t.prefixSync, specFor(t, { rollout: { mode: 'none' } }));
    await waitForExactSync(e(), t);

    // Frozen, the operator reads nothing: etcd's send buffers for its watch fill up, so the watch falls
    // behind; compacting then can cut its history away. Either way, the result must be exact.
    e().operator!.pause();
    let last = 0n;
    try {
      const value = 'x'.repeat(1024);
      for (let i = 0; i < 2000; i += 100) {
        const puts = Array.from({ length: 100 }, (_, j) =>
          kv.put(`${t.prefix}k${(i + j) % 50}`, `${i + j}:${value}`),
        );
        for (const r of await Promise.all(puts)) if (r.revision > last) last = r.revision;
      }
      await kv.delete({ key: `${t.prefix}a` });
      last = (await kv.put(`${t.prefix}final`, 'yes')).revision;
      await kv.compact(last, { physical: true });
    } finally {
      e().operator!.resume();
    }
    const synced = await waitForExactSync(e(), t, { exactRevision: last });
    assert.equal(synced.configMap.data?.['final'], 'yes');
    assert.equal(synced.prefixSync.status?.keyCount, 51);
    const path = /prefix mirror resynced|compact/i.test(e().operatorLog)
      ? 'the watch was compacted away: resynced'
      : 'the watch kept up';
    console.log(`      after SIGCONT: ${path}`);
  });

  it('keeps syncing when the etcd member the operator uses is killed (3-member cluster)', async () => {
    const t = await newTenant(e());
    const kv = e().etcdClient.kv;
    await kv.put(`${t.prefix}a`, '1');
    await e().kube.createPrefixSync(t.namespace, t.prefixSync, specFor(t, { rollout: { mode: 'none' } }));
    await waitForExactSync(e(), t);
    // The operator dials the first endpoint of the source first; kill that member.
    const first = e().etcd.members[0]!;
    await first.kill('SIGKILL');
    try {
      // If the killed member led, the cluster elects another leader first; the test's own write waits
      // for that (a write is never retried by the client, since it may have been applied).
      const put = await waitFor('a write to the surviving members', async () => {
        try {
          return await kv.put(`${t.prefix}a`, 'after the member died');
        } catch (err) {
          if (
            err instanceof UnavailableError ||
            err instanceof NoLeaderError ||
            err instanceof DeadlineExceededError
          )
            return `${err.name}: ${err.message}`;
          throw err;
        }
      });
      const synced = await waitForExactSync(e(), t, { exactRevision: put.revision });
      assert.equal(synced.configMap.data?.['a'], 'after the member died');
    } finally {
      await first.restart();
    }
  });
});
