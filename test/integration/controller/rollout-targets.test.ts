// Rollout targets against real etcd and the simulator: checked from the first sync, watched so that a
// target created, deleted or recreated later is noticed at once, and never restarted for content it
// started with.
import { strict as assert } from 'node:assert';
import type { PrefixSyncSpec } from '../../../src/api/index.js';
import type { TestEnv } from './support.js';
import { mountingPodSpec, templateHashOf, useTestEnv, waitFor } from './support.js';

/**
 * How long a change of a workload may take to reach the PrefixSync's status. Far below the 10-minute
 * resync: only the workload informer can make it, yet generous for a loaded 2-core machine.
 */
const WATCH_MS = 20_000;

describe('PrefixSync rollout targets (real etcd + simulator)', function () {
  this.timeout(90_000);
  let env: TestEnv;

  useTestEnv(async (e) => {
    env = e;
    await env.startManager();
  });

  /**
   * A namespace with PrefixSync `app` of its own prefix (key `k` = `1`) into ConfigMap `cfg`;
   * `before` runs in the namespace before the PrefixSync is created.
   */
  async function app(
    rollout: PrefixSyncSpec['rollout'],
    before: (ns: string) => Promise<void> = () => Promise.resolve(),
  ): Promise<{ ns: string; prefix: string }> {
    const ns = await env.namespace();
    const prefix = `/${ns}/`;
    await env.put(`${prefix}k`, '1');
    await before(ns);
    await env.createPrefixSync(ns, 'app', {
      sourceRef: { name: 'main' },
      prefix,
      target: { name: 'cfg' },
      debounce: '0s',
      rollout,
    });
    return { ns, prefix };
  }

  const rolledOut = (ns: string): Promise<string | undefined> => env.condition(ns, 'app', 'RolledOut');

  async function syncedAt(ns: string, revision: bigint): Promise<boolean> {
    return (await env.prefixSync(ns, 'app'))?.status?.syncedRevision === revision.toString();
  }

  describe('mode targets', () => {
    it('reports a missing target from the first sync; one created later starts with the content and is rolled only by a later change', async () => {
      const { ns, prefix } = await app({ mode: 'targets', targets: [{ kind: 'Deployment', name: 'later' }] });

      // (a) The first sync: no content change is needed for the missing target to show.
      const first = await waitFor('first sync', async () => {
        const p = await env.prefixSync(ns, 'app');
        return p?.status?.syncedRevision ? p : undefined;
      });
      const byType = Object.fromEntries(
        (first.status?.conditions ?? []).map((c) => [c.type, `${c.status}/${c.reason}`]),
      );
      assert.deepEqual(byType, {
        Ready: 'False/TargetNotFound',
        Synced: 'True/Synced',
        RolledOut: 'False/TargetNotFound',
      });
      assert.match(
        first.status?.conditions?.find((c) => c.type === 'RolledOut')?.message ?? '',
        /not found in .*: Deployment later \(the ConfigMap is synced/,
      );
      assert.equal(
        (await env.configMap(ns, 'cfg'))?.data?.['k'],
        '1',
        'the ConfigMap is written all the same',
      );

      // (b) Created later: noticed without a force-sync, and not restarted (it started with the content).
      await env.createDeployment(ns, 'later', mountingPodSpec('cfg'));
      await waitFor('RolledOut True', async () => (await rolledOut(ns))?.startsWith('True/'), WATCH_MS);
      assert.equal(await env.condition(ns, 'app'), 'True/Synced');
      let later = await env.deployment(ns, 'later');
      assert.equal(templateHashOf(later), undefined, 'the new Deployment was restarted');
      assert.equal(later.metadata?.generation, 1);

      // (c) A later change in etcd rolls it.
      const rev = await env.put(`${prefix}k`, '2');
      await waitFor(
        'rolled',
        async () =>
          (await syncedAt(ns, rev)) && templateHashOf(await env.deployment(ns, 'later')) !== undefined,
      );
      const psync = await env.prefixSync(ns, 'app');
      later = await env.deployment(ns, 'later');
      assert.equal(templateHashOf(later), psync?.status?.contentHash);
      assert.equal(later.metadata?.generation, 2);
      await waitFor('rolled out', async () => (await rolledOut(ns)) === 'True/RolledOut');
    });

    it('notices a target deleted while nothing changes, and a recreated one is not restarted', async () => {
      const { ns, prefix } = await app(
        { mode: 'targets', targets: [{ kind: 'Deployment', name: 'web' }] },
        (n) => env.createDeployment(n, 'web', mountingPodSpec('cfg')),
      );
      await waitFor('first sync', async () => (await rolledOut(ns)) === 'True/InitialSync');
      const rev = await env.put(`${prefix}k`, '2');
      await waitFor(
        'rolled',
        async () => (await syncedAt(ns, rev)) && (await rolledOut(ns)) === 'True/RolledOut',
      );

      // Healthy and quiet: no retry is pending and the resync is 10 minutes away; only the watch can tell.
      await env.apps.deleteNamespacedDeployment({ namespace: ns, name: 'web' });
      await waitFor('TargetNotFound', async () => (await rolledOut(ns)) === 'False/TargetNotFound', WATCH_MS);
      assert.equal(await env.condition(ns, 'app'), 'False/TargetNotFound');

      await env.createDeployment(ns, 'web', mountingPodSpec('cfg'));
      await waitFor('RolledOut True', async () => (await rolledOut(ns))?.startsWith('True/'), WATCH_MS);
      const web = await env.deployment(ns, 'web');
      assert.equal(templateHashOf(web), undefined, 'the recreated Deployment was restarted');
      assert.equal(web.metadata?.generation, 1);
    });
  });

  describe('mode auto', () => {
    it('a Deployment created after the content was published that mounts the ConfigMap is not restarted', async () => {
      const { ns, prefix } = await app({ mode: 'auto' });
      await waitFor('first sync', async () => (await rolledOut(ns)) === 'True/InitialSync');

      await env.createDeployment(ns, 'web', mountingPodSpec('cfg'));
      // Same content at a new revision: a sync that sees the Deployment, with nothing due.
      const same = await env.put(`${prefix}k`, '1');
      await waitFor('synced again', () => syncedAt(ns, same));
      assert.equal(await rolledOut(ns), 'True/InitialSync');
      let web = await env.deployment(ns, 'web');
      assert.equal(templateHashOf(web), undefined, 'the new Deployment was restarted');
      assert.equal(web.metadata?.generation, 1);

      // It is one of the workloads the next change rolls.
      const rev = await env.put(`${prefix}k`, '2');
      await waitFor(
        'rolled',
        async () =>
          (await syncedAt(ns, rev)) && templateHashOf(await env.deployment(ns, 'web')) !== undefined,
      );
      web = await env.deployment(ns, 'web');
      assert.equal(templateHashOf(web), (await env.prefixSync(ns, 'app'))?.status?.contentHash);
      await waitFor('rolled out', async () => (await rolledOut(ns)) === 'True/RolledOut');
    });
  });
});
