// Rollouts that watch their result, against real etcd and the simulator's workload controllers: a
// rollout is followed until the workload runs the content; one that does not come up fails (Halt) or
// is rolled back to the last good content (Rollback), which is then held until etcd changes again;
// two PrefixSyncs on one workload each roll it once per change of their own; minInterval bounds
// restarts; a target that does not use the ConfigMap is never restarted.
import { strict as assert } from 'node:assert';
import type { V1PodSpec } from '@kubernetes/client-node';
import { CONFIG_HASH_ANNOTATION, type PrefixSyncSpec } from '../../../src/api/index.js';
import { FAIL_WHEN_ANNOTATION } from '../../../src/envtest/index.js';
import type { TestEnv } from './support.js';
import { mountingPodSpec, templateHashOf, useTestEnv, waitFor } from './support.js';

describe('PrefixSync rollouts that watch their result (real etcd + simulator)', function () {
  this.timeout(120_000);
  let env: TestEnv;

  useTestEnv(async (e) => {
    env = e;
    await env.startManager();
  });

  /** A Deployment `web` that mounts `cfg` and whose rollouts fail while `cfg` holds `mode=broken`. */
  async function fragileWeb(ns: string, podSpec: V1PodSpec = mountingPodSpec('cfg')): Promise<void> {
    await env.apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: 'web', annotations: { [FAIL_WHEN_ANNOTATION]: 'mode=broken' } },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'web' } },
          template: { metadata: { labels: { app: 'web' } }, spec: podSpec },
        },
      },
    });
  }

  /** PrefixSync `app` of a fresh namespace's prefix with `mode=ok`, rolling Deployment web. */
  async function app(rollout: PrefixSyncSpec['rollout']): Promise<{ ns: string; prefix: string }> {
    const ns = await env.namespace();
    const prefix = `/${ns}/`;
    await env.put(`${prefix}mode`, 'ok');
    await fragileWeb(ns);
    await env.createPrefixSync(ns, 'app', {
      sourceRef: { name: 'main' },
      prefix,
      target: { name: 'cfg' },
      debounce: '0s',
      rollout,
    });
    await waitFor(
      'first sync',
      async () => (await env.condition(ns, 'app', 'RolledOut')) === 'True/InitialSync',
    );
    return { ns, prefix };
  }

  const conditions = async (ns: string, name = 'app'): Promise<Record<string, string>> =>
    Object.fromEntries(
      ((await env.prefixSync(ns, name))?.status?.conditions ?? []).map((c) => [
        c.type,
        `${c.status}/${c.reason}`,
      ]),
    );

  it('follows a good rollout: Progressing, then RolledOut once the Deployment has its replicas available', async () => {
    const { ns, prefix } = await app({ mode: 'targets', targets: [{ kind: 'Deployment', name: 'web' }] });
    const rev = await env.put(`${prefix}mode`, 'fast');
    const seen = new Set<string>();
    await waitFor('rolled out', async () => {
      const c = (await conditions(ns))['RolledOut'] ?? '';
      seen.add(c);
      return c === 'True/RolledOut';
    });
    assert.ok(seen.has('Unknown/Progressing'), `RolledOut went ${[...seen].join(' → ')}`);
    const psync = await env.prefixSync(ns, 'app');
    assert.equal(psync?.status?.rollout?.phase, 'Complete');
    assert.equal(psync?.status?.rollout?.revision, rev.toString());
    const web = await env.deployment(ns, 'web');
    assert.equal(web.status?.availableReplicas, 2);
    assert.equal(web.status?.updatedReplicas, 2);
    assert.equal(templateHashOf(web), psync?.status?.contentHash);
    assert.ok(
      (await env.events(ns, 'app')).some((e) => e.startsWith('Normal/RolledOut: Deployment web runs')),
    );
  });

  it('Halt: a rollout that does not come up within progressDeadline is RolloutFailed naming the workload; nothing is undone', async () => {
    const { ns, prefix } = await app({
      mode: 'targets',
      targets: [{ kind: 'Deployment', name: 'web' }],
      progressDeadline: '3s',
    });
    await env.put(`${prefix}mode`, 'broken');
    await waitFor('failed', async () => (await conditions(ns))['RolledOut'] === 'False/RolloutFailed');
    const psync = await env.prefixSync(ns, 'app');
    const message = psync?.status?.conditions?.find((c) => c.type === 'RolledOut')?.message ?? '';
    assert.match(message, /did not complete within the progress deadline \(3s\): Deployment web: /);
    assert.equal(psync?.status?.rollout?.phase, 'Failed');
    const cm = await env.configMap(ns, 'cfg');
    assert.equal(cm?.data?.['mode'], 'broken', 'Halt leaves the content');
    // As docs/crd-reference.md says: contentHash stays at the new content the ConfigMap holds.
    assert.equal(psync?.status?.contentHash, cm?.metadata?.annotations?.['etcdconfig.dev/content-hash']);
    assert.equal(psync?.status?.rollout?.contentHash, psync?.status?.contentHash);
    assert.equal((await conditions(ns))['Ready'], 'False/RolloutFailed');
  });

  it("fails at once on the Deployment's own ProgressDeadlineExceeded", async () => {
    const ns = await env.namespace();
    const prefix = `/${ns}/`;
    await env.put(`${prefix}mode`, 'ok');
    await env.apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: 'web', annotations: { [FAIL_WHEN_ANNOTATION]: 'mode=broken' } },
        spec: {
          replicas: 1,
          progressDeadlineSeconds: 2,
          selector: { matchLabels: { app: 'web' } },
          template: { metadata: { labels: { app: 'web' } }, spec: mountingPodSpec('cfg') },
        },
      },
    });
    await env.createPrefixSync(ns, 'app', {
      sourceRef: { name: 'main' },
      prefix,
      target: { name: 'cfg' },
      debounce: '0s',
      rollout: { mode: 'auto' },
    });
    await waitFor('first sync', async () => (await conditions(ns))['RolledOut'] === 'True/InitialSync');
    await env.put(`${prefix}mode`, 'broken');
    await waitFor('failed', async () => (await conditions(ns))['RolledOut'] === 'False/RolloutFailed');
    const message =
      (await env.prefixSync(ns, 'app'))?.status?.conditions?.find((c) => c.type === 'RolledOut')?.message ??
      '';
    assert.match(message, /Deployment web exceeded its progress deadline/);
  });

  it('Rollback: a bad value is rolled back by itself — ConfigMap and pod template on the last good content, etcd untouched — then a fixed value rolls forward', async () => {
    const { ns, prefix } = await app({
      mode: 'targets',
      targets: [{ kind: 'Deployment', name: 'web' }],
      progressDeadline: '3s',
      onFailure: 'Rollback',
    });
    const good = await env.prefixSync(ns, 'app');
    const goodHash = good?.status?.contentHash ?? '';
    assert.equal(good?.status?.lastGood?.contentHash, goodHash, 'the first sync is the last good content');

    const badRev = await env.put(`${prefix}mode`, 'broken');
    // etcd no longer holds the good revision: the rollback must not need it.
    await env.etcdClient.kv.compact(badRev);
    await waitFor('rolled back', async () => (await conditions(ns))['Synced'] === 'False/RolledBack');
    const held = await env.prefixSync(ns, 'app');
    assert.equal(held?.status?.rolledBack?.revision, badRev.toString());
    assert.deepEqual(held?.status?.rolledBack?.changedKeys, ['mode']);
    assert.equal(held?.status?.contentHash, goodHash);
    const synced = held?.status?.conditions?.find((c) => c.type === 'Synced')?.message ?? '';
    assert.match(synced, new RegExp(`because the rollout of revision ${badRev} failed: .*Deployment web`));
    assert.match(synced, /it changed mode/);
    assert.equal((await env.configMap(ns, 'cfg'))?.data?.['mode'], 'ok', 'the ConfigMap is restored');
    assert.equal(
      (await env.etcdClient.kv.get(`${prefix}mode`))?.value.toString(),
      'broken',
      'etcd is untouched',
    );
    // The pod template goes back to the good hash, and that rollout is followed to completion.
    await waitFor(
      'rollback rolled out',
      async () => (await conditions(ns))['RolledOut'] === 'True/RolledOut',
    );
    assert.equal(templateHashOf(await env.deployment(ns, 'web')), goodHash);
    const events = await env.events(ns, 'app');
    assert.ok(
      events.some(
        (e) =>
          e.startsWith(`Warning/RolledBack: rolled back to revision`) &&
          e.includes(`revision ${badRev} failed`),
      ),
      events.join('\n'),
    );
    assert.equal((await conditions(ns))['Ready'], 'False/RolledBack');

    // Held: a resync of the same bad content changes nothing.
    const generation = (await env.deployment(ns, 'web')).metadata?.generation;
    await env.patchPrefixSync(ns, 'app', { metadata: { labels: { poke: '1' } } });
    await waitFor('still held', async () => (await conditions(ns))['Synced'] === 'False/RolledBack');
    assert.equal((await env.deployment(ns, 'web')).metadata?.generation, generation);

    // A fixed value is tried: it rolls forward and clears the hold.
    const fixedRev = await env.put(`${prefix}mode`, 'fixed');
    await waitFor('rolled forward', async () => {
      const p = await env.prefixSync(ns, 'app');
      const c = await conditions(ns);
      return p?.status?.syncedRevision === fixedRev.toString() && c['Ready'] === 'True/Synced';
    });
    const after = await env.prefixSync(ns, 'app');
    assert.equal(after?.status?.rolledBack, undefined);
    assert.equal(after?.status?.lastGood?.contentHash, after?.status?.contentHash);
    assert.equal((await env.configMap(ns, 'cfg'))?.data?.['mode'], 'fixed');
  });

  it('Rollback: the force-sync annotation tries the held revision again', async () => {
    const { ns, prefix } = await app({
      mode: 'targets',
      targets: [{ kind: 'Deployment', name: 'web' }],
      progressDeadline: '3s',
      onFailure: 'Rollback',
    });
    await env.put(`${prefix}mode`, 'broken');
    await waitFor('rolled back', async () => (await conditions(ns))['Synced'] === 'False/RolledBack');
    await waitFor('rollback done', async () => (await conditions(ns))['RolledOut'] === 'True/RolledOut');
    // The workload is fixed (no longer fails on it); a force-sync retries the same content.
    const res = await fetch(`${env.sim.url}/apis/apps/v1/namespaces/${ns}/deployments/web`, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/merge-patch+json' },
      body: JSON.stringify({ metadata: { annotations: { [FAIL_WHEN_ANNOTATION]: null } } }),
    });
    assert.equal(res.status, 200);
    await env.patchPrefixSync(ns, 'app', {
      metadata: { annotations: { 'etcdconfig.dev/force-sync': 'retry-1' } },
    });
    await waitFor('retried and rolled', async () => {
      const c = await conditions(ns);
      return c['Synced'] === 'True/Synced' && c['RolledOut'] === 'True/RolledOut';
    });
    assert.equal((await env.configMap(ns, 'cfg'))?.data?.['mode'], 'broken');
  });

  it('two PrefixSyncs on one Deployment: each change of either is exactly one rollout, and both report their own truth', async () => {
    const ns = await env.namespace();
    await env.put(`/${ns}/a/k`, '1');
    await env.put(`/${ns}/b/k`, '1');
    const podSpec: V1PodSpec = {
      containers: [
        {
          name: 'app',
          image: 'nginx',
          envFrom: [{ configMapRef: { name: 'cfg-a' } }, { configMapRef: { name: 'cfg-b' } }],
        },
      ],
    };
    await env.createDeployment(ns, 'web', podSpec);
    for (const name of ['a', 'b']) {
      await env.createPrefixSync(ns, name, {
        sourceRef: { name: 'main' },
        prefix: `/${ns}/${name}/`,
        target: { name: `cfg-${name}` },
        debounce: '0s',
        rollout: { mode: 'targets', targets: [{ kind: 'Deployment', name: 'web' }] },
      });
    }
    const bothRolled = async (): Promise<boolean> =>
      (await conditions(ns, 'a'))['RolledOut']?.startsWith('True/') === true &&
      (await conditions(ns, 'b'))['RolledOut']?.startsWith('True/') === true;
    await waitFor('first syncs', bothRolled);
    const g0 = (await env.deployment(ns, 'web')).metadata?.generation ?? 0;
    for (const [i, name] of ['a', 'b', 'a'].entries()) {
      const rev = await env.put(`/${ns}/${name}/k`, `v${i}`);
      await waitFor(`change ${i} rolled`, async () => {
        const p = await env.prefixSync(ns, name);
        return (
          p?.status?.syncedRevision === rev.toString() &&
          (await conditions(ns, name))['RolledOut'] === 'True/RolledOut'
        );
      });
      await waitFor('both rolled out', bothRolled);
      assert.equal(
        (await env.deployment(ns, 'web')).metadata?.generation,
        g0 + i + 1,
        `change ${i}: one rollout`,
      );
    }
    const web = await env.deployment(ns, 'web');
    const a = await env.prefixSync(ns, 'a');
    const b = await env.prefixSync(ns, 'b');
    assert.equal(templateHashOf(web, 'a'), a?.status?.contentHash);
    assert.equal(templateHashOf(web, 'b'), b?.status?.contentHash);
    const summary = web.spec?.template.metadata?.annotations?.[CONFIG_HASH_ANNOTATION];
    assert.ok(
      summary && summary !== a?.status?.contentHash && summary !== b?.status?.contentHash,
      'the summary covers both',
    );
  });

  it('rollout.minInterval: a flapping key is written at once but rolls the workload at most once per interval, ending on the last content', async () => {
    const { ns, prefix } = await app({
      mode: 'targets',
      targets: [{ kind: 'Deployment', name: 'web' }],
      minInterval: '2s',
    });
    const g0 = (await env.deployment(ns, 'web')).metadata?.generation ?? 0;
    const started = Date.now();
    let last = 0n;
    for (let i = 0; i < 30; i++) last = await env.put(`${prefix}flap`, String(i));
    const elapsedS = (Date.now() - started) / 1000;
    await waitFor(
      'last content written',
      async () => (await env.configMap(ns, 'cfg'))?.data?.['flap'] === '29',
    );
    await waitFor('last content rolled out', async () => {
      const p = await env.prefixSync(ns, 'app');
      const web = await env.deployment(ns, 'web');
      return (
        p?.status?.syncedRevision === last.toString() &&
        templateHashOf(web) === p.status.contentHash &&
        (await conditions(ns))['RolledOut'] === 'True/RolledOut'
      );
    });
    const rollouts = ((await env.deployment(ns, 'web')).metadata?.generation ?? 0) - g0;
    // One at the first change, one per 2 s while the puts lasted, one for the last content.
    assert.ok(
      rollouts >= 1 && rollouts <= Math.ceil(elapsedS / 2) + 2,
      `${rollouts} rollouts for 30 puts in ${elapsedS}s`,
    );
  });

  it('a tenant flipping the prefix 20 times restarts nothing that does not consume the ConfigMap (TargetNotConsumer)', async () => {
    const ns = await env.namespace();
    await env.put(`/${ns}/one/k`, '1');
    await env.put(`/${ns}/two/k`, '2');
    await env.createDeployment(ns, 'bystander', { containers: [{ name: 'app', image: 'nginx' }] });
    const spec = (prefix: string): PrefixSyncSpec => ({
      sourceRef: { name: 'main' },
      prefix,
      target: { name: 'cfg' },
      debounce: '0s',
      rollout: { mode: 'targets', targets: [{ kind: 'Deployment', name: 'bystander' }] },
    });
    await env.createPrefixSync(ns, 'app', spec(`/${ns}/one/`));
    await waitFor(
      'TargetNotConsumer',
      async () => (await conditions(ns))['RolledOut'] === 'False/TargetNotConsumer',
    );
    for (let i = 0; i < 20; i++) {
      const prefix = `/${ns}/${i % 2 === 0 ? 'two' : 'one'}/`;
      await env.patchPrefixSync(ns, 'app', { spec: { prefix } });
      const want = i % 2 === 0 ? '2' : '1';
      await waitFor(`flip ${i} synced`, async () => (await env.configMap(ns, 'cfg'))?.data?.['k'] === want);
    }
    const bystander = await env.deployment(ns, 'bystander');
    assert.equal(bystander.metadata?.generation, 1, 'the bystander was restarted');
    assert.equal(templateHashOf(bystander), undefined);
    const message =
      (await env.prefixSync(ns, 'app'))?.status?.conditions?.find((c) => c.type === 'RolledOut')?.message ??
      '';
    assert.match(message, /Deployment bystander does not use ConfigMap cfg/);
  });

  it('an upgrade from the single config-hash annotation restarts nothing; the next change rolls once, with both annotations', async () => {
    const { ns, prefix } = await app({ mode: 'targets', targets: [{ kind: 'Deployment', name: 'web' }] });
    const hash = (await env.prefixSync(ns, 'app'))?.status?.contentHash ?? '';
    // What an earlier release left: only the single annotation, carrying the current hash.
    const res = await fetch(`${env.sim.url}/apis/apps/v1/namespaces/${ns}/deployments/web`, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/merge-patch+json' },
      body: JSON.stringify({
        spec: { template: { metadata: { annotations: { [CONFIG_HASH_ANNOTATION]: hash } } } },
      }),
    });
    assert.equal(res.status, 200);
    await env.closeManagers();
    const g0 = (await env.deployment(ns, 'web')).metadata?.generation;
    await env.startManager();
    await env.patchPrefixSync(ns, 'app', {
      metadata: { annotations: { 'etcdconfig.dev/force-sync': 'after-upgrade' } },
    });
    await waitFor(
      'resynced after the upgrade',
      async () => (await conditions(ns))['Ready'] === 'True/Synced',
    );
    assert.equal(
      (await env.deployment(ns, 'web')).metadata?.generation,
      g0,
      'the upgrade restarted the workload',
    );
    await env.put(`${prefix}mode`, 'next');
    await waitFor(
      'rolled',
      async () =>
        (await conditions(ns))['RolledOut'] === 'True/RolledOut' &&
        (await env.deployment(ns, 'web')).metadata?.generation !== g0,
    );
    const web = await env.deployment(ns, 'web');
    assert.equal(web.metadata?.generation, (g0 ?? 0) + 1, 'one rollout');
    const now = (await env.prefixSync(ns, 'app'))?.status?.contentHash;
    assert.equal(templateHashOf(web), now);
    assert.equal(web.spec?.template.metadata?.annotations?.[CONFIG_HASH_ANNOTATION], now);
  });
});
