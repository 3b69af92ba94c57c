// Versioned ConfigMaps (target.versioned) against real etcd and the simulator: each content is an
// immutable ConfigMap <name>-<10 hex>, the workloads' references are pointed at it (the rollout), old
// versions beyond keepVersions go unless a workload still uses one, and a rollback points back.
import { strict as assert } from 'node:assert';
import type { V1Deployment, V1PodSpec } from '@kubernetes/client-node';
import { FAIL_WHEN_ANNOTATION } from '../../../src/envtest/index.js';
import type { TestEnv } from './support.js';
import { useTestEnv, waitFor } from './support.js';

const VERSION = /^cfg-[0-9a-f]{10}$/;

/** Every ConfigMap name the pod spec references, in order of appearance. */
function references(d: V1Deployment): string[] {
  const spec = d.spec?.template.spec;
  return [
    ...(spec?.volumes ?? []).flatMap((v) => [
      v.configMap?.name ?? '',
      ...(v.projected?.sources ?? []).map((p) => p.configMap?.name ?? ''),
    ]),
    ...(spec?.containers ?? []).flatMap((c) => [
      ...(c.envFrom ?? []).map((f) => f.configMapRef?.name ?? ''),
      ...(c.env ?? []).map((e) => e.valueFrom?.configMapKeyRef?.name ?? ''),
    ]),
  ].filter((n) => n !== '');
}

describe('PrefixSync versioned ConfigMaps (real etcd + simulator)', function () {
  this.timeout(90_000);
  let env: TestEnv;

  useTestEnv(async (e) => {
    env = e;
    await env.startManager();
  });

  const podSpec: V1PodSpec = {
    containers: [
      {
        name: 'app',
        image: 'nginx',
        envFrom: [{ configMapRef: { name: 'cfg' } }],
        env: [{ name: 'MODE', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'mode' } } }],
      },
    ],
    volumes: [
      { name: 'plain', configMap: { name: 'cfg' } },
      { name: 'other', configMap: { name: 'not-ours' } },
      { name: 'proj', projected: { sources: [{ configMap: { name: 'cfg' } }] } },
    ],
  };

  async function app(extra: object = {}): Promise<{ ns: string; prefix: string }> {
    const ns = await env.namespace();
    const prefix = `/${ns}/`;
    await env.put(`${prefix}mode`, 'ok');
    await env.apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: 'web', annotations: { [FAIL_WHEN_ANNOTATION]: 'mode=broken' } },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'web' } },
          template: { metadata: { labels: { app: 'web' } }, spec: podSpec },
        },
      },
    });
    await env.createPrefixSync(ns, 'app', {
      sourceRef: { name: 'main' },
      prefix,
      target: { name: 'cfg', versioned: true, keepVersions: 2 },
      debounce: '0s',
      rollout: { mode: 'targets', targets: [{ kind: 'Deployment', name: 'web' }], ...extra },
    });
    return { ns, prefix };
  }

  const versionOf = async (ns: string): Promise<string> => {
    const hash = (await env.prefixSync(ns, 'app'))?.status?.contentHash ?? '';
    return `cfg-${hash.slice(0, 10)}`;
  };

  const rolledOut = async (ns: string): Promise<boolean> =>
    (await env.condition(ns, 'app', 'RolledOut')) === 'True/RolledOut';

  it('writes each content once as an immutable version and points every reference at it; old versions beyond keepVersions go', async () => {
    const { ns, prefix } = await app();
    await waitFor('first version rolled out', () => rolledOut(ns));
    const first = await versionOf(ns);
    assert.match(first, VERSION);
    const cm = await env.configMap(ns, first);
    assert.equal(cm?.immutable, true);
    assert.equal(cm?.data?.['mode'], 'ok');
    assert.equal(await env.configMap(ns, 'cfg'), undefined, 'no plain ConfigMap is written');
    let web = await env.deployment(ns, 'web');
    assert.deepEqual(references(web), [first, 'not-ours', first, first, first]);

    const versions: string[] = [first];
    for (const mode of ['two', 'three', 'four']) {
      const rev = await env.put(`${prefix}mode`, mode);
      await waitFor(`${mode} rolled out`, async () => {
        const p = await env.prefixSync(ns, 'app');
        return p?.status?.syncedRevision === rev.toString() && (await rolledOut(ns));
      });
      const v = await versionOf(ns);
      versions.push(v);
      web = await env.deployment(ns, 'web');
      assert.deepEqual(references(web), [v, 'not-ours', v, v, v]);
      assert.equal((await env.configMap(ns, v))?.data?.['mode'], mode);
    }
    // keepVersions 2: the two newest stay; older ones no workload uses are deleted.
    await waitFor('old versions pruned', async () => {
      const names = (await env.core.listNamespacedConfigMap({ namespace: ns })).items
        .map((c) => c.metadata?.name ?? '')
        .filter((n) => VERSION.test(n))
        .sort();
      return JSON.stringify(names) === JSON.stringify(versions.slice(-2).sort()) || names.join(',');
    });
  });

  it('a failed rollout is rolled back by pointing the references at the last good version, which still exists', async () => {
    const { ns, prefix } = await app({ progressDeadline: '3s', onFailure: 'Rollback' });
    await waitFor('first version rolled out', () => rolledOut(ns));
    const good = await versionOf(ns);
    await env.put(`${prefix}mode`, 'broken');
    await waitFor(
      'rolled back',
      async () => (await env.condition(ns, 'app', 'Synced')) === 'False/RolledBack',
    );
    await waitFor('rollback rolled out', () => rolledOut(ns));
    const web = await env.deployment(ns, 'web');
    assert.deepEqual(references(web), [good, 'not-ours', good, good, good]);
    assert.equal((await env.configMap(ns, good))?.data?.['mode'], 'ok');
  });

  it('Ordered with three targets where the second fails: the third never sees the new content, and what was rolled goes back', async () => {
    const ns = await env.namespace();
    const prefix = `/${ns}/`;
    await env.put(`${prefix}mode`, 'ok');
    for (const name of ['a', 'b', 'c']) {
      await env.apps.createNamespacedDeployment({
        namespace: ns,
        body: {
          metadata: { name, annotations: name === 'b' ? { [FAIL_WHEN_ANNOTATION]: 'mode=broken' } : {} },
          spec: {
            replicas: 1,
            selector: { matchLabels: { app: name } },
            template: { metadata: { labels: { app: name } }, spec: podSpec },
          },
        },
      });
    }
    await env.createPrefixSync(ns, 'app', {
      sourceRef: { name: 'main' },
      prefix,
      target: { name: 'cfg', versioned: true },
      debounce: '0s',
      rollout: {
        mode: 'targets',
        targets: ['a', 'b', 'c'].map((name) => ({ kind: 'Deployment' as const, name })),
        strategy: 'Ordered',
        progressDeadline: '3s',
        onFailure: 'Rollback',
      },
    });
    await waitFor('first version rolled out', () => rolledOut(ns));
    const good = await versionOf(ns);
    const c0 = await env.deployment(ns, 'c');
    assert.equal(references(c0)[0], good);

    // Watch c's references for as long as the bad content is out.
    const seenByC = new Set<string>();
    const badRev = await env.put(`${prefix}mode`, 'broken');
    await waitFor('rolled back', async () => {
      for (const r of references(await env.deployment(ns, 'c'))) seenByC.add(r);
      return (await env.condition(ns, 'app', 'Synced')) === 'False/RolledBack';
    });
    await waitFor('rollback rolled out', async () => {
      for (const r of references(await env.deployment(ns, 'c'))) seenByC.add(r);
      return rolledOut(ns);
    });
    const psync = await env.prefixSync(ns, 'app');
    assert.equal(psync?.status?.rolledBack?.revision, badRev.toString());
    assert.match(psync?.status?.rolledBack?.message ?? '', /Deployment b/);
    assert.deepEqual(
      [...seenByC].filter((n) => n !== 'not-ours'),
      [good],
      'c never saw the new version',
    );
    assert.equal(
      (await env.deployment(ns, 'c')).metadata?.generation,
      c0.metadata?.generation,
      'c was never rolled',
    );
    for (const name of ['a', 'b'])
      assert.equal(references(await env.deployment(ns, name))[0], good, `${name} rolled back`);
  });
});
