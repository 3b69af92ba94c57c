// Key-aware restarts (rollout mode auto) against real etcd and the simulator: a Deployment that reads
// one key of the ConfigMap is restarted only when that key changes; one that reads all of it, on any.
// The same for a Secret target read through secretKeyRef.
import { strict as assert } from 'node:assert';
import type { TestEnv } from './support.js';
import { templateHashOf, useTestEnv, waitFor } from './support.js';

describe('PrefixSync key-aware restarts (real etcd + simulator)', function () {
  this.timeout(60_000);
  let env: TestEnv;

  /** Waits until PrefixSync `app` has synced revision `rev` and completed its rollout; what status lists. */
  async function rolledOutAt(ns: string, rev: bigint): Promise<string[]> {
    const psync = await waitFor('rolled out', async () => {
      const p = await env.prefixSync(ns, 'app');
      const done = p?.status?.syncedRevision === rev.toString() && p.status.rollout?.phase === 'Complete';
      return done ? p : undefined;
    });
    return (psync.status?.rolledOut ?? []).map((w) => w.name);
  }

  useTestEnv(async (e) => {
    env = e;
    await env.startManager({ secretTargets: true });
  });

  it('changing key b restarts only the envFrom Deployment; changing key a restarts both', async () => {
    const ns = await env.namespace();
    const prefix = `/${ns}/`;
    await env.put(`${prefix}a`, '1');
    await env.put(`${prefix}b`, '1');
    await env.createDeployment(ns, 'keyed', {
      containers: [
        {
          name: 'app',
          image: 'nginx',
          env: [{ name: 'A', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'a' } } }],
        },
      ],
    });
    await env.createDeployment(ns, 'whole', {
      containers: [{ name: 'app', image: 'nginx', envFrom: [{ configMapRef: { name: 'cfg' } }] }],
    });
    await env.createPrefixSync(ns, 'app', {
      sourceRef: { name: 'main' },
      prefix,
      target: { name: 'cfg' },
      debounce: '0s',
      rollout: { mode: 'auto' },
    });
    await waitFor(
      'first sync',
      async () => (await env.condition(ns, 'app', 'RolledOut')) === 'True/InitialSync',
    );

    const rolledAt = (rev: bigint): Promise<string[]> => rolledOutAt(ns, rev);
    const generations = async (): Promise<[number?, number?]> => [
      (await env.deployment(ns, 'keyed')).metadata?.generation,
      (await env.deployment(ns, 'whole')).metadata?.generation,
    ];

    // b is not read by keyed: only whole restarts, and only whole is listed.
    assert.deepEqual(await rolledAt(await env.put(`${prefix}b`, '2')), ['whole']);
    assert.deepEqual(await generations(), [1, 2]);
    assert.equal(templateHashOf(await env.deployment(ns, 'keyed')), undefined);

    // a is: both restart; keyed carries the hash of its key, whole the content hash.
    assert.deepEqual((await rolledAt(await env.put(`${prefix}a`, '2'))).sort(), ['keyed', 'whole']);
    assert.deepEqual(await generations(), [2, 3]);
    assert.match(templateHashOf(await env.deployment(ns, 'keyed')) ?? '', /^keys-/);
    assert.equal(
      templateHashOf(await env.deployment(ns, 'whole')),
      (await env.prefixSync(ns, 'app'))?.status?.contentHash,
    );
  });

  it('a Secret target: a secretKeyRef reader of key a is restarted only when a changes', async () => {
    const ns = await env.namespace();
    const prefix = `/${ns}/`;
    await env.put(`${prefix}a`, '1');
    await env.put(`${prefix}b`, '1');
    await env.createDeployment(ns, 'keyed', {
      containers: [
        {
          name: 'app',
          image: 'nginx',
          env: [{ name: 'A', valueFrom: { secretKeyRef: { name: 'creds', key: 'a' } } }],
        },
      ],
    });
    await env.createPrefixSync(ns, 'app', {
      sourceRef: { name: 'main' },
      prefix,
      target: { name: 'creds', kind: 'Secret' },
      debounce: '0s',
      rollout: { mode: 'auto' },
    });
    await waitFor(
      'first sync',
      async () => (await env.condition(ns, 'app', 'RolledOut')) === 'True/InitialSync',
    );
    const rolledAt = (rev: bigint): Promise<string[]> => rolledOutAt(ns, rev);
    // b is read by no workload: the rollout restarts nothing, lists nothing, and completes promptly.
    assert.deepEqual(await rolledAt(await env.put(`${prefix}b`, '2')), []);
    assert.equal((await env.deployment(ns, 'keyed')).metadata?.generation, 1);
    const { startTime, completionTime } = (await env.prefixSync(ns, 'app'))?.status?.rollout ?? {};
    assert.ok(startTime && completionTime, 'a complete rollout has both times');
    assert.ok(Date.parse(completionTime) - Date.parse(startTime) < 5_000, `${startTime} → ${completionTime}`);
    assert.deepEqual(await rolledAt(await env.put(`${prefix}a`, '2')), ['keyed']);
    assert.equal((await env.deployment(ns, 'keyed')).metadata?.generation, 2);
    assert.match(templateHashOf(await env.deployment(ns, 'keyed')) ?? '', /^keys-/);
  });
});
