// Guards before publishing, as a user meets them (real etcd, the simulator through client-node): a
// revision that would empty the ConfigMap, remove too much, or break a rule is held — the last good
// ConfigMap stays, nothing rolls, status and one Event say why — until approved or fixed; invalid keys
// can be skipped; a PrefixSync can be pinned to a revision.
import { strict as assert } from 'node:assert';
import type { Manager } from '../../../src/operator/index.js';
import { metricValue } from '../../support/metrics.js';
import type { TestEnv } from './support.js';
import { mountingPodSpec, templateHashOf, useTestEnv, waitFor } from './support.js';

describe('PrefixSync guards (real etcd + simulator)', function () {
  this.timeout(60_000);
  let env: TestEnv;
  let manager: Manager;

  useTestEnv(async (e) => {
    env = e;
    manager = await env.startManager();
  });

  const data = async (ns: string): Promise<Record<string, string> | undefined> =>
    (await env.configMap(ns, 'cfg'))?.data;
  const synced = async (ns: string): Promise<string | undefined> =>
    (await env.prefixSync(ns, 'app'))?.status?.syncedRevision;
  const conditionOf = async (ns: string, type: string) =>
    (await env.prefixSync(ns, 'app'))?.status?.conditions?.find((c) => c.type === type);

  it('etcdctl del --prefix with the defaults: held (ChangeHeld), ConfigMap and workloads untouched; approving publishes it once', async () => {
    const { ns, prefix } = await env.freshApp({ rollout: { mode: 'auto' } }, { host: 'db', port: '5432' });
    await env.createDeployment(ns, 'web', mountingPodSpec('cfg'));
    await waitFor('first sync', async () => ((await data(ns))?.['port'] === '5432' ? {} : undefined));
    const before = await synced(ns);

    const deleted = await env.etcdClient.kv.delete({ prefix });
    const held = await waitFor('held', async () => {
      const c = await conditionOf(ns, 'Synced');
      return c?.reason === 'ChangeHeld' ? c : undefined;
    });
    assert.equal(held.status, 'False');
    assert.match(held.message ?? '', new RegExp(`revision ${deleted.revision}`));
    assert.match(held.message ?? '', /minKeys/);
    assert.match(held.message ?? '', /removed host, port/);
    const psync = await env.prefixSync(ns, 'app');
    assert.equal(psync?.status?.held?.revision, deleted.revision.toString());
    assert.equal(psync?.status?.syncedRevision, before, 'status claims the held revision');
    assert.equal((await conditionOf(ns, 'Ready'))?.reason, 'ChangeHeld');
    assert.deepEqual(await data(ns), { host: 'db', port: '5432' }, 'the held change reached the ConfigMap');
    assert.equal(templateHashOf(await env.deployment(ns, 'web')), undefined, 'a workload was restarted');
    const warnings = (await env.eventRecords(ns, 'app')).filter((e) => e.reason === 'ChangeHeld');
    assert.equal(warnings.length, 1, JSON.stringify(warnings));
    assert.ok(
      ((await metricValue(manager, 'etcdconfig_prefixsync_sync_failures_total', {
        namespace: ns,
        name: 'app',
        reason: 'ChangeHeld',
      })) ?? 0) >= 1,
    );

    // Approving exactly that revision publishes it (an empty ConfigMap), and rolls the workload.
    await env.patchPrefixSync(ns, 'app', {
      metadata: { annotations: { 'etcdconfig.dev/approve-revision': deleted.revision.toString() } },
    });
    await waitFor('approved change published', async () => {
      const d = await data(ns);
      return d !== undefined && Object.keys(d).length === 0 ? {} : undefined;
    });
    await waitFor('Ready', async () =>
      (await conditionOf(ns, 'Ready'))?.status === 'True' ? {} : undefined,
    );
    assert.equal((await env.prefixSync(ns, 'app'))?.status?.held, undefined);
    assert.equal(await synced(ns), deleted.revision.toString());
    await waitFor('rolled', async () => (templateHashOf(await env.deployment(ns, 'web')) ? {} : undefined));
    // Every write names the keys it added, changed and removed — names only, never values.
    const writes = (await env.eventRecords(ns, 'app')).filter((e) => e.reason === 'Synced');
    assert.ok(
      writes.some((e) =>
        e.message.includes(`at revision ${deleted.revision} (0 keys): removed host, port (approved by`),
      ),
      JSON.stringify(writes),
    );
    assert.ok(
      writes.some((e) => /\(2 keys\): added host, port$/.test(e.message)),
      JSON.stringify(writes),
    );
    assert.ok(!writes.some((e) => e.message.includes('5432')), 'a value leaked into an Event');

    // A later revision is judged again: a put passes minKeys and is published as usual.
    const put = await env.put(`${prefix}host`, 'db2');
    await waitFor('published', async () => ((await synced(ns)) === put.toString() ? {} : undefined));
    assert.deepEqual(await data(ns), { host: 'db2' });
  });

  it('an empty prefix on the first sync (a typo) is held and writes no ConfigMap; minKeys 0 allows it', async () => {
    const { ns } = await env.freshApp({ prefix: `/typo-${Math.random().toString(36).slice(2)}/` });
    await waitFor('held', async () =>
      (await conditionOf(ns, 'Synced'))?.reason === 'ChangeHeld' ? {} : undefined,
    );
    assert.equal(await env.configMap(ns, 'cfg'), undefined);
    await env.patchPrefixSync(ns, 'app', { spec: { validation: { minKeys: 0 } } });
    await waitFor('empty ConfigMap', async () => ((await env.configMap(ns, 'cfg')) ? {} : undefined));
    assert.equal((await conditionOf(ns, 'Ready'))?.status, 'True');
  });

  it('maxRemoved holds a bulk delete and lets a smaller one through', async () => {
    const { ns, prefix } = await env.freshApp(
      { validation: { maxRemoved: 1 } },
      { a: '1', 'group/b': '2', 'group/c': '3', d: '4' },
    );
    await waitFor('first sync', async () =>
      Object.keys((await data(ns)) ?? {}).length === 4 ? {} : undefined,
    );
    await env.etcdClient.kv.delete({ prefix: `${prefix}group/` });
    const held = await waitFor('held', async () => {
      const c = await conditionOf(ns, 'Synced');
      return c?.reason === 'ChangeHeld' ? c : undefined;
    });
    assert.match(held.message ?? '', /group\.b/);
    assert.equal(Object.keys((await data(ns)) ?? {}).length, 4);
    // Put one back: the next revision removes only one key at once, within the limit.
    const rev = await env.put(`${prefix}group/b`, '2');
    await waitFor('published', async () => ((await synced(ns)) === rev.toString() ? {} : undefined));
    assert.deepEqual(Object.keys((await data(ns)) ?? {}).sort(), ['a', 'd', 'group.b']);
  });

  it('a CEL rule holds a value that breaks it (ValidationFailed, quoting its message) and publishes the fix', async () => {
    const rule = {
      rule: "data['port'].matches('^[0-9]+$') && int(data['port']) < 65536",
      message: 'port must be a TCP port number',
    };
    const { ns, prefix } = await env.freshApp(
      { validation: { rules: [rule] } },
      { port: '8080', host: 'db' },
    );
    await waitFor('first sync', async () => ((await data(ns))?.['port'] === '8080' ? {} : undefined));
    await env.put(`${prefix}port`, 'eighty');
    const failed = await waitFor('held', async () => {
      const c = await conditionOf(ns, 'Synced');
      return c?.reason === 'ValidationFailed' ? c : undefined;
    });
    assert.match(failed.message ?? '', /port must be a TCP port number/);
    assert.equal((await data(ns))?.['port'], '8080');
    const fixed = await env.put(`${prefix}port`, '9090');
    await waitFor('fix published', async () => ((await synced(ns)) === fixed.toString() ? {} : undefined));
    assert.equal((await data(ns))?.['port'], '9090');
    assert.equal((await conditionOf(ns, 'Ready'))?.status, 'True');
  });

  it('a JSON Schema per key glob holds a value that breaks it', async () => {
    const schema = { type: 'object', required: ['replicas'], properties: { replicas: { type: 'integer' } } };
    const { ns, prefix } = await env.freshApp(
      { validation: { schemas: [{ keys: '*.json', schema }] } },
      { 'app.json': '{"replicas": 2}' },
    );
    await waitFor('first sync', async () => ((await data(ns))?.['app.json'] ? {} : undefined));
    await env.put(`${prefix}app.json`, '{"replicas": "two"}');
    const failed = await waitFor('held', async () => {
      const c = await conditionOf(ns, 'Synced');
      return c?.reason === 'ValidationFailed' ? c : undefined;
    });
    assert.match(failed.message ?? '', /app\.json/);
    assert.equal((await data(ns))?.['app.json'], '{"replicas": 2}');
  });

  it('a rule that does not compile is an InvalidSpec', async () => {
    const { ns } = await env.freshApp(
      { validation: { rules: [{ rule: 'data[', message: 'broken' }] } },
      { k: 'v' },
    );
    const c = await waitFor('InvalidSpec', async () => {
      const r = await conditionOf(ns, 'Ready');
      return r?.reason === 'InvalidSpec' ? r : undefined;
    });
    assert.match(c.message ?? '', /spec\.validation\.rules\[0\]/);
  });

  it('keys.onInvalid Skip publishes the valid keys and lists the skipped ones, with one Warning', async () => {
    const { ns, prefix } = await env.freshApp({ keys: { onInvalid: 'Skip' } }, { good: '1', 'bad key': '2' });
    await waitFor('published', async () => ((await data(ns))?.['good'] === '1' ? {} : undefined));
    const psync = await env.prefixSync(ns, 'app');
    assert.deepEqual(psync?.status?.skippedKeys, [`${prefix}bad key`]);
    assert.equal(psync?.status?.skippedKeyCount, 1);
    assert.equal((await conditionOf(ns, 'Ready'))?.status, 'True');
    await env.put(`${prefix}other`, '3');
    await waitFor('next', async () => ((await data(ns))?.['other'] === '3' ? {} : undefined));
    const warnings = (await env.eventRecords(ns, 'app')).filter((e) => e.reason === 'InvalidKeysSkipped');
    assert.equal(warnings.length, 1, JSON.stringify(warnings));
    assert.equal(warnings[0]?.count, 1);
  });

  it('pinRevision serves the prefix as it was; a compacted pin is RevisionCompacted; unpinning follows etcd', async () => {
    const ns = await env.namespace();
    const prefix = `/${ns}/`;
    const pin = await env.put(`${prefix}level`, 'one');
    await env.put(`${prefix}level`, 'two');
    await env.put(`${prefix}extra`, 'x');
    await env.createPrefixSync(ns, 'app', {
      sourceRef: { name: 'main' },
      prefix,
      target: { name: 'cfg' },
      debounce: '0s',
      pinRevision: Number(pin),
    });
    await waitFor('pinned content', async () => ((await data(ns))?.['level'] === 'one' ? {} : undefined));
    assert.equal((await data(ns))?.['extra'], undefined);
    const status = (await env.prefixSync(ns, 'app'))?.status;
    assert.equal(status?.syncedRevision, pin.toString());
    assert.equal(status?.pinnedRevision, pin.toString());

    // A later write does not move a pinned PrefixSync: a spec edit after it is reconciled (observed
    // generation) and the ConfigMap still holds the pinned content.
    const later = await env.put(`${prefix}level`, 'three');
    await env.patchPrefixSync(ns, 'app', { spec: { debounce: '1ms' } });
    await waitFor('reconciled after the write', async () => {
      const p = await env.prefixSync(ns, 'app');
      return p?.status?.observedGeneration === p?.metadata.generation ? {} : undefined;
    });
    assert.equal((await data(ns))?.['level'], 'one');

    await env.etcdClient.kv.compact(later);
    await env.patchPrefixSync(ns, 'app', { spec: { pinRevision: Number(pin) + 1 } });
    await waitFor('RevisionCompacted', async () =>
      (await conditionOf(ns, 'Ready'))?.reason === 'RevisionCompacted' ? {} : undefined,
    );
    assert.equal((await data(ns))?.['level'], 'one');

    await env.patchPrefixSync(ns, 'app', { spec: { pinRevision: null } });
    await waitFor('follows etcd', async () => ((await data(ns))?.['level'] === 'three' ? {} : undefined));
    assert.equal((await env.prefixSync(ns, 'app'))?.status?.pinnedRevision, undefined);
  });
});
