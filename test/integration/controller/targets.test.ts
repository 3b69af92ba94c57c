// Target options against real etcd and the simulator: Secret targets (opt-in, and no value ever in an
// Event, the status, a log line or a metric), spec.target.metadata added and removed, immutable targets
// replaced on change, and adopting an unclaimed ConfigMap.
import { strict as assert } from 'node:assert';
import type { V1Secret } from '@kubernetes/client-node';
import { FAIL_ROLLOUTS_ANNOTATION } from '../../../src/envtest/index.js';
import type { LogFields, Logger } from '../../../src/observability/index.js';
import type { Manager } from '../../../src/operator/index.js';
import type { TestEnv } from './support.js';
import { useTestEnv, waitFor } from './support.js';

/** A Logger that keeps every line, at every level, as JSON text (what a log collector would see). */
class CapturingLogger implements Logger {
  constructor(
    readonly lines: string[],
    private readonly fields: LogFields = {},
  ) {}
  private write(level: string, msg: string, fields?: LogFields): void {
    this.lines.push(
      JSON.stringify({ level, msg, ...this.fields, ...fields }, (_k, v: unknown) =>
        typeof v === 'bigint' ? v.toString() : v instanceof Error ? `${v.name}: ${v.message}` : v,
      ),
    );
  }
  error(msg: string, fields?: LogFields): void {
    this.write('error', msg, fields);
  }
  warn(msg: string, fields?: LogFields): void {
    this.write('warn', msg, fields);
  }
  info(msg: string, fields?: LogFields): void {
    this.write('info', msg, fields);
  }
  debug(msg: string, fields?: LogFields): void {
    this.write('debug', msg, fields);
  }
  child(fields: LogFields): Logger {
    return new CapturingLogger(this.lines, { ...this.fields, ...fields });
  }
}

describe('PrefixSync target options (real etcd + simulator)', function () {
  this.timeout(120_000);
  let env: TestEnv;
  let manager: Manager;
  const logs: string[] = [];

  useTestEnv(async (e) => {
    env = e;
    // Two shards: one operator with Secret targets, one (label shard=plain) without.
    manager = await env.startManager({
      secretTargets: true,
      shardSelector: 'shard!=plain',
      logger: new CapturingLogger(logs),
      // Long: drift must be repaired by the watch of managed Secrets, not by a resync.
      resyncPeriodMs: 30 * 60_000,
    });
    await env.startManager({ shardSelector: 'shard=plain' });
  });

  const secret = async (ns: string, name: string): Promise<V1Secret | undefined> => {
    try {
      return await env.core.readNamespacedSecret({ namespace: ns, name });
    } catch {
      return undefined;
    }
  };
  const decoded = (s: V1Secret | undefined, key: string): string | undefined => {
    const v = s?.data?.[key];
    return v === undefined ? undefined : Buffer.from(v, 'base64').toString('utf8');
  };
  const conditionOf = async (ns: string, type: string) =>
    (await env.prefixSync(ns, 'app'))?.status?.conditions?.find((c) => c.type === type);

  describe('kind Secret', () => {
    it('writes an Opaque Secret, rolls its consumers, and no value reaches an Event, the status, a log line or a metric', async () => {
      const VALUE = 'Zq7-s3cr3t-d8e1f0';
      const HELD = 'held-Xy9-v4lue-77c2';
      const NEXT = 'N3xt-s3cr3t-a41b90';
      const ns = await env.namespace();
      const prefix = `/${ns}/`;
      await env.put(`${prefix}password`, VALUE);
      await env.put(`${prefix}mode`, 'ok');
      // Consumes the Secret only through envFrom.secretRef: rollout mode auto must find it.
      await env.apps.createNamespacedDeployment({
        namespace: ns,
        body: {
          metadata: { name: 'web' },
          spec: {
            replicas: 1,
            selector: { matchLabels: { app: 'web' } },
            template: {
              metadata: { labels: { app: 'web' } },
              spec: {
                containers: [{ name: 'app', image: 'nginx', envFrom: [{ secretRef: { name: 'creds' } }] }],
              },
            },
          },
        },
      });
      await env.createPrefixSync(ns, 'app', {
        sourceRef: { name: 'main' },
        prefix,
        target: { name: 'creds', kind: 'Secret' },
        debounce: '0s',
        rollout: { mode: 'auto', progressDeadline: '2s' },
        // A CEL error can quote the value it fails on: a Secret target's message must not.
        validation: {
          rules: [
            {
              rule: "int(data['password']) > 0 || !data['password'].startsWith('held')",
              message: 'no held passwords',
            },
          ],
        },
      });
      await waitFor('first sync', async () => decoded(await secret(ns, 'creds'), 'password') === VALUE);
      const first = await secret(ns, 'creds');
      assert.equal(first?.type, 'Opaque');
      assert.equal(first?.data?.['mode'], Buffer.from('ok').toString('base64'));
      assert.equal(await env.configMap(ns, 'creds'), undefined, 'no ConfigMap besides the Secret');

      // A guard failure.
      await env.put(`${prefix}password`, HELD);
      const held = await waitFor('held', async () => {
        const c = await conditionOf(ns, 'Synced');
        return c?.reason === 'ValidationFailed' ? c : c?.reason;
      });
      assert.match(held.message ?? '', /details are withheld because the target is a Secret/);
      assert.equal(decoded(await secret(ns, 'creds'), 'password'), VALUE, 'the last good Secret stays');

      // A rollout of the consumer.
      await env.put(`${prefix}password`, NEXT);
      await waitFor(
        'rolled out',
        async () => (await env.condition(ns, 'app', 'RolledOut')) === 'True/RolledOut',
      );
      assert.equal(decoded(await secret(ns, 'creds'), 'password'), NEXT);

      // A failed rollout (the simulator's fault switch: the next rollout of web never comes up).
      const web = await env.deployment(ns, 'web');
      await env.apps.replaceNamespacedDeployment({
        namespace: ns,
        name: 'web',
        body: { ...web, metadata: { ...web.metadata, annotations: { [FAIL_ROLLOUTS_ANNOTATION]: 'true' } } },
      });
      await env.put(`${prefix}mode`, 'broken');
      await waitFor(
        'failed',
        async () => (await env.condition(ns, 'app', 'RolledOut')) === 'False/RolloutFailed',
      );

      const needles = [VALUE, HELD, NEXT].flatMap((v) => [v, Buffer.from(v).toString('base64')]);
      const events = await env.core.listNamespacedEvent({ namespace: ns });
      const places: Record<string, string> = {
        events: JSON.stringify(events.items),
        status: JSON.stringify((await env.prefixSync(ns, 'app'))?.status),
        logs: logs.join('\n'),
        metrics: await manager.metrics.registry.metrics(),
      };
      assert.ok(places['events']?.includes('ValidationFailed'), 'the scan sees the Events');
      assert.ok(places['logs']?.includes('change held'), 'the scan sees the log lines');
      assert.ok(places['metrics']?.includes('etcdconfig_'), 'the scan sees the metrics');
      const leaks = Object.entries(places).flatMap(([where, text]) =>
        needles.filter((n) => text.includes(n)).map((n) => `${where}: ${n}`),
      );
      assert.deepEqual(leaks, []);
    });

    it('repairs a Secret edited by hand within seconds (it watches the Secrets it manages)', async () => {
      const ns = await env.namespace();
      const prefix = `/${ns}/`;
      await env.put(`${prefix}password`, 'p1');
      await env.createPrefixSync(ns, 'app', {
        sourceRef: { name: 'main' },
        prefix,
        target: { name: 'creds', kind: 'Secret' },
        debounce: '0s',
      });
      // Settled: synced, status written (its finalizer too), so no reconcile is still on its way.
      await waitFor('first sync', async () =>
        (await env.condition(ns, 'app', 'Synced'))?.startsWith('True/'),
      );
      const synced = await secret(ns, 'creds');
      assert.equal(decoded(synced, 'password'), 'p1');
      await env.core.replaceNamespacedSecret({
        namespace: ns,
        name: 'creds',
        body: { ...synced, data: { password: Buffer.from('edited').toString('base64') } },
      });
      await waitFor(
        'repaired',
        async () => {
          const value = decoded(await secret(ns, 'creds'), 'password');
          return value === 'p1' || `password is ${value}`;
        },
        5_000,
      );
    });

    it('never takes over a Secret of another type, even with adopt (its type cannot change)', async () => {
      const ns = await env.namespace();
      const prefix = `/${ns}/`;
      await env.put(`${prefix}k`, 'v');
      const tls = {
        'tls.crt': Buffer.from('c').toString('base64'),
        'tls.key': Buffer.from('k').toString('base64'),
      };
      await env.core.createNamespacedSecret({
        namespace: ns,
        body: { metadata: { name: 'creds' }, type: 'kubernetes.io/tls', data: tls },
      });
      await env.createPrefixSync(ns, 'app', {
        sourceRef: { name: 'main' },
        prefix,
        target: { name: 'creds', kind: 'Secret', adopt: true },
        debounce: '0s',
      });
      const c = await waitFor('conflict', async () => {
        const s = await conditionOf(ns, 'Synced');
        return s?.reason === 'TargetConflict' ? s : s?.reason;
      });
      assert.match(c.message ?? '', /type kubernetes\.io\/tls/);
      assert.deepEqual((await secret(ns, 'creds'))?.data, tls);
    });

    it('is refused without --secret-targets (SecretTargetsDisabled naming the flag), writing nothing', async () => {
      const ns = await env.namespace();
      const prefix = `/${ns}/`;
      await env.put(`${prefix}password`, 'x');
      await env.createPrefixSync(
        ns,
        'app',
        { sourceRef: { name: 'main' }, prefix, target: { name: 'creds', kind: 'Secret' }, debounce: '0s' },
        { labels: { shard: 'plain' } },
      );
      const c = await waitFor('refused', async () => {
        const s = await conditionOf(ns, 'Synced');
        return s?.reason === 'SecretTargetsDisabled' ? s : s?.reason;
      });
      assert.equal(c.status, 'False');
      assert.match(c.message ?? '', /--secret-targets .*secretTargets\.enabled/);
      assert.equal(await secret(ns, 'creds'), undefined);
    });
  });

  it('metadata: puts labels and annotations on the target, removes one taken out of the spec, keeps others', async () => {
    const { ns } = await env.freshApp(
      {
        target: {
          name: 'cfg',
          metadata: { labels: { tier: 'web', team: 'a' }, annotations: { 'example.com/note': 'n' } },
        },
      },
      { k: 'v' },
    );
    const first = await waitFor('labelled', async () => {
      const cm = await env.configMap(ns, 'cfg');
      return cm?.metadata?.labels?.['team'] === 'a' ? cm : undefined;
    });
    assert.equal(first.metadata?.labels?.['tier'], 'web');
    assert.equal(first.metadata?.labels?.['app.kubernetes.io/managed-by'], 'etcd-config-operator');
    assert.equal(first.metadata?.annotations?.['example.com/note'], 'n');
    // Someone else labels it too.
    await env.core.replaceNamespacedConfigMap({
      namespace: ns,
      name: 'cfg',
      body: { ...first, metadata: { ...first.metadata, labels: { ...first.metadata?.labels, mine: 'yes' } } },
    });
    await env.patchPrefixSync(ns, 'app', {
      spec: { target: { metadata: { labels: { team: null }, annotations: null } } },
    });
    const after = await waitFor('unlabelled', async () => {
      const cm = await env.configMap(ns, 'cfg');
      return cm?.metadata?.labels?.['team'] === undefined ? cm : 'team still there';
    });
    assert.equal(after.metadata?.labels?.['tier'], 'web');
    assert.equal(after.metadata?.labels?.['mine'], 'yes', "others' labels stay");
    assert.equal(after.metadata?.annotations?.['example.com/note'], undefined);
  });

  it('immutable: writes the target immutable and replaces it (a new object) when the content changes', async () => {
    const { ns, prefix } = await env.freshApp({ target: { name: 'cfg', immutable: true } }, { k: 'one' });
    const first = await waitFor('synced', async () => {
      const cm = await env.configMap(ns, 'cfg');
      return cm?.data?.['k'] === 'one' ? cm : undefined;
    });
    assert.equal(first.immutable, true);
    await env.put(`${prefix}k`, 'two');
    const second = await waitFor('replaced', async () => {
      const cm = await env.configMap(ns, 'cfg');
      return cm?.data?.['k'] === 'two' ? cm : undefined;
    });
    assert.equal(second.immutable, true);
    assert.notEqual(second.metadata?.uid, first.metadata?.uid, 'a new object');
    assert.equal((await env.condition(ns, 'app', 'Synced'))?.startsWith('True'), true);
  });

  it('adopt: an unclaimed ConfigMap is a TargetConflict without adopt, and adopted with it (Event Adopted), its other labels kept', async () => {
    const ns = await env.namespace();
    const prefix = `/${ns}/`;
    await env.put(`${prefix}k`, 'v');
    await env.core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'cfg', labels: { owner: 'hand' } }, data: { old: 'x' } },
    });
    await env.createPrefixSync(ns, 'app', {
      sourceRef: { name: 'main' },
      prefix,
      target: { name: 'cfg' },
      debounce: '0s',
    });
    const conflict = await waitFor('conflict', async () => {
      const c = await conditionOf(ns, 'Synced');
      return c?.reason === 'TargetConflict' ? c : c?.reason;
    });
    assert.match(conflict.message ?? '', /spec\.target\.adopt: true/);
    assert.equal((await env.configMap(ns, 'cfg'))?.data?.['old'], 'x', 'left untouched');
    await env.patchPrefixSync(ns, 'app', { spec: { target: { adopt: true } } });
    const adopted = await waitFor('adopted', async () => {
      const cm = await env.configMap(ns, 'cfg');
      return cm?.data?.['k'] === 'v' ? cm : undefined;
    });
    assert.equal(adopted.metadata?.labels?.['owner'], 'hand');
    assert.equal(adopted.data?.['old'], undefined);
    assert.equal(adopted.metadata?.ownerReferences?.[0]?.kind, 'PrefixSync');
    const events = await waitFor('Adopted Event', async () => {
      const all = await env.events(ns, 'app');
      return all.some((e) => e.startsWith('Normal/Adopted')) ? all : undefined;
    });
    assert.match(
      events.find((e) => e.startsWith('Normal/Adopted')) ?? '',
      /Adopted ConfigMap .*\/cfg .*former state: owner: no PrefixSync \(created by someone else\); labels: owner/,
    );
  });

  it('adopt never takes a ConfigMap another controller owns', async () => {
    const ns = await env.namespace();
    const prefix = `/${ns}/`;
    await env.put(`${prefix}k`, 'v');
    // A real owner: the garbage collector removes dependents of a missing one.
    await env.createDeployment(ns, 'other', { containers: [{ name: 'c', image: 'nginx' }] });
    const owner = await env.deployment(ns, 'other');
    await env.core.createNamespacedConfigMap({
      namespace: ns,
      body: {
        metadata: {
          name: 'cfg',
          ownerReferences: [
            {
              apiVersion: 'apps/v1',
              kind: 'Deployment',
              name: 'other',
              uid: owner.metadata?.uid ?? '',
              controller: true,
            },
          ],
        },
        data: { old: 'x' },
      },
    });
    await env.createPrefixSync(ns, 'app', {
      sourceRef: { name: 'main' },
      prefix,
      target: { name: 'cfg', adopt: true },
      debounce: '0s',
    });
    const c = await waitFor('conflict', async () => {
      const s = await conditionOf(ns, 'Synced');
      return s?.reason === 'TargetConflict' ? s : s?.reason;
    });
    assert.match(c.message ?? '', /owner: Deployment other/);
    assert.equal((await env.configMap(ns, 'cfg'))?.data?.['old'], 'x');
  });
});
