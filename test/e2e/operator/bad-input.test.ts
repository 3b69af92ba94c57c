import { strict as assert } from 'node:assert';
import type { V1ConfigMap } from '@kubernetes/client-node';
import {
  ClusterEtcdSourceConditionType,
  ClusterEtcdSourceReason,
  CONFIGMAP_MAX_BYTES,
  PrefixSyncConditionType,
  PrefixSyncReason,
} from '../../../src/api/index.js';
import { freeLoopbackPorts } from '../../../src/envtest/etcd/index.js';
import { conditionOf, describeConditions } from '../support/kube-api.js';
import { useOperatorEnv } from '../support/mocha-hooks.js';
import { newTenant, specFor, waitForCondition, waitForExactSync, type Tenant } from '../support/scenario.js';
import { waitFor } from '../support/wait.js';

const { Ready, Synced } = PrefixSyncConditionType;

describe('operator e2e: bad input is reported in a condition and the last good ConfigMap stays', function () {
  this.timeout(180_000);
  const e = useOperatorEnv();

  /** A synced tenant (no rollout) and its good ConfigMap. */
  async function synced(): Promise<{ t: Tenant; good: V1ConfigMap }> {
    const t = await newTenant(e());
    await e().etcdClient.kv.put(`${t.prefix}good`, 'value');
    await e().kube.createPrefixSync(t.namespace, t.prefixSync, specFor(t, { rollout: { mode: 'none' } }));
    const s = await waitForExactSync(e(), t);
    return { t, good: s.configMap };
  }

  async function assertIntact(t: Tenant, good: V1ConfigMap): Promise<void> {
    const cm = await e().kube.getConfigMap(t.namespace, good.metadata!.name!);
    assert.ok(cm, 'the ConfigMap still exists');
    assert.deepEqual(cm.data, good.data, 'the ConfigMap keeps its last good data');
    assert.equal(
      cm.metadata?.resourceVersion,
      good.metadata?.resourceVersion,
      'the ConfigMap was not rewritten',
    );
  }

  /** Waits for Ready=False and Synced=False with `reason`; returns the message of Ready. */
  async function expectProblem(t: Tenant, reason: string, types = [Ready, Synced]): Promise<string> {
    let message = '';
    for (const type of types) {
      const ps = await waitForCondition(e(), t.namespace, t.prefixSync, type, 'False', reason);
      if (type === Ready) message = conditionOf(ps, Ready)!.message;
    }
    return message;
  }

  it('InvalidKey: a key that is no valid ConfigMap key is named; removing it heals', async () => {
    const { t, good } = await synced();
    await e().etcdClient.kv.put(`${t.prefix}bad key`, 'x');
    const message = await expectProblem(t, PrefixSyncReason.InvalidKey);
    assert.match(message, /bad key/, 'the condition names the offending key');
    await assertIntact(t, good);
    await e().etcdClient.kv.delete({ key: `${t.prefix}bad key` });
    await waitForExactSync(e(), t);
  });

  it('KeyCollision: two etcd keys mapping to one ConfigMap key are both named', async () => {
    const { t, good } = await synced();
    await e().etcdClient.kv.txn({
      success: [
        { type: 'put', key: `${t.prefix}x/y`, value: '1' },
        { type: 'put', key: `${t.prefix}x.y`, value: '2' },
      ],
    });
    const message = await expectProblem(t, PrefixSyncReason.KeyCollision);
    assert.match(message, /x\/y/, 'the message names x/y');
    assert.match(message, /x\.y/, 'the message names x.y');
    await assertIntact(t, good);
  });

  it('TooLarge: content over the 1 MiB ConfigMap limit is refused whole', async () => {
    const { t, good } = await synced();
    await e().etcdClient.kv.put(`${t.prefix}big`, 'x'.repeat(CONFIGMAP_MAX_BYTES + 1));
    await expectProblem(t, PrefixSyncReason.TooLarge);
    await assertIntact(t, good);
  });

  it('PrefixForbidden: a prefix no access rule allows is refused', async () => {
    const { t, good } = await synced();
    await e().etcdClient.kv.put(`/forbidden-${t.namespace}/secret`, 'nope');
    await e().kube.updatePrefixSync(t.namespace, t.prefixSync, (ps) => {
      ps.spec.prefix = `/forbidden-${t.namespace}/`;
    });
    await expectProblem(t, PrefixSyncReason.PrefixForbidden, [Ready]);
    await assertIntact(t, good);
  });

  it('SourceNotFound: a sourceRef naming no ClusterEtcdSource is reported', async () => {
    const { t, good } = await synced();
    await e().kube.updatePrefixSync(t.namespace, t.prefixSync, (ps) => {
      ps.spec.sourceRef.name = `no-such-source-${t.namespace}`;
    });
    await expectProblem(t, PrefixSyncReason.SourceNotFound, [Ready]);
    await assertIntact(t, good);
  });

  it('TargetConflict: a ConfigMap of the same name that the PrefixSync does not own is never overwritten', async () => {
    const t = await newTenant(e());
    await e().etcdClient.kv.put(`${t.prefix}good`, 'value');
    const foreign = await e().kube.createConfigMap(t.namespace, t.configMap, { mine: 'yes' });
    await e().kube.createPrefixSync(t.namespace, t.prefixSync, specFor(t, { rollout: { mode: 'none' } }));
    await expectProblem(t, PrefixSyncReason.TargetConflict, [Ready]);
    await assertIntact(t, foreign);
    const cm = await e().kube.getConfigMap(t.namespace, t.configMap);
    assert.equal(cm?.metadata?.ownerReferences, undefined, 'no ownerReference was added');
  });

  it('SourceUnavailable: etcd unreachable through the ClusterEtcdSource is reported on both objects', async () => {
    const { t, good } = await synced();
    const [deadPort] = await freeLoopbackPorts(1);
    await e().kube.updateSource(t.source, (spec) => {
      spec.endpoints = [`127.0.0.1:${deadPort}`];
    });
    await waitFor('ClusterEtcdSource Ready=False SourceUnavailable', async () => {
      const s = await e().kube.getSource(t.source);
      const c = conditionOf(s, ClusterEtcdSourceConditionType.Ready);
      return (
        (c?.status === 'False' && c.reason === ClusterEtcdSourceReason.SourceUnavailable) ||
        describeConditions(s)
      );
    });
    await expectProblem(t, PrefixSyncReason.SourceUnavailable, [Ready]);
    await assertIntact(t, good);
    // Healing: the right endpoint again, and a change made meanwhile arrives.
    await e().etcdClient.kv.put(`${t.prefix}good`, 'new value');
    await e().kube.updateSource(t.source, (spec) => {
      spec.endpoints = [e().etcdEndpoint];
    });
    const s = await waitForExactSync(e(), t);
    assert.equal(s.configMap.data?.['good'], 'new value');
  });
});
