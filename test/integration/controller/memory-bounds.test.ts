// What the operator holds of a prefix, on real etcd and the simulator: never more than a ConfigMap can
// publish (of a prefix over 1 MiB of values only a summary is kept, and it is reported TooLarge until
// it shrinks), and never a new mirror past its ClusterEtcdSource's budget (SourceBudgetExceeded) while
// the PrefixSyncs already served go on.
import { strict as assert } from 'node:assert';
import { CONFIGMAP_MAX_BYTES, PrefixSyncReason } from '../../../src/api/index.js';
import type { Manager } from '../../../src/operator/index.js';
import { metricValue } from '../../support/metrics.js';
import { OPEN_SOURCE, useTestEnv, waitFor, type TestEnv } from './support.js';

describe('PrefixSync memory bounds (real etcd + simulator)', function () {
  this.timeout(90_000);
  let env: TestEnv;
  let manager: Manager;

  useTestEnv(async (e) => {
    env = e;
    manager = await env.startManager();
  });

  /** The Ready condition as `Status/Reason` and its message. */
  async function ready(ns: string, name = 'app'): Promise<{ is: string; message: string }> {
    const c = (await env.prefixSync(ns, name))?.status?.conditions?.find((x) => x.type === 'Ready');
    return { is: c ? `${c.status}/${c.reason}` : '(none)', message: c?.message ?? '' };
  }

  const mirrorBytes = (source: string): Promise<number | undefined> =>
    metricValue(manager, 'etcdconfig_source_mirror_bytes', { source });

  it('a prefix that grows past 1 MiB is TooLarge with its values released; back under, it syncs etcd’s content at that revision', async () => {
    const VALUE = 400_000;
    const { ns, prefix } = await env.freshApp({}, { small: 'v' });
    for (let i = 0; i < 2; i++) await env.put(`${prefix}big${i}`, Buffer.alloc(VALUE, 'x'));
    await waitFor(
      '800 KB synced',
      async () => Object.keys((await env.configMap(ns, 'cfg'))?.data ?? {}).length === 3 || undefined,
    );
    const good = await env.configMap(ns, 'cfg');

    await env.put(`${prefix}big2`, Buffer.alloc(VALUE, 'x'));
    const total = 3 * VALUE + 1;
    const over = await waitFor('TooLarge at the last put', async () => {
      const r = await ready(ns);
      return (
        (r.is === `False/${PrefixSyncReason.TooLarge}` && r.message.includes(`${total} bytes`) && r) || r.is
      );
    });
    assert.match(
      over.message,
      new RegExp(`over the limit of ${CONFIGMAP_MAX_BYTES} bytes, in 4 keys under ${prefix}`),
    );
    assert.ok(
      over.message.includes(`the biggest: "${prefix}big0" (${VALUE} bytes), "${prefix}big1"`),
      over.message,
    );
    assert.match(over.message, /To fix: a ConfigMap holds at most 1 MiB/);
    const held = (await mirrorBytes('main')) ?? 0;
    assert.ok(held < VALUE, `the mirrors of source main hold ${held} bytes: the values were released`);
    const cm = await env.configMap(ns, 'cfg');
    assert.equal(
      cm?.metadata?.resourceVersion,
      good?.metadata?.resourceVersion,
      'the last good ConfigMap stays',
    );

    const { revision } = await env.etcdClient.kv.delete({ key: `${prefix}big0` });
    const synced = await waitFor('synced after the delete', async () => {
      const ps = await env.prefixSync(ns, 'app');
      return (
        (ps?.status?.syncedRevision === String(revision) && ps) ||
        `${(await ready(ns)).is} at ${ps?.status?.syncedRevision}`
      );
    });
    assert.equal((await ready(ns)).is, 'True/Synced');
    const truth = await env.etcdClient.kv.range({ prefix, revision: BigInt(synced.status!.syncedRevision!) });
    const data = (await env.configMap(ns, 'cfg'))?.data ?? {};
    assert.deepEqual(
      Object.keys(data).sort(),
      truth.kvs.map((kv) => kv.key.toString().slice(prefix.length)).sort(),
    );
    assert.equal(data['big1'], 'x'.repeat(VALUE));
    assert.equal(data['small'], 'v');
  });

  it('a prefix that does not fit its source’s budget is SourceBudgetExceeded; those served go on; room makes it sync', async () => {
    await env.createSource('small', { ...OPEN_SOURCE, limits: { maxMirrorBytes: '1Mi' } });
    const app = async (key: string): Promise<{ ns: string; prefix: string }> => {
      const created = await env.freshApp({ sourceRef: { name: 'small' } }, { [key]: 'y'.repeat(600_000) });
      return created;
    };
    const a = await app('a');
    await waitFor(
      'the first PrefixSync synced',
      async () => (await ready(a.ns)).is === 'True/Synced' || undefined,
    );
    const b = await app('b');
    const refused = await waitFor('the second refused', async () => {
      const r = await ready(b.ns);
      return (r.is === `False/${PrefixSyncReason.SourceBudgetExceeded}` && r) || `${r.is}: ${r.message}`;
    });
    assert.match(refused.message, /ClusterEtcdSource small/);
    assert.match(refused.message, /budget of 1048576 bytes \(1 MiB\) \(spec\.limits\.maxMirrorBytes\)/);
    assert.match(refused.message, new RegExp(`mirroring ${b.prefix} needs at least`));
    const events = await env.events(b.ns, 'app');
    assert.ok(
      events.some((e) => e.startsWith(`Warning/${PrefixSyncReason.SourceBudgetExceeded}:`)),
      events.join('\n'),
    );
    assert.equal(
      await metricValue(manager, 'etcdconfig_source_mirror_budget_bytes', { source: 'small' }),
      1048576,
    );
    const held = (await mirrorBytes('small')) ?? 0;
    assert.ok(held > 600_000 && held <= 1048576, `source small holds ${held} bytes`);

    // The PrefixSync already served goes on syncing.
    await env.put(`${a.prefix}later`, 'z');
    await waitFor(
      'a change reaches the first ConfigMap',
      async () => (await env.configMap(a.ns, 'cfg'))?.data?.['later'] === 'z' || undefined,
    );
    assert.equal((await ready(b.ns)).is, `False/${PrefixSyncReason.SourceBudgetExceeded}`);

    // A higher budget makes room: the refused PrefixSync is asked to sync again, and does.
    await env.patchSource('small', { spec: { limits: { maxMirrorBytes: '2Mi' } } });
    await waitFor('the second synced', async () => (await ready(b.ns)).is === 'True/Synced' || undefined);
    assert.equal((await env.configMap(b.ns, 'cfg'))?.data?.['b']?.length, 600_000);
  });
});
