// The PrefixSync controller in-process against real etcd and the simulator (through client-node).
import { strict as assert } from 'node:assert';
import type { PrefixSyncSpec } from '../../../src/api/index.js';
import type { Manager } from '../../../src/operator/index.js';
import type { TestEnv } from './support.js';
import { useTestEnv, mountingPodSpec, templateHashOf, waitFor } from './support.js';
import { openMirrors } from '../../support/metrics.js';

describe('PrefixSync controller (real etcd + simulator)', function () {
  this.timeout(60_000);
  let env: TestEnv;
  let manager: Manager;

  useTestEnv(async (e) => {
    env = e;
    manager = await env.startManager();
  });

  /** A namespace and a prefix of its own. */
  async function fresh(): Promise<{ ns: string; prefix: string }> {
    const ns = await env.namespace();
    return { ns, prefix: `/${ns}/` };
  }

  /** Creates PrefixSync `app`: `prefix` of source `main` into ConfigMap `cfg`, no debounce; `spec` overrides. */
  async function createApp(ns: string, prefix: string, spec: Partial<PrefixSyncSpec> = {}): Promise<void> {
    await env.createPrefixSync(ns, 'app', {
      sourceRef: { name: 'main' },
      prefix,
      target: { name: 'cfg' },
      debounce: '0s',
      ...spec,
    });
  }

  async function syncedRevision(ns: string, name: string): Promise<string | undefined> {
    return (await env.prefixSync(ns, name))?.status?.syncedRevision;
  }

  describe('on create', () => {
    it('writes the ConfigMap, owned and labelled, and status at the revision of the snapshot', async () => {
      const { ns, prefix } = await fresh();
      await env.put(`${prefix}a`, '1');
      const rev = await env.put(`${prefix}sub/b`, 'two');
      await createApp(ns, prefix);

      const cm = await waitFor('ConfigMap cfg', () => env.configMap(ns, 'cfg'));
      assert.deepEqual({ ...cm.data }, { a: '1', 'sub.b': 'two' });
      assert.equal(cm.metadata?.labels?.['etcdconfig.dev/prefixsync'], 'app');
      assert.equal(cm.metadata?.labels?.['app.kubernetes.io/managed-by'], 'etcd-config-operator');
      const psync = await waitFor('status', async () => {
        const p = await env.prefixSync(ns, 'app');
        return p?.status?.syncedRevision ? p : undefined;
      });
      assert.deepEqual(
        cm.metadata?.ownerReferences?.map((r) => [r.kind, r.name, r.uid, r.controller]),
        [['PrefixSync', 'app', psync.metadata.uid, true]],
      );
      assert.equal(psync.status?.syncedRevision, rev.toString());
      assert.equal(psync.status?.keyCount, 2);
      assert.equal(psync.status?.byteCount, 4);
      assert.equal(psync.status?.observedGeneration, psync.metadata.generation);
      assert.equal(psync.status?.contentHash, cm.metadata?.annotations?.['etcdconfig.dev/content-hash']);
      const byType = Object.fromEntries(
        (psync.status?.conditions ?? []).map((c) => [c.type, `${c.status}/${c.reason}`]),
      );
      assert.deepEqual(byType, {
        Ready: 'True/Synced',
        Synced: 'True/Synced',
        RolledOut: 'True/RolloutDisabled',
      });
      assert.ok(psync.metadata.finalizers?.includes('etcdconfig.dev/configmap'));
      const events = await waitFor('Synced event', async () => {
        const list = await env.events(ns, 'app');
        return list.some((e) => e.startsWith('Normal/Synced')) ? list : undefined;
      });
      assert.ok(events.some((e) => e.includes('cfg')));
    });

    it('rolls nothing on the first sync, then exactly one rollout per change', async () => {
      const { ns, prefix } = await fresh();
      await env.put(`${prefix}a`, '1');
      await env.createDeployment(ns, 'web', mountingPodSpec('cfg'));
      await createApp(ns, prefix, {
        rollout: { mode: 'targets', targets: [{ kind: 'Deployment', name: 'web' }] },
      });
      await waitFor(
        'first sync',
        async () => (await env.condition(ns, 'app', 'RolledOut')) === 'True/InitialSync',
      );
      let web = await env.deployment(ns, 'web');
      assert.equal(web.metadata?.generation, 1, 'the first sync restarted the Deployment');
      assert.equal(templateHashOf(web), undefined);

      const rev = await env.put(`${prefix}a`, '2');
      await waitFor('rollout', async () => (await syncedRevision(ns, 'app')) === rev.toString());
      const psync = await env.prefixSync(ns, 'app');
      web = await env.deployment(ns, 'web');
      assert.equal(templateHashOf(web), psync?.status?.contentHash);
      assert.equal(web.metadata?.generation, 2);
      assert.deepEqual(psync?.status?.rolledOut, [
        { kind: 'Deployment', name: 'web', hash: psync?.status?.contentHash },
      ]);
      assert.ok(psync?.status?.lastRolloutTime);
      // RolledOut follows the Deployment (the simulator's controller) until its pods run the content.
      await waitFor(
        'rolled out',
        async () => (await env.condition(ns, 'app', 'RolledOut')) === 'True/RolledOut',
      );
      assert.equal(web.metadata?.generation, 2, 'followed, not patched again');

      // A forced fresh snapshot of unchanged content rolls nothing again. (The write elsewhere comes
      // first: only a fresh read, not the prefix's mirror, can report a revision at or after it.)
      const other = await env.put(`/unrelated-${ns}/x`, 'y');
      await env.patchPrefixSync(ns, 'app', {
        metadata: { annotations: { 'etcdconfig.dev/force-sync': '1' } },
      });
      await waitFor('forced sync', async () => BigInt((await syncedRevision(ns, 'app')) ?? '0') >= other);
      assert.equal((await env.deployment(ns, 'web')).metadata?.generation, 2);
    });

    it('does not roll anything when the operator restarts with unchanged content', async () => {
      const { ns, prefix } = await fresh();
      await env.put(`${prefix}a`, '1');
      await env.createDeployment(ns, 'web', mountingPodSpec('cfg'));
      await createApp(ns, prefix, { rollout: { mode: 'auto' } });
      await waitFor('first sync', async () => (await env.condition(ns, 'app')) === 'True/Synced');
      const rev = await env.put(`${prefix}a`, '2');
      await waitFor(
        'auto rollout recorded',
        async () =>
          templateHashOf(await env.deployment(ns, 'web')) !== undefined &&
          (await syncedRevision(ns, 'app')) === rev.toString(),
      );
      const before = await env.prefixSync(ns, 'app');

      // A write elsewhere moves etcd's revision: the restarted operator's fresh snapshot of the prefix
      // is taken at or after it, which is how we see that the new process has synced.
      const other = await env.put(`/unrelated-${ns}/x`, 'y');
      await env.closeManagers();
      manager = await env.startManager();
      await waitFor(
        'synced again after the restart',
        async () => BigInt((await syncedRevision(ns, 'app')) ?? '0') >= other,
      );
      const after = await env.prefixSync(ns, 'app');
      assert.equal(after?.status?.contentHash, before?.status?.contentHash);
      assert.equal(after?.status?.lastRolloutTime, before?.status?.lastRolloutTime);
      assert.equal(
        (await env.deployment(ns, 'web')).metadata?.generation,
        2,
        'the restart rolled the Deployment',
      );
    });
  });

  describe('debounce', () => {
    it('coalesces a burst of changes into one ConfigMap write and one rollout', async () => {
      const { ns, prefix } = await fresh();
      await env.put(`${prefix}n`, '0');
      await env.createDeployment(ns, 'web', mountingPodSpec('cfg'));
      await createApp(ns, prefix, {
        rollout: { mode: 'targets', targets: [{ kind: 'Deployment', name: 'web' }] },
        debounce: '1s',
      });
      await waitFor('first sync', async () => (await env.condition(ns, 'app')) === 'True/Synced');
      const cmVersion = (await env.configMap(ns, 'cfg'))?.metadata?.resourceVersion;
      let last = 0n;
      for (let i = 1; i <= 5; i++) last = await env.put(`${prefix}n`, String(i));
      await waitFor('burst synced', async () => (await syncedRevision(ns, 'app')) === last.toString());
      const cm = await env.configMap(ns, 'cfg');
      assert.equal(cm?.data?.['n'], '5');
      assert.equal(Number(cm?.metadata?.resourceVersion) > Number(cmVersion), true);
      assert.equal(
        (await env.deployment(ns, 'web')).metadata?.generation,
        2,
        'the burst rolled more than once',
      );
      const writes = (await env.events(ns, 'app')).filter((e) => e.startsWith('Normal/Synced'));
      assert.equal(
        writes.length,
        2,
        `one write for the first sync and one for the burst: ${writes.join(' | ')}`,
      );
    });
  });

  describe('bad input ends in a named condition and keeps the last good ConfigMap', () => {
    async function synced(ns: string, prefix: string, extra: Partial<PrefixSyncSpec> = {}): Promise<void> {
      await env.put(`${prefix}good`, 'ok');
      await createApp(ns, prefix, extra);
      await waitFor('first sync', async () => (await env.condition(ns, 'app')) === 'True/Synced');
    }
    async function expectFailure(ns: string, reason: string, messagePart: string): Promise<void> {
      await waitFor(
        `condition ${reason}`,
        async () => (await env.condition(ns, 'app')) === `False/${reason}`,
      );
      const psync = await env.prefixSync(ns, 'app');
      const ready = psync?.status?.conditions?.find((c) => c.type === 'Ready');
      assert.ok(
        ready?.message.includes(messagePart),
        `message '${ready?.message}' should name '${messagePart}'`,
      );
      const synced = psync?.status?.conditions?.find((c) => c.type === 'Synced');
      assert.equal(synced?.reason, reason);
      await waitFor(`Warning event ${reason}`, async () =>
        (await env.events(ns, 'app')).some((e) => e.startsWith(`Warning/${reason}`)),
      );
      assert.equal(
        (await env.configMap(ns, 'cfg'))?.data?.['good'],
        'ok',
        'the last good ConfigMap was changed',
      );
    }

    it('InvalidKey names the key', async () => {
      const { ns, prefix } = await fresh();
      await synced(ns, prefix);
      await env.put(`${prefix}bad key`, 'x');
      await expectFailure(ns, 'InvalidKey', 'bad key');
      await expectFailure(ns, 'InvalidKey', 'rename or delete that key in etcd');
    });

    it('KeyCollision names both keys', async () => {
      const { ns, prefix } = await fresh();
      await synced(ns, prefix);
      await env.put(`${prefix}a/b`, '1');
      await env.put(`${prefix}a.b`, '2');
      await expectFailure(ns, 'KeyCollision', `${prefix}a/b`);
      await expectFailure(ns, 'KeyCollision', 'choose another spec.keys.separator');
    });

    it('TooLarge gives the size', async () => {
      const { ns, prefix } = await fresh();
      await synced(ns, prefix);
      await env.put(`${prefix}big1`, Buffer.alloc(600 * 1024, 'x'));
      await env.put(`${prefix}big2`, Buffer.alloc(600 * 1024, 'y'));
      await expectFailure(ns, 'TooLarge', 'bytes');
      await expectFailure(ns, 'TooLarge', 'mirror a narrower prefix');
    });

    it('TargetConflict names the owner and leaves a foreign ConfigMap alone', async () => {
      const { ns, prefix } = await fresh();
      await env.core.createNamespacedConfigMap({
        namespace: ns,
        body: { metadata: { name: 'cfg' }, data: { good: 'ok' } },
      });
      await env.put(`${prefix}good`, 'changed');
      await createApp(ns, prefix);
      await expectFailure(ns, 'TargetConflict', `${ns}/cfg`);
      assert.equal((await env.configMap(ns, 'cfg'))?.metadata?.ownerReferences, undefined);
    });

    it('SourceNotFound names the source', async () => {
      const { ns, prefix } = await fresh();
      await env.createPrefixSync(ns, 'app', { sourceRef: { name: 'nope' }, prefix, target: { name: 'cfg' } });
      await waitFor(
        'SourceNotFound',
        async () => (await env.condition(ns, 'app')) === 'False/SourceNotFound',
      );
      const ready = (await env.prefixSync(ns, 'app'))?.status?.conditions?.find((c) => c.type === 'Ready');
      assert.match(ready?.message ?? '', /nope/);
    });

    it('PrefixForbidden unless an access rule allows the namespace and prefix', async () => {
      const ns = await env.namespace({ team: 'blue' });
      const prefix = `/${ns}/`;
      await env.createSource(`narrow-${ns}`, {
        access: [
          { namespaces: ['someone-else'], prefixes: [prefix] },
          { namespaceSelector: { matchLabels: { team: 'blue' } }, prefixes: [`${prefix}open/`] },
        ],
      });
      await env.put(`${prefix}open/a`, '1');
      await env.createPrefixSync(ns, 'app', {
        sourceRef: { name: `narrow-${ns}` },
        prefix,
        target: { name: 'cfg' },
      });
      await waitFor(
        'PrefixForbidden',
        async () => (await env.condition(ns, 'app')) === 'False/PrefixForbidden',
      );
      assert.equal(await env.configMap(ns, 'cfg'), undefined);
      // A prefix the namespace's labels allow syncs.
      await env.patchPrefixSync(ns, 'app', { spec: { prefix: `${prefix}open/`, debounce: '0s' } });
      await waitFor(
        'allowed prefix synced',
        async () => (await env.configMap(ns, 'cfg'))?.data?.['a'] === '1',
      );
    });

    it('re-checks access when the namespace labels change', async () => {
      const ns = await env.namespace();
      const prefix = `/${ns}/`;
      await env.createSource(`labels-${ns}`, {
        access: [{ namespaceSelector: { matchLabels: { 'etcd-access': 'yes' } }, prefixes: [prefix] }],
      });
      await env.put(`${prefix}a`, '1');
      await createApp(ns, prefix, { sourceRef: { name: `labels-${ns}` } });
      await waitFor(
        'PrefixForbidden',
        async () => (await env.condition(ns, 'app')) === 'False/PrefixForbidden',
      );
      const current = await env.core.readNamespace({ name: ns });
      await env.core.replaceNamespace({
        name: ns,
        body: {
          ...current,
          metadata: { ...current.metadata, labels: { ...current.metadata?.labels, 'etcd-access': 'yes' } },
        },
      });
      await waitFor(
        'synced once labelled',
        async () => (await env.configMap(ns, 'cfg'))?.data?.['a'] === '1',
      );
    });

    it('SourceUnavailable while etcd is down; the ConfigMap stays, and it recovers', async () => {
      const { ns, prefix } = await fresh();
      await synced(ns, prefix);
      const member = env.etcd.members[0]!;
      await member.kill();
      try {
        await expectFailure(ns, 'SourceUnavailable', 'main');
      } finally {
        await member.restart();
      }
      await waitFor('recovered', async () => (await env.condition(ns, 'app')) === 'True/Synced', 30_000);
      const rev = await env.put(`${prefix}good`, 'again');
      await waitFor(
        'syncs after recovery',
        async () => (await syncedRevision(ns, 'app')) === rev.toString(),
        30_000,
      );
      assert.equal((await env.configMap(ns, 'cfg'))?.data?.['good'], 'again');
    });
  });

  describe('sharing', () => {
    it('two PrefixSyncs on one prefix share one mirror (one etcd watch)', async () => {
      const { ns, prefix } = await fresh();
      await env.put(`${prefix}k`, 'v');
      const before = await openMirrors(manager);
      await env.createPrefixSync(ns, 'one', {
        sourceRef: { name: 'main' },
        prefix,
        target: { name: 'cfg-one' },
        debounce: '0s',
      });
      await env.createPrefixSync(ns, 'two', {
        sourceRef: { name: 'main' },
        prefix,
        target: { name: 'cfg-two', format: 'files' },
        debounce: '0s',
      });
      await waitFor(
        'both synced',
        async () =>
          (await env.configMap(ns, 'cfg-one'))?.data?.['k'] === 'v' &&
          (await env.configMap(ns, 'cfg-two'))?.data?.['k'] === 'v',
      );
      assert.equal(await openMirrors(manager), before + 1);
      const rev = await env.put(`${prefix}k`, 'w');
      await waitFor(
        'both follow',
        async () =>
          (await syncedRevision(ns, 'one')) === rev.toString() &&
          (await syncedRevision(ns, 'two')) === rev.toString(),
      );
      await env.deletePrefixSync(ns, 'one');
      await waitFor('one gone', async () => (await env.prefixSync(ns, 'one')) === undefined);
      assert.equal(await openMirrors(manager), before + 1, 'the mirror closed while still held');
      await env.deletePrefixSync(ns, 'two');
      await waitFor(
        'mirror closed with its last holder',
        async () => (await openMirrors(manager)) === before,
      );
    });
  });

  describe('repair, suspend and force-sync', () => {
    it('repairs an edited or deleted ConfigMap', async () => {
      const { ns, prefix } = await fresh();
      await env.put(`${prefix}a`, '1');
      await createApp(ns, prefix);
      const cm = await waitFor('synced', () => env.configMap(ns, 'cfg'));
      await env.core.replaceNamespacedConfigMap({
        namespace: ns,
        name: 'cfg',
        body: { ...cm, data: { a: 'tampered' } },
      });
      await waitFor('repaired', async () => (await env.configMap(ns, 'cfg'))?.data?.['a'] === '1');
      await env.core.deleteNamespacedConfigMap({ namespace: ns, name: 'cfg' });
      await waitFor('re-created', async () => (await env.configMap(ns, 'cfg'))?.data?.['a'] === '1');
    });

    it('re-reads and retries a ConfigMap write that got 409 Conflict, without a failure condition', async () => {
      const { ns, prefix } = await fresh();
      await env.put(`${prefix}a`, '1');
      await createApp(ns, prefix);
      await waitFor('synced', async () => (await env.configMap(ns, 'cfg'))?.data?.['a'] === '1');
      env.sim.faults.failNext({ verb: 'update', resource: 'configmaps', count: 2, status: 409 });
      const rev = await env.put(`${prefix}a`, '2');
      await waitFor(
        'synced through conflicts',
        async () => (await syncedRevision(ns, 'app')) === rev.toString(),
      );
      assert.equal((await env.configMap(ns, 'cfg'))?.data?.['a'], '2');
      assert.equal(await env.condition(ns, 'app', 'Synced'), 'True/Synced');
      assert.ok(
        !(await env.events(ns, 'app')).some((e) => e.startsWith('Warning/')),
        'a conflict was reported',
      );
    });

    it('writes nothing while suspended, and catches up when resumed', async () => {
      const { ns, prefix } = await fresh();
      await env.put(`${prefix}a`, '1');
      await createApp(ns, prefix);
      await waitFor('synced', async () => (await env.configMap(ns, 'cfg'))?.data?.['a'] === '1');
      await env.patchPrefixSync(ns, 'app', { spec: { suspend: true } });
      await waitFor('Suspended', async () => (await env.condition(ns, 'app')) === 'False/Suspended');
      await env.put(`${prefix}a`, '2');
      await env.patchPrefixSync(ns, 'app', { metadata: { annotations: { poke: '1' } } });
      await waitFor(
        'poke seen',
        async () => (await env.prefixSync(ns, 'app'))?.metadata.annotations?.['poke'] === '1',
      );
      assert.equal((await env.configMap(ns, 'cfg'))?.data?.['a'], '1');
      await env.patchPrefixSync(ns, 'app', { spec: { suspend: false } });
      await waitFor('resumed', async () => (await env.configMap(ns, 'cfg'))?.data?.['a'] === '2');
    });
  });

  describe('deletion', () => {
    /** A synced PrefixSync `app` with the given policy, its finalizer on, then deleted and gone. */
    async function syncedThenDeleted(deletionPolicy: 'Delete' | 'Retain'): Promise<string> {
      const { ns, prefix } = await fresh();
      await env.put(`${prefix}a`, '1');
      await createApp(ns, prefix, { deletionPolicy });
      await waitFor('synced', () => env.configMap(ns, 'cfg'));
      await waitFor(
        'finalizer',
        async () => (await env.prefixSync(ns, 'app'))?.metadata.finalizers?.length === 1,
      );
      await env.deletePrefixSync(ns, 'app');
      await waitFor('PrefixSync gone', async () => (await env.prefixSync(ns, 'app')) === undefined);
      return ns;
    }

    it('deletionPolicy Delete deletes the ConfigMap', async () => {
      const ns = await syncedThenDeleted('Delete');
      await waitFor('ConfigMap gone', async () => (await env.configMap(ns, 'cfg')) === undefined);
    });

    it('deletionPolicy Retain keeps the ConfigMap without our ownerReference', async () => {
      const ns = await syncedThenDeleted('Retain');
      // Give the garbage collector its chance: a write after the deletion proves time has passed.
      await env.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'marker' } } });
      await waitFor('marker', () => env.configMap(ns, 'marker'));
      const cm = await env.configMap(ns, 'cfg');
      assert.equal(cm?.data?.['a'], '1');
      assert.deepEqual(cm?.metadata?.ownerReferences ?? [], []);
    });
  });
});
