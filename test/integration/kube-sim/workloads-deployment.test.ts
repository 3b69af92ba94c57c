import { strict as assert } from 'node:assert';
import { AppsV1Api, CoreV1Api, type KubeConfig, type V1Deployment } from '@kubernetes/client-node';
import { FakeClock } from '../../../src/base/index.js';
import {
  FAIL_ROLLOUTS_ANNOTATION,
  FAIL_WHEN_ANNOTATION,
  KubeSim,
} from '../../../src/envtest/kube-sim/index.js';
import { expectStatus, waitFor } from './helpers.js';
import { condition, deployment, deploymentLine, MERGE, podTemplate, record } from './workload-support.js';

/** Short steps keep the suite quick; every wait below has the default 30 s deadline. */
const STEP_MS = 40;

describe('KubeSim workload controllers: Deployments (through @kubernetes/client-node)', () => {
  let sim: KubeSim;
  let kc: KubeConfig;
  let apps: AppsV1Api;
  let core: CoreV1Api;

  async function start(options: Parameters<typeof KubeSim.start>[0] = {}): Promise<void> {
    sim = await KubeSim.start({ workloads: { stepDelayMs: STEP_MS }, ...options });
    kc = sim.kubeConfig();
    apps = kc.makeApiClient(AppsV1Api);
    core = kc.makeApiClient(CoreV1Api);
  }
  afterEach(async () => {
    await sim.close();
  });

  const read = (name: string): Promise<V1Deployment> =>
    apps.readNamespacedDeployment({ namespace: 'default', name });

  /** Waits until the Deployment's current generation is rolled out and complete. */
  async function rolledOut(name: string): Promise<V1Deployment> {
    return waitFor(`${name} rolled out`, async () => {
      const d = await read(name);
      const s = d.status ?? {};
      const replicas = d.spec?.replicas ?? 1;
      const done =
        s.observedGeneration === d.metadata?.generation &&
        (s.updatedReplicas ?? 0) === replicas &&
        (s.replicas ?? 0) === replicas &&
        (s.availableReplicas ?? 0) === replicas &&
        condition(d, 'Progressing') === 'True/NewReplicaSetAvailable';
      return done ? d : deploymentLine(d);
    });
  }

  async function setTemplate(name: string, version: string, configMap?: string): Promise<V1Deployment> {
    return apps.patchNamespacedDeployment(
      {
        namespace: 'default',
        name,
        body: { spec: { template: podTemplate(name, version, configMap) } },
      },
      MERGE,
    );
  }

  describe('created', () => {
    beforeEach(() => start());

    it('becomes available, with the counts and conditions kube-controller-manager writes', async () => {
      const created = await apps.createNamespacedDeployment({
        namespace: 'default',
        body: deployment('web', { replicas: 2 }),
      });
      assert.deepEqual(JSON.parse(JSON.stringify(created.spec?.strategy)), {
        type: 'RollingUpdate',
        rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' },
      });
      assert.equal(created.spec?.progressDeadlineSeconds, 600, 'the apiserver default');
      const d = await rolledOut('web');
      assert.equal(d.metadata?.generation, 1, 'status writes do not move the generation');
      assert.deepEqual(
        [d.status?.replicas, d.status?.updatedReplicas, d.status?.readyReplicas, d.status?.availableReplicas],
        [2, 2, 2, 2],
      );
      assert.equal(d.status?.unavailableReplicas, undefined, 'zero is left out (omitempty)');
      const available = d.status?.conditions?.find((c) => c.type === 'Available');
      assert.equal(available?.reason, 'MinimumReplicasAvailable');
      assert.equal(available?.message, 'Deployment has minimum availability.');
      const progressing = d.status?.conditions?.find((c) => c.type === 'Progressing');
      assert.match(progressing?.message ?? '', /^ReplicaSet "web-[a-z0-9]+" has successfully progressed\.$/);
    });

    it('with 0 replicas completes at once', async () => {
      await apps.createNamespacedDeployment({
        namespace: 'default',
        body: deployment('none', { replicas: 0 }),
      });
      const d = await rolledOut('none');
      assert.equal(d.status?.replicas, undefined);
      assert.equal(condition(d, 'Available'), 'True/MinimumReplicasAvailable');
    });
  });

  describe('a new pod template', () => {
    beforeEach(() => start());

    it('is rolled out step by step within maxSurge/maxUnavailable, then reported complete', async () => {
      await apps.createNamespacedDeployment({
        namespace: 'default',
        body: deployment('web', { replicas: 4 }),
      });
      const before = await rolledOut('web');
      const watch = await record<V1Deployment>(kc, '/apis/apps/v1/namespaces/default/deployments', 'web');
      try {
        await setTemplate('web', '2');
        const after = await rolledOut('web');
        assert.equal(after.metadata?.generation, 2);
        const rollout = watch.seen.filter((d) => d.status?.observedGeneration === 2);
        const lines = rollout.map(deploymentLine);
        const reasons = rollout.map((d) => condition(d, 'Progressing'));
        assert.equal(reasons[0], 'True/NewReplicaSetCreated', lines.join('\n'));
        assert.ok(reasons.includes('True/ReplicaSetUpdated'), lines.join('\n'));
        assert.equal(reasons[reasons.length - 1], 'True/NewReplicaSetAvailable');
        assert.ok(rollout.length >= 4, `a rollout of 4 pods in steps, seen: \n${lines.join('\n')}`);
        for (const d of rollout) {
          const s = d.status!;
          assert.ok((s.replicas ?? 0) <= 5, `more than 4 + maxSurge 1 pods: ${deploymentLine(d)}`);
          assert.ok(
            (s.availableReplicas ?? 0) >= 3,
            `fewer than 4 - maxUnavailable 1 available: ${deploymentLine(d)}`,
          );
        }
        const updated = rollout.map((d) => d.status?.updatedReplicas ?? 0);
        assert.deepEqual(
          [...updated].sort((a, b) => a - b),
          updated,
          'updatedReplicas only grows',
        );
        const created = before.status?.conditions?.find((c) => c.type === 'Progressing');
        const done = after.status?.conditions?.find((c) => c.type === 'Progressing');
        assert.notEqual(done?.message, created?.message, 'a new ReplicaSet');
      } finally {
        watch.stop();
      }
    });

    it('leaves concurrent spec changes alone: every client patch stays, observedGeneration follows', async () => {
      await apps.createNamespacedDeployment({
        namespace: 'default',
        body: deployment('web', { replicas: 3 }),
      });
      for (let i = 2; i <= 6; i++) await setTemplate('web', String(i));
      await apps.patchNamespacedDeployment(
        { namespace: 'default', name: 'web', body: { spec: { replicas: 2 } } },
        MERGE,
      );
      const d = await rolledOut('web');
      assert.equal(d.metadata?.generation, 7);
      assert.equal(d.spec?.replicas, 2);
      assert.equal(d.spec?.template.metadata?.annotations?.['version'], '6');
    });
  });

  describe('a newer template mid-rollout (fake clock: one step per advance)', () => {
    it('arriving mid-rollout restarts the progression for the newest template', async () => {
      const clock = new FakeClock(Date.parse('2026-01-01T00:00:00Z'));
      await start({ workloads: { stepDelayMs: 1_000, clock } });
      await apps.createNamespacedDeployment({
        namespace: 'default',
        body: deployment('web', { replicas: 4 }),
      });
      const step = async (want: (d: V1Deployment) => boolean): Promise<V1Deployment> => {
        clock.advance(1_000);
        return waitFor('the step', async () => {
          const d = await read('web');
          return want(d) ? d : deploymentLine(d);
        });
      };
      await waitFor('observed', async () => (await read('web')).status?.observedGeneration === 1);
      await step((d) => d.status?.updatedReplicas === 4);
      await step((d) => d.status?.availableReplicas === 4);
      await setTemplate('web', '2');
      const second = await waitFor('generation 2 observed', async () => {
        const d = await read('web');
        return d.status?.observedGeneration === 2 ? d : deploymentLine(d);
      });
      const secondSet = second.status?.conditions?.find((c) => c.type === 'Progressing')?.message;
      const midway = await step((d) => (d.status?.updatedReplicas ?? 0) > 0);
      assert.ok((midway.status?.updatedReplicas ?? 0) < 4, `midway: ${deploymentLine(midway)}`);

      await setTemplate('web', '3');
      const third = await waitFor('generation 3 observed', async () => {
        const d = await read('web');
        return d.status?.observedGeneration === 3 ? d : deploymentLine(d);
      });
      assert.equal(condition(third, 'Progressing'), 'True/NewReplicaSetCreated');
      const thirdSet = third.status?.conditions?.find((c) => c.type === 'Progressing')?.message;
      assert.match(thirdSet ?? '', /^Created new replica set "web-[a-z0-9]+"$/);
      assert.match(secondSet ?? '', /^Created new replica set "web-[a-z0-9]+"$/);
      assert.notEqual(thirdSet, secondSet, 'a ReplicaSet of its own');
      assert.equal(third.status?.updatedReplicas, undefined, 'nothing of the newest template yet');
      const stillOld = await read('web');
      assert.equal(stillOld.status?.observedGeneration, 3, 'no step without the clock');

      // Every step of this rollout changes the status (4 replicas, 25%/25%: three steps).
      for (
        let i = 0;
        i < 10 && condition(await read('web'), 'Progressing') !== 'True/NewReplicaSetAvailable';
        i++
      ) {
        const before = deploymentLine(await read('web'));
        await step((d) => deploymentLine(d) !== before);
      }
      const done = await read('web');
      assert.equal(condition(done, 'Progressing'), 'True/NewReplicaSetAvailable', deploymentLine(done));
      assert.match(
        done.status?.conditions?.find((c) => c.type === 'Progressing')?.message ?? '',
        new RegExp(`^ReplicaSet "${thirdSet?.match(/"(.+)"/)?.[1] ?? '?'}" has successfully progressed\\.$`),
      );
      assert.deepEqual([done.status?.replicas, done.status?.updatedReplicas], [4, 4]);
    });
  });

  describe('the fail switch', () => {
    beforeEach(() => start());

    it(`${FAIL_ROLLOUTS_ANNOTATION}: the new pods never become ready; ProgressDeadlineExceeded after progressDeadlineSeconds`, async () => {
      await apps.createNamespacedDeployment({
        namespace: 'default',
        body: deployment('web', { replicas: 3, progressDeadlineSeconds: 2 }),
      });
      await rolledOut('web');
      await apps.patchNamespacedDeployment(
        {
          namespace: 'default',
          name: 'web',
          body: {
            metadata: { annotations: { [FAIL_ROLLOUTS_ANNOTATION]: 'true' } },
            spec: { template: podTemplate('web', '2') },
          },
        },
        MERGE,
      );
      const d = await waitFor('ProgressDeadlineExceeded', async () => {
        const x = await read('web');
        return condition(x, 'Progressing') === 'False/ProgressDeadlineExceeded' ? x : deploymentLine(x);
      });
      assert.equal(d.status?.observedGeneration, d.metadata?.generation);
      assert.deepEqual(
        [
          d.status?.replicas,
          d.status?.updatedReplicas,
          d.status?.availableReplicas,
          d.status?.unavailableReplicas,
        ],
        [4, 1, 3, 1],
        'the surge pod is unready, the old ones still serve',
      );
      assert.equal(condition(d, 'Available'), 'True/MinimumReplicasAvailable');
      const progressing = d.status?.conditions?.find((c) => c.type === 'Progressing');
      assert.match(progressing?.message ?? '', /^ReplicaSet "web-[a-z0-9]+" has timed out progressing\.$/);
      assert.equal(String(progressing?.lastUpdateTime), String(progressing?.lastTransitionTime));
    });

    it(`${FAIL_WHEN_ANNOTATION}: a rollout fails while a ConfigMap it uses holds the value; the rollback after restoring it succeeds`, async () => {
      await core.createNamespacedConfigMap({
        namespace: 'default',
        body: { metadata: { name: 'cfg' }, data: { mode: 'ok' } },
      });
      await apps.createNamespacedDeployment({
        namespace: 'default',
        body: deployment(
          'web',
          { replicas: 2, progressDeadlineSeconds: 2, template: podTemplate('web', '1', 'cfg') },
          { [FAIL_WHEN_ANNOTATION]: 'mode=broken, level=9' },
        ),
      });
      await rolledOut('web');

      await core.patchNamespacedConfigMap(
        { namespace: 'default', name: 'cfg', body: { data: { mode: 'broken' } } },
        MERGE,
      );
      await setTemplate('web', '2', 'cfg');
      const failed = await waitFor('the bad rollout failed', async () => {
        const x = await read('web');
        return condition(x, 'Progressing') === 'False/ProgressDeadlineExceeded' ? x : deploymentLine(x);
      });
      assert.equal(failed.status?.availableReplicas, 2, 'the old pods still serve');

      await core.patchNamespacedConfigMap(
        { namespace: 'default', name: 'cfg', body: { data: { mode: 'ok' } } },
        MERGE,
      );
      await setTemplate('web', '1', 'cfg');
      const back = await rolledOut('web');
      assert.deepEqual(
        [back.status?.replicas, back.status?.updatedReplicas, back.status?.availableReplicas],
        [2, 2, 2],
      );
    });

    it('refuses a malformed switch with 422, naming the annotation', async () => {
      const st = await expectStatus(422, () =>
        apps.createNamespacedDeployment({
          namespace: 'default',
          body: deployment('web', {}, { [FAIL_WHEN_ANNOTATION]: 'mode' }),
        }),
      );
      assert.equal(st.details?.causes?.[0]?.field, `metadata.annotations[${FAIL_WHEN_ANNOTATION}]`);
      assert.match(st.message, /'mode' is not <key>=<value>/);
    });
  });
});
