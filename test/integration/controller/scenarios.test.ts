// Scenarios of the kinds issue 4 lists, beyond its own list: every format, another separator, spec
// changes, rollout of StatefulSets and DaemonSets, inputs that go bad and heal, restart mid-debounce.
import { strict as assert } from 'node:assert';
import { configHashAnnotation } from '../../../src/api/index.js';
import type { TestEnv } from './support.js';
import { useTestEnv, mountingPodSpec, templateHashOf, waitFor } from './support.js';

const HASH = configHashAnnotation('p');

describe('PrefixSync scenarios (real etcd + simulator)', function () {
  this.timeout(60_000);
  let env: TestEnv;

  useTestEnv(async (e) => {
    env = e;
    await env.startManager();
  });

  async function fresh(): Promise<{ ns: string; prefix: string }> {
    const ns = await env.namespace();
    return { ns, prefix: `/${ns}/` };
  }
  const ready = (ns: string, name = 'p') => env.condition(ns, name);
  async function readyMessage(ns: string, name = 'p'): Promise<string> {
    const c = (await env.prefixSync(ns, name))?.status?.conditions?.find((x) => x.type === 'Ready');
    return c?.message ?? '';
  }
  async function data(ns: string, name = 'cfg'): Promise<Record<string, string>> {
    return { ...(await env.configMap(ns, name))?.data };
  }

  /** Waits until ConfigMap `name`, no longer PrefixSync p's target, is deleted (Delete) or kept without p as owner (Retain). */
  async function oldTargetReleased(ns: string, name: string, policy: 'Retain' | 'Delete'): Promise<void> {
    const uid = (await env.prefixSync(ns, 'p'))?.metadata.uid;
    await waitFor(`old ConfigMap released (${policy})`, async () => {
      const old = await env.configMap(ns, name);
      if (policy === 'Delete') return old === undefined;
      return old !== undefined && !old.metadata?.ownerReferences?.some((r) => r.uid === uid);
    });
  }

  const rendered = {
    json: '{\n  "db": {\n    "host": "h",\n    "port": "5432"\n  }\n}\n',
    properties: 'db.host=h\ndb.port=5432\n',
  } as const;
  for (const format of ['json', 'properties'] as const) {
    it(`format ${format}: one document under target.key, following a put`, async () => {
      const { ns, prefix } = await fresh();
      await env.put(`${prefix}db/host`, 'h');
      await env.put(`${prefix}db/port`, '5432');
      await env.createPrefixSync(ns, 'p', {
        sourceRef: { name: 'main' },
        prefix,
        target: { name: 'cfg', format, key: 'app.conf' },
        debounce: '0s',
      });
      await waitFor('the document', async () => (await data(ns))['app.conf'] === rendered[format]);
      await env.put(`${prefix}db/user`, 'u');
      await waitFor('the put', async () => (await data(ns))['app.conf']?.includes('user'));
    });
  }

  it('format env with separator ".": a name that is no env name says how to fix it; separator _ heals it', async () => {
    const { ns, prefix } = await fresh();
    await env.put(`${prefix}db/host`, 'h');
    await env.createPrefixSync(ns, 'p', {
      sourceRef: { name: 'main' },
      prefix,
      target: { name: 'cfg', format: 'env', key: 'app.env' },
      keys: { separator: '.' },
      debounce: '0s',
    });
    await waitFor('RenderFailed', async () => (await ready(ns)) === 'False/RenderFailed');
    assert.match(await readyMessage(ns), /db\.host.*use spec\.keys\.separator "_"/);
    await env.patchPrefixSync(ns, 'p', { spec: { keys: { separator: '_' } } });
    await waitFor('healed', async () => (await data(ns))['app.env'] === "db_host='h'\n");
    await waitFor('Ready', async () => (await ready(ns)) === 'True/Synced');
  });

  it('separator _ maps paths; a key deleted in etcd leaves the ConfigMap', async () => {
    const { ns, prefix } = await fresh();
    await env.put(`${prefix}db/host`, 'h');
    await env.put(`${prefix}x`, 'y');
    await env.createPrefixSync(ns, 'p', {
      sourceRef: { name: 'main' },
      prefix,
      target: { name: 'cfg' },
      keys: { separator: '_' },
      debounce: '0s',
    });
    await waitFor('cm', async () => (await data(ns))['db_host'] === 'h');
    assert.deepEqual(await data(ns), { db_host: 'h', x: 'y' });
    await env.etcdClient.kv.delete({ key: `${prefix}x` });
    await waitFor('x removed', async () => !('x' in (await data(ns))));
    const events = await env.events(ns, 'p');
    assert.ok(
      events.some((e) => /wrote ConfigMap cfg at revision \d+ \(1 key\)/.test(e)),
      `singular in ${events.join(' | ')}`,
    );
  });

  for (const deletionPolicy of ['Retain', 'Delete'] as const) {
    it(`spec changes (prefix, format, target name) are followed; the old ConfigMap is released (${deletionPolicy})`, async () => {
      const { ns, prefix } = await fresh();
      await env.put(`${prefix}a/k`, '1');
      await env.put(`${prefix}b/k`, '2');
      await env.createPrefixSync(ns, 'p', {
        sourceRef: { name: 'main' },
        prefix: `${prefix}a/`,
        target: { name: 'cfg' },
        debounce: '0s',
        deletionPolicy,
      });
      await waitFor('cm', async () => (await data(ns))['k'] === '1');
      const generation = async (): Promise<number | undefined> =>
        (await env.prefixSync(ns, 'p'))?.status?.observedGeneration;
      await env.patchPrefixSync(ns, 'p', { spec: { prefix: `${prefix}b/` } });
      await waitFor('prefix followed', async () => (await data(ns))['k'] === '2');
      await waitFor('observedGeneration 2', async () => (await generation()) === 2);
      await env.patchPrefixSync(ns, 'p', {
        spec: { target: { name: 'cfg', format: 'json', key: 'c.json' } },
      });
      await waitFor('format followed', async () => (await data(ns))['c.json'] === '{\n  "k": "2"\n}\n');
      await waitFor('observedGeneration 3', async () => (await generation()) === 3);
      await env.patchPrefixSync(ns, 'p', { spec: { target: { name: 'cfg2', format: null, key: null } } });
      await waitFor('target followed', async () => (await data(ns, 'cfg2'))['k'] === '2');
      await waitFor('observedGeneration 4', async () => (await generation()) === 4);
      await oldTargetReleased(ns, 'cfg', deletionPolicy);
    });
  }

  it('rollout auto restarts a StatefulSet and a DaemonSet that mount the ConfigMap, as narrowed by the selector', async () => {
    const { ns, prefix } = await fresh();
    await env.put(`${prefix}k`, '1');
    const template = (app: string) => ({ metadata: { labels: { app } }, spec: mountingPodSpec('cfg') });
    await env.apps.createNamespacedStatefulSet({
      namespace: ns,
      body: {
        metadata: { name: 'ss', labels: { tier: 'a' } },
        spec: { serviceName: 'ss', selector: { matchLabels: { app: 'ss' } }, template: template('ss') },
      },
    });
    await env.apps.createNamespacedDaemonSet({
      namespace: ns,
      body: {
        metadata: { name: 'ds', labels: { tier: 'b' } },
        spec: { selector: { matchLabels: { app: 'ds' } }, template: template('ds') },
      },
    });
    await env.createPrefixSync(ns, 'p', {
      sourceRef: { name: 'main' },
      prefix,
      target: { name: 'cfg' },
      debounce: '0s',
      rollout: { mode: 'auto', selector: { matchLabels: { tier: 'a' } } },
    });
    await waitFor('synced', async () => (await ready(ns)) === 'True/Synced');
    const ssHash = async () =>
      (await env.apps.readNamespacedStatefulSet({ namespace: ns, name: 'ss' })).spec?.template.metadata
        ?.annotations?.[HASH];
    const dsHash = async () =>
      (await env.apps.readNamespacedDaemonSet({ namespace: ns, name: 'ds' })).spec?.template.metadata
        ?.annotations?.[HASH];
    assert.equal(await ssHash(), undefined, 'nothing rolled on the first sync');
    await env.put(`${prefix}k`, '2');
    await waitFor('StatefulSet rolled', async () => (await ssHash()) !== undefined);
    const first = await ssHash();
    assert.deepEqual((await env.prefixSync(ns, 'p'))?.status?.rolledOut, [
      { kind: 'StatefulSet', name: 'ss', hash: first },
    ]);
    assert.equal(await dsHash(), undefined, 'the selector left the DaemonSet alone');
    await env.patchPrefixSync(ns, 'p', { spec: { rollout: { selector: null } } });
    await env.put(`${prefix}k`, '3');
    await waitFor('DaemonSet rolled', async () => (await dsHash()) !== undefined);
    const second = await dsHash();
    assert.equal(await ssHash(), second);
  });

  it('a rollout target that does not exist: TargetNotFound and a Warning; it clears once the workload exists', async () => {
    const { ns, prefix } = await fresh();
    await env.put(`${prefix}k`, '1');
    await env.createPrefixSync(ns, 'p', {
      sourceRef: { name: 'main' },
      prefix,
      target: { name: 'cfg' },
      debounce: '0s',
      rollout: { mode: 'targets', targets: [{ kind: 'Deployment', name: 'later' }] },
    });
    // Reported from the first sync, not only once the content changes.
    await waitFor('TargetNotFound at once', async () => (await ready(ns)) === 'False/TargetNotFound');
    await env.put(`${prefix}k`, '2');
    await waitFor(
      'TargetNotFound',
      async () => (await env.condition(ns, 'p', 'RolledOut')) === 'False/TargetNotFound',
    );
    assert.match(
      await readyMessage(ns),
      /Deployment later.*create the workload or fix spec\.rollout\.targets/,
    );
    assert.equal((await data(ns))['k'], '2', 'the ConfigMap is synced all the same');
    await waitFor('Warning', async () =>
      (await env.events(ns, 'p')).some((e) => e.startsWith('Warning/TargetNotFound')),
    );
    await env.createDeployment(ns, 'later', mountingPodSpec('cfg'));
    await env.put(`${prefix}k`, '3');
    await waitFor('rolled', async () => templateHashOf(await env.deployment(ns, 'later'), 'p') !== undefined);
    await waitFor('cleared', async () => (await env.condition(ns, 'p', 'RolledOut')) === 'True/RolledOut');
  });

  it('access withdrawn from a synced prefix: PrefixForbidden, ConfigMap kept; a namespaceSelector rule heals; source deleted and recreated heals', async () => {
    const { ns, prefix } = await fresh();
    const source = `s-${ns}`;
    await env.createSource(source, { access: [{ namespaces: [ns], prefixes: [prefix] }] });
    await env.put(`${prefix}k`, '1');
    await env.createPrefixSync(ns, 'p', {
      sourceRef: { name: source },
      prefix,
      target: { name: 'cfg' },
      debounce: '0s',
    });
    await waitFor('synced', async () => (await ready(ns)) === 'True/Synced');
    await env.patchSource(source, { spec: { access: [{ namespaces: ['other'], prefixes: [prefix] }] } });
    await waitFor('forbidden', async () => (await ready(ns)) === 'False/PrefixForbidden');
    assert.match(await readyMessage(ns), /a rule in its spec\.access must name this namespace/);
    await env.put(`${prefix}k`, '2');
    assert.equal((await data(ns))['k'], '1', 'the last good ConfigMap stays');
    await env.patchSource(source, {
      spec: {
        access: [
          { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } }, prefixes: [prefix] },
        ],
      },
    });
    await waitFor('healed', async () => (await data(ns))['k'] === '2');
    await env.deleteSource(source);
    await waitFor('SourceNotFound', async () => (await ready(ns)) === 'False/SourceNotFound');
    assert.match(await readyMessage(ns), /create it, or set spec\.sourceRef\.name/);
    await env.createSource(source, { access: [{ namespaces: [ns], prefixes: [prefix] }] });
    await env.put(`${prefix}k`, '3');
    await waitFor('healed again', async () => (await data(ns))['k'] === '3');
    await waitFor('Ready', async () => (await ready(ns)) === 'True/Synced');
  });

  it('a second PrefixSync on the same ConfigMap name gets TargetConflict; a new name heals it', async () => {
    const { ns, prefix } = await fresh();
    await env.put(`${prefix}k`, '1');
    await env.put(`${prefix}x/k`, 'x');
    await env.createPrefixSync(ns, 'p1', {
      sourceRef: { name: 'main' },
      prefix,
      target: { name: 'cfg' },
      debounce: '0s',
    });
    await waitFor('p1 synced', async () => (await ready(ns, 'p1')) === 'True/Synced');
    await env.createPrefixSync(ns, 'p2', {
      sourceRef: { name: 'main' },
      prefix: `${prefix}x/`,
      target: { name: 'cfg' },
      debounce: '0s',
    });
    await waitFor('conflict', async () => (await ready(ns, 'p2')) === 'False/TargetConflict');
    assert.match(await readyMessage(ns, 'p2'), /PrefixSync p1.*choose another spec\.target\.name/);
    await env.put(`${prefix}k`, '2');
    await waitFor('p1 keeps syncing', async () => (await data(ns))['k'] === '2');
    await env.patchPrefixSync(ns, 'p2', { spec: { target: { name: 'cfg-b' } } });
    await waitFor('p2 healed', async () => (await data(ns, 'cfg-b'))['k'] === 'x');
    await waitFor('p2 Ready', async () => (await ready(ns, 'p2')) === 'True/Synced');
  });

  it('a value turning non-UTF-8 moves to binaryData and back; a hand edit is repaired', async () => {
    const { ns, prefix } = await fresh();
    await env.put(`${prefix}k`, 'text');
    await env.createPrefixSync(ns, 'p', {
      sourceRef: { name: 'main' },
      prefix,
      target: { name: 'cfg' },
      debounce: '0s',
    });
    await waitFor('cm', async () => (await data(ns))['k'] === 'text');
    await env.put(`${prefix}k`, Buffer.from([0xff, 0xfe, 0x00]));
    const cm = await waitFor('binaryData', async () => {
      const c = await env.configMap(ns, 'cfg');
      return c?.binaryData?.['k'] ? c : undefined;
    });
    assert.equal(Buffer.from(cm.binaryData!['k']!, 'base64').toString('hex'), 'fffe00');
    assert.equal(cm.data?.['k'], undefined);
    await env.put(`${prefix}k`, 'back');
    await waitFor('data again', async () => {
      const c = await env.configMap(ns, 'cfg');
      return c?.data?.['k'] === 'back' && c.binaryData?.['k'] === undefined;
    });
    await env.core.patchNamespacedConfigMap({
      namespace: ns,
      name: 'cfg',
      body: [{ op: 'replace', path: '/data/k', value: 'hand-edited' }],
    });
    await waitFor('repaired', async () => (await data(ns))['k'] === 'back');
  });

  it('TargetConflict heals when the foreign ConfigMap is deleted, and when the owning PrefixSync is deleted', async () => {
    const { ns, prefix } = await fresh();
    await env.put(`${prefix}k`, '1');
    await env.put(`${prefix}x/k`, 'x');
    await env.core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'cfg' }, data: { theirs: 'y' } },
    });
    await env.createPrefixSync(ns, 'p1', {
      sourceRef: { name: 'main' },
      prefix,
      target: { name: 'cfg' },
      debounce: '0s',
      deletionPolicy: 'Delete',
    });
    await waitFor('conflict', async () => (await ready(ns, 'p1')) === 'False/TargetConflict');
    assert.deepEqual(await data(ns), { theirs: 'y' }, 'a foreign ConfigMap is never overwritten');
    await env.core.deleteNamespacedConfigMap({ namespace: ns, name: 'cfg' });
    await waitFor('p1 healed', async () => (await data(ns))['k'] === '1');
    await env.createPrefixSync(ns, 'p2', {
      sourceRef: { name: 'main' },
      prefix: `${prefix}x/`,
      target: { name: 'cfg' },
      debounce: '0s',
    });
    await waitFor('p2 conflict', async () => (await ready(ns, 'p2')) === 'False/TargetConflict');
    await env.deletePrefixSync(ns, 'p1');
    await waitFor('p2 healed', async () => (await data(ns))['k'] === 'x');
    await waitFor('p2 Ready', async () => (await ready(ns, 'p2')) === 'True/Synced');
  });

  it('KeyCollision and TooLarge clear once etcd is fixed', async () => {
    const { ns, prefix } = await fresh();
    await env.put(`${prefix}k`, '1');
    await env.createPrefixSync(ns, 'p', {
      sourceRef: { name: 'main' },
      prefix,
      target: { name: 'cfg' },
      debounce: '0s',
    });
    await waitFor('synced', async () => (await ready(ns)) === 'True/Synced');
    await env.put(`${prefix}a/b`, '1');
    await env.put(`${prefix}a.b`, '2');
    await waitFor('KeyCollision', async () => (await ready(ns)) === 'False/KeyCollision');
    await env.etcdClient.kv.delete({ key: `${prefix}a.b` });
    await waitFor('cleared', async () => (await ready(ns)) === 'True/Synced');
    await env.put(`${prefix}big1`, Buffer.alloc(600 * 1024, 'x'));
    await env.put(`${prefix}big2`, Buffer.alloc(600 * 1024, 'y'));
    await waitFor('TooLarge', async () => (await ready(ns)) === 'False/TooLarge');
    await env.etcdClient.kv.delete({ key: `${prefix}big2` });
    await waitFor('cleared again', async () => (await ready(ns)) === 'True/Synced');
    assert.equal((await data(ns))['a.b'], '1');
    assert.equal((await data(ns))['big1']?.length, 600 * 1024);
  });

  it('an operator restart inside a debounce window loses no change', async () => {
    const { ns, prefix } = await fresh();
    await env.put(`${prefix}k`, '1');
    await env.createPrefixSync(ns, 'p', {
      sourceRef: { name: 'main' },
      prefix,
      target: { name: 'cfg' },
      debounce: '30s',
    });
    await waitFor('synced', async () => (await ready(ns)) === 'True/Synced');
    await env.put(`${prefix}k`, '2');
    await env.closeManagers();
    assert.equal((await data(ns))['k'], '1', 'the change was still in its debounce window');
    await env.startManager();
    await waitFor('applied after the restart', async () => (await data(ns))['k'] === '2');
  });

  for (const deletionPolicy of ['Retain', 'Delete'] as const) {
    it(`a target renamed while no operator runs: the ConfigMap it left is released on start (${deletionPolicy})`, async () => {
      const { ns, prefix } = await fresh();
      await env.put(`${prefix}k`, '1');
      await env.createPrefixSync(ns, 'p', {
        sourceRef: { name: 'main' },
        prefix,
        target: { name: 'cfg' },
        debounce: '0s',
        deletionPolicy,
      });
      await waitFor('cm', async () => (await data(ns))['k'] === '1');
      await env.closeManagers();
      await env.patchPrefixSync(ns, 'p', { spec: { target: { name: 'cfg2' } } });
      await env.startManager();
      await waitFor('the new target', async () => (await data(ns, 'cfg2'))['k'] === '1');
      await oldTargetReleased(ns, 'cfg', deletionPolicy);
      if (deletionPolicy === 'Retain') assert.equal((await data(ns, 'cfg'))['k'], '1', 'retained as it was');
      // Deleting the PrefixSync now takes only its current target with it.
      await env.deletePrefixSync(ns, 'p');
      await waitFor('PrefixSync gone', async () => (await env.prefixSync(ns, 'p')) === undefined);
      if (deletionPolicy === 'Retain') assert.notEqual(await env.configMap(ns, 'cfg'), undefined);
    });
  }

  it('a new PrefixSync of the same name does not adopt a ConfigMap retained from the old one (TargetConflict)', async () => {
    const { ns, prefix } = await fresh();
    await env.put(`${prefix}k`, '1');
    const spec = { sourceRef: { name: 'main' }, prefix, target: { name: 'cfg' }, debounce: '0s' };
    await env.createPrefixSync(ns, 'p', { ...spec, deletionPolicy: 'Retain' });
    await waitFor('cm', async () => (await data(ns))['k'] === '1');
    await env.deletePrefixSync(ns, 'p');
    await waitFor('PrefixSync gone', async () => (await env.prefixSync(ns, 'p')) === undefined);
    await env.put(`${prefix}k`, 'taken over?');
    await env.createPrefixSync(ns, 'p', spec);
    await waitFor('TargetConflict', async () => (await ready(ns)) === 'False/TargetConflict');
    assert.equal((await data(ns))['k'], '1', 'the retained ConfigMap was written');
    assert.equal((await env.configMap(ns, 'cfg'))?.metadata?.ownerReferences, undefined);
  });
});
