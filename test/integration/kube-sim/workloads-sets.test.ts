import { strict as assert } from 'node:assert';
import { AppsV1Api, type V1DaemonSet, type V1StatefulSet } from '@kubernetes/client-node';
import { FAIL_ROLLOUTS_ANNOTATION, KubeSim } from '../../../src/envtest/kube-sim/index.js';
import { waitFor } from './helpers.js';
import { daemonSet, MERGE, podTemplate, record, statefulSet } from './workload-support.js';

const STEP_MS = 40;

function stsLine(s: V1StatefulSet): string {
  const st = s.status;
  return (
    `gen ${s.metadata?.generation}/${st?.observedGeneration ?? '-'} replicas ${st?.replicas} ready ${st?.readyReplicas ?? 0} ` +
    `current ${st?.currentReplicas ?? 0}@${st?.currentRevision} updated ${st?.updatedReplicas ?? 0}@${st?.updateRevision}`
  );
}

function dsLine(d: V1DaemonSet): string {
  const st = d.status;
  return (
    `gen ${d.metadata?.generation}/${st?.observedGeneration ?? '-'} desired ${st?.desiredNumberScheduled} ` +
    `current ${st?.currentNumberScheduled} updated ${st?.updatedNumberScheduled ?? 0} ready ${st?.numberReady} ` +
    `available ${st?.numberAvailable ?? 0} unavailable ${st?.numberUnavailable ?? 0}`
  );
}

describe('KubeSim workload controllers: StatefulSets and DaemonSets (through @kubernetes/client-node)', () => {
  let sim: KubeSim;
  let apps: AppsV1Api;

  beforeEach(async () => {
    sim = await KubeSim.start({ workloads: { stepDelayMs: STEP_MS, nodes: 3 } });
    apps = sim.kubeConfig().makeApiClient(AppsV1Api);
  });
  afterEach(async () => {
    await sim.close();
  });

  describe('a StatefulSet', () => {
    const read = (name: string): Promise<V1StatefulSet> =>
      apps.readNamespacedStatefulSet({ namespace: 'default', name });
    const until = (name: string, what: string, done: (s: V1StatefulSet) => boolean): Promise<V1StatefulSet> =>
      waitFor(`${name}: ${what}`, async () => {
        const s = await read(name);
        return done(s) ? s : stsLine(s);
      });
    const setTemplate = (name: string, version: string): Promise<V1StatefulSet> =>
      apps.patchNamespacedStatefulSet(
        { namespace: 'default', name, body: { spec: { template: podTemplate(name, version) } } },
        MERGE,
      );
    const ready = (s: V1StatefulSet): boolean =>
      s.status?.observedGeneration === s.metadata?.generation &&
      s.status?.readyReplicas === s.spec?.replicas &&
      s.status?.currentRevision === s.status?.updateRevision;

    it('comes up with currentRevision = updateRevision = <name>-<template hash>, then rolls a new template to the end', async () => {
      const created = await apps.createNamespacedStatefulSet({
        namespace: 'default',
        body: statefulSet('db', { replicas: 3 }),
      });
      assert.equal(created.spec?.updateStrategy?.type, 'RollingUpdate', 'the apiserver default');
      assert.equal(created.spec?.podManagementPolicy, 'OrderedReady');
      const first = await until('db', 'ready', ready);
      assert.match(first.status?.updateRevision ?? '', /^db-[a-z0-9]+$/);
      assert.deepEqual(
        [
          first.status?.replicas,
          first.status?.currentReplicas,
          first.status?.updatedReplicas,
          first.status?.availableReplicas,
        ],
        [3, 3, 3, 3],
      );
      const watch = await record<V1StatefulSet>(
        sim.kubeConfig(),
        '/apis/apps/v1/namespaces/default/statefulsets',
        'db',
      );
      let done: V1StatefulSet;
      try {
        await setTemplate('db', '2');
        done = await until('db', 'rolled out', (s) => s.metadata?.generation === 2 && ready(s));
      } finally {
        watch.stop();
      }
      const rolling = watch.seen.filter((s) => s.status?.observedGeneration === 2);
      const lines = rolling.map(stsLine).join('\n');
      assert.ok(
        rolling.some(
          (s) =>
            s.status?.currentRevision === first.status?.updateRevision &&
            s.status?.updateRevision !== first.status?.updateRevision &&
            s.status?.updatedReplicas === 2,
        ),
        `the old revision stays current while pods are replaced:\n${lines}`,
      );
      assert.notEqual(done.status?.currentRevision, first.status?.currentRevision);
      assert.deepEqual([done.status?.currentReplicas, done.status?.updatedReplicas], [3, 3]);
    });

    it('with a partition updates only the ordinals at or above it, and keeps the old revision current', async () => {
      await apps.createNamespacedStatefulSet({
        namespace: 'default',
        body: statefulSet('db', {
          replicas: 3,
          updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } },
        }),
      });
      const first = await until('db', 'ready', ready);
      await setTemplate('db', '2');
      const partitioned = await until(
        'db',
        'ordinal 2 updated and ready',
        (s) =>
          s.status?.observedGeneration === 2 &&
          s.status?.updatedReplicas === 1 &&
          s.status?.readyReplicas === 3,
      );
      assert.equal(partitioned.status?.currentRevision, first.status?.updateRevision);
      assert.notEqual(partitioned.status?.updateRevision, first.status?.updateRevision);
      assert.equal(partitioned.status?.currentReplicas, 2);
    });

    it('OnDelete: observedGeneration and updateRevision move, no pod is replaced', async () => {
      await apps.createNamespacedStatefulSet({
        namespace: 'default',
        body: statefulSet('db', { replicas: 2, updateStrategy: { type: 'OnDelete' } }),
      });
      const first = await until('db', 'ready', ready);
      await setTemplate('db', '2');
      const after = await until('db', 'generation 2 observed', (s) => s.status?.observedGeneration === 2);
      assert.notEqual(after.status?.updateRevision, first.status?.updateRevision);
      assert.equal(after.status?.currentRevision, first.status?.currentRevision);
      assert.deepEqual(
        [after.status?.updatedReplicas, after.status?.currentReplicas, after.status?.readyReplicas],
        [undefined, 2, 2],
      );
    });

    it(`${FAIL_ROLLOUTS_ANNOTATION}: stops with the updated pod not ready`, async () => {
      await apps.createNamespacedStatefulSet({
        namespace: 'default',
        body: statefulSet('db', { replicas: 3 }),
      });
      const first = await until('db', 'ready', ready);
      await apps.patchNamespacedStatefulSet(
        {
          namespace: 'default',
          name: 'db',
          body: {
            metadata: { annotations: { [FAIL_ROLLOUTS_ANNOTATION]: 'true' } },
            spec: { template: podTemplate('db', '2') },
          },
        },
        MERGE,
      );
      const stuck = await until('db', 'one pod updated', (s) => s.status?.updatedReplicas === 1);
      assert.equal(stuck.status?.readyReplicas, 2, 'the updated pod is not ready');
      assert.equal(stuck.status?.currentRevision, first.status?.currentRevision);
    });
  });

  describe('a DaemonSet', () => {
    const read = (name: string): Promise<V1DaemonSet> =>
      apps.readNamespacedDaemonSet({ namespace: 'default', name });
    const until = (name: string, what: string, done: (d: V1DaemonSet) => boolean): Promise<V1DaemonSet> =>
      waitFor(`${name}: ${what}`, async () => {
        const d = await read(name);
        return done(d) ? d : dsLine(d);
      });
    const available = (d: V1DaemonSet): boolean =>
      d.status?.observedGeneration === d.metadata?.generation &&
      d.status?.updatedNumberScheduled === 3 &&
      d.status?.numberAvailable === 3;

    it('runs a pod on each of the simulated nodes and rolls a new template node by node', async () => {
      await apps.createNamespacedDaemonSet({ namespace: 'default', body: daemonSet('agent') });
      const first = await until('agent', 'available', available);
      assert.deepEqual(
        [
          first.status?.desiredNumberScheduled,
          first.status?.currentNumberScheduled,
          first.status?.numberReady,
          first.status?.numberMisscheduled,
          first.status?.numberUnavailable,
        ],
        [3, 3, 3, 0, undefined],
      );
      await apps.patchNamespacedDaemonSet(
        { namespace: 'default', name: 'agent', body: { spec: { template: podTemplate('agent', '2') } } },
        MERGE,
      );
      const midway = await until(
        'agent',
        'one node replaced',
        (d) => d.status?.observedGeneration === 2 && (d.status?.updatedNumberScheduled ?? 0) >= 1,
      );
      assert.ok((midway.status?.numberUnavailable ?? 0) <= 1, `maxUnavailable 1: ${dsLine(midway)}`);
      await until('agent', 'rolled out', available);
    });

    it(`${FAIL_ROLLOUTS_ANNOTATION}: stops with one node's new pod not ready (maxUnavailable 1)`, async () => {
      await apps.createNamespacedDaemonSet({ namespace: 'default', body: daemonSet('agent') });
      await until('agent', 'available', available);
      await apps.patchNamespacedDaemonSet(
        {
          namespace: 'default',
          name: 'agent',
          body: {
            metadata: { annotations: { [FAIL_ROLLOUTS_ANNOTATION]: 'true' } },
            spec: { template: podTemplate('agent', '2') },
          },
        },
        MERGE,
      );
      const stuck = await until(
        'agent',
        'one node replaced',
        (d) => d.status?.observedGeneration === 2 && d.status?.updatedNumberScheduled === 1,
      );
      assert.deepEqual([stuck.status?.numberReady, stuck.status?.numberUnavailable], [2, 1], dsLine(stuck));
    });

    it(`${FAIL_ROLLOUTS_ANNOTATION} on a new DaemonSet: every pod created, none ready`, async () => {
      await apps.createNamespacedDaemonSet({
        namespace: 'default',
        body: daemonSet('agent', {}, { [FAIL_ROLLOUTS_ANNOTATION]: 'true' }),
      });
      const stuck = await until('agent', 'scheduled', (d) => d.status?.currentNumberScheduled === 3);
      assert.deepEqual(
        [stuck.status?.numberReady, stuck.status?.numberUnavailable, stuck.status?.updatedNumberScheduled],
        [0, 3, 3],
      );
    });
  });
});
