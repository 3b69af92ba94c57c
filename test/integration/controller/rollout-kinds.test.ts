// The opt-in workload kinds, against real etcd and the simulator: a CronJob's job template is rolled (the
// next Job runs the new content, no Job is touched); an Argo Rollout is patched and followed through its
// own status (Healthy completes, Degraded fails it and Rollback undoes it); a kind the operator does not
// roll, a Rollout with workloadRef, and a cluster without Argo's CRD each get a clear condition.
import { strict as assert } from 'node:assert';
import { BatchV1Api, type V1CronJob, type V1PodSpec } from '@kubernetes/client-node';
import type { PrefixSyncSpec, WorkloadKind } from '../../../src/api/index.js';
import { podTemplateOf, type Workload } from '../../../src/kube/index.js';
import type { Manager } from '../../../src/operator/index.js';
import { createRollout, installArgoRolloutCrd, readRollout, setRolloutStatus } from './argo-rollout-crd.js';
import type { TestEnv } from './support.js';
import { mountingPodSpec, templateHashOf, useTestEnv, waitFor } from './support.js';

const ALL_KINDS: WorkloadKind[] = ['Deployment', 'StatefulSet', 'DaemonSet', 'CronJob', 'Rollout'];
/** PrefixSyncs labelled so go to the manager that rolls every kind; `plain` to one with the defaults. */
const EXTRA = { labels: { kinds: 'extra' } };
const PLAIN = { labels: { kinds: 'plain' } };

const hashOf = (w: Workload, prefixSync = 'app'): string | undefined =>
  podTemplateOf(w)?.metadata?.annotations?.[`config-hash.etcdconfig.dev/${prefixSync}`];

/** Helpers over one TestEnv. */
function helpers(get: () => TestEnv) {
  const batch = (): BatchV1Api => get().kc.makeApiClient(BatchV1Api);
  const conditions = async (ns: string, name = 'app'): Promise<Record<string, string>> =>
    Object.fromEntries(
      ((await get().prefixSync(ns, name))?.status?.conditions ?? []).map((c) => [
        c.type,
        `${c.status}/${c.reason}`,
      ]),
    );
  const message = async (ns: string, type: string, name = 'app'): Promise<string> =>
    (await get().prefixSync(ns, name))?.status?.conditions?.find((c) => c.type === type)?.message ?? '';
  /** A fresh namespace with `mode=ok` under its prefix, and PrefixSync `app` of it into `cfg`. */
  const app = async (
    rollout: PrefixSyncSpec['rollout'],
    metadata: Record<string, unknown>,
    before: (ns: string) => Promise<void> = () => Promise.resolve(),
  ): Promise<{ ns: string; prefix: string }> => {
    const env = get();
    const ns = await env.namespace();
    const prefix = `/${ns}/`;
    await env.put(`${prefix}mode`, 'ok');
    await before(ns);
    await env.createPrefixSync(
      ns,
      'app',
      { sourceRef: { name: 'main' }, prefix, target: { name: 'cfg' }, debounce: '0s', rollout },
      metadata,
    );
    return { ns, prefix };
  };
  const createCronJob = async (ns: string, name: string, podSpec: V1PodSpec): Promise<V1CronJob> =>
    batch().createNamespacedCronJob({
      namespace: ns,
      body: {
        metadata: { name },
        spec: {
          schedule: '*/5 * * * *',
          jobTemplate: { spec: { template: { spec: { ...podSpec, restartPolicy: 'OnFailure' } } } },
        },
      },
    });
  return { batch, conditions, message, app, createCronJob };
}

describe('PrefixSync rollouts of CronJobs and Argo Rollouts (real etcd + simulator)', function () {
  this.timeout(120_000);
  let env: TestEnv;
  const h = helpers(() => env);

  useTestEnv(async (e) => {
    env = e;
    await installArgoRolloutCrd(env.sim);
    // Two operators, sharded by label: one rolls every kind, one only the default ones.
    await env.startManager({ rolloutKinds: ALL_KINDS, shardSelector: 'kinds=extra' });
    await env.startManager({ shardSelector: 'kinds=plain' });
  });

  describe('a CronJob', () => {
    it("mode targets: a change annotates the job template's pod template; the running Job is not touched", async () => {
      const { ns, prefix } = await h.app(
        { mode: 'targets', targets: [{ kind: 'CronJob', name: 'nightly' }] },
        EXTRA,
        async (ns) => {
          const cronJob = await h.createCronJob(ns, 'nightly', mountingPodSpec('cfg'));
          // A Job the CronJob started before the change (no controller runs in the simulator: made by hand).
          await h.batch().createNamespacedJob({
            namespace: ns,
            body: {
              metadata: {
                name: 'nightly-29000000',
                ownerReferences: [
                  {
                    apiVersion: 'batch/v1',
                    kind: 'CronJob',
                    name: 'nightly',
                    uid: cronJob.metadata?.uid ?? '',
                    controller: true,
                  },
                ],
              },
              spec: { template: { spec: { ...mountingPodSpec('cfg'), restartPolicy: 'OnFailure' } } },
            },
          });
        },
      );
      await waitFor('first sync', async () => (await h.conditions(ns))['RolledOut'] === 'True/InitialSync');
      const jobBefore = await h.batch().readNamespacedJob({ namespace: ns, name: 'nightly-29000000' });

      const rev = await env.put(`${prefix}mode`, 'new');
      const psync = await waitFor('rolled out', async () => {
        const p = await env.prefixSync(ns, 'app');
        return p?.status?.syncedRevision === rev.toString() &&
          (await h.conditions(ns))['RolledOut'] === 'True/RolledOut'
          ? p
          : undefined;
      });
      const cronJob = await h.batch().readNamespacedCronJob({ namespace: ns, name: 'nightly' });
      assert.equal(hashOf(cronJob), psync.status?.contentHash);
      assert.equal(
        cronJob.spec?.jobTemplate.spec?.template.metadata?.annotations?.['etcdconfig.dev/config-hash'],
        psync.status?.contentHash,
      );
      assert.deepEqual(psync.status?.rolledOut, [
        { kind: 'CronJob', name: 'nightly', hash: psync.status?.contentHash },
      ]);
      assert.match(
        await h.message(ns, 'RolledOut'),
        /CronJob nightly runs content hash \w+ \(.*next Job runs the new content/,
      );
      const jobAfter = await h.batch().readNamespacedJob({ namespace: ns, name: 'nightly-29000000' });
      assert.equal(
        jobAfter.metadata?.resourceVersion,
        jobBefore.metadata?.resourceVersion,
        'the Job was touched',
      );
      assert.equal(jobAfter.spec?.template.metadata?.annotations, undefined);
    });

    it('mode auto finds the CronJobs whose job template uses the ConfigMap, and only those', async () => {
      const { ns, prefix } = await h.app({ mode: 'auto' }, EXTRA, async (ns) => {
        await h.createCronJob(ns, 'report', {
          containers: [{ name: 'app', image: 'report', envFrom: [{ configMapRef: { name: 'cfg' } }] }],
        });
        await h.createCronJob(ns, 'cleanup', { containers: [{ name: 'app', image: 'cleanup' }] });
      });
      await waitFor('first sync', async () => (await h.conditions(ns))['RolledOut'] === 'True/InitialSync');
      await env.put(`${prefix}mode`, 'new');
      await waitFor('rolled out', async () => (await h.conditions(ns))['RolledOut'] === 'True/RolledOut');
      const contentHash = (await env.prefixSync(ns, 'app'))?.status?.contentHash;
      const report = await h.batch().readNamespacedCronJob({ namespace: ns, name: 'report' });
      assert.equal(hashOf(report), contentHash);
      const cleanup = await h.batch().readNamespacedCronJob({ namespace: ns, name: 'cleanup' });
      assert.equal(cleanup.metadata?.generation, 1, 'a CronJob that does not use the ConfigMap was rolled');
    });
  });

  describe('an Argo Rollout', () => {
    /** Rollout `web` mounting `cfg`, Healthy at its first generation as Argo would report it. */
    const healthyWeb = async (ns: string): Promise<void> => {
      await createRollout(env.sim, ns, 'web', { podSpec: mountingPodSpec('cfg') });
      await setRolloutStatus(env.sim, ns, 'web', { atCurrentGeneration: true, phase: 'Healthy' });
    };

    it('mode auto: patched, Progressing while Argo rolls, RolledOut once it reports Healthy at the new generation', async () => {
      const { ns, prefix } = await h.app({ mode: 'auto' }, EXTRA, healthyWeb);
      await waitFor('first sync', async () => (await h.conditions(ns))['RolledOut'] === 'True/InitialSync');
      await env.put(`${prefix}mode`, 'new');
      const { contentHash } = await waitFor('Rollout patched', async () => {
        const hash = (await env.prefixSync(ns, 'app'))?.status?.contentHash;
        const web = await readRollout(env.sim, ns, 'web');
        return hash !== undefined && hashOf(web) === hash ? { contentHash: hash } : undefined;
      });
      await waitFor(
        'progressing',
        async () => (await h.conditions(ns))['RolledOut'] === 'Unknown/Progressing',
      );
      // Argo works through its canary steps: a pause is still progress.
      await setRolloutStatus(env.sim, ns, 'web', {
        atCurrentGeneration: true,
        phase: 'Paused',
        message: 'CanaryPauseStep',
      });
      await waitFor('paused is reported', async () =>
        /paused \(canary step \/ analysis\)/.test(
          (await env.prefixSync(ns, 'app'))?.status?.rollout?.message ?? '',
        ),
      );
      assert.equal((await h.conditions(ns))['RolledOut'], 'Unknown/Progressing');
      // Healthy at the generation the operator's patch made: done. (A number this time.)
      const generation = (await readRollout(env.sim, ns, 'web')).metadata?.generation ?? 0;
      await setRolloutStatus(env.sim, ns, 'web', { observedGeneration: generation, phase: 'Healthy' });
      await waitFor('rolled out', async () => (await h.conditions(ns))['RolledOut'] === 'True/RolledOut');
      const psync = await env.prefixSync(ns, 'app');
      assert.equal(psync?.status?.contentHash, contentHash);
      assert.deepEqual(psync?.status?.rolledOut, [{ kind: 'Rollout', name: 'web', hash: contentHash }]);
      assert.match(
        await h.message(ns, 'RolledOut'),
        /Rollout web runs content hash \w+ \(Rollout web: is Healthy\)/,
      );
    });

    it('Halt: Degraded fails the rollout (RolloutFailed naming the Rollout and its message); nothing is undone', async () => {
      const { ns, prefix } = await h.app(
        { mode: 'targets', targets: [{ kind: 'Rollout', name: 'web' }] },
        EXTRA,
        healthyWeb,
      );
      await waitFor('first sync', async () => (await h.conditions(ns))['RolledOut'] === 'True/InitialSync');
      await env.put(`${prefix}mode`, 'broken');
      await waitFor(
        'progressing',
        async () => (await h.conditions(ns))['RolledOut'] === 'Unknown/Progressing',
      );
      await setRolloutStatus(env.sim, ns, 'web', {
        atCurrentGeneration: true,
        phase: 'Degraded',
        message: 'RolloutAborted: Metric "error-rate" assessed Failed',
        conditions: [
          {
            type: 'Progressing',
            status: 'False',
            reason: 'RolloutAborted',
            message: 'Rollout aborted update to revision 2',
          },
        ],
      });
      await waitFor('failed', async () => (await h.conditions(ns))['RolledOut'] === 'False/RolloutFailed');
      assert.match(
        await h.message(ns, 'RolledOut'),
        /failed: Rollout web reports RolloutAborted \(Rollout aborted update to revision 2\)/,
      );
      const psync = await env.prefixSync(ns, 'app');
      assert.equal(psync?.status?.rollout?.phase, 'Failed');
      assert.equal(
        hashOf(await readRollout(env.sim, ns, 'web')),
        psync?.status?.contentHash,
        'Halt leaves it',
      );
    });

    it('Rollback: Degraded rolls the ConfigMap and the Rollout back to the last good content, followed to Healthy', async () => {
      const { ns, prefix } = await h.app(
        { mode: 'targets', targets: [{ kind: 'Rollout', name: 'web' }], onFailure: 'Rollback' },
        EXTRA,
        healthyWeb,
      );
      await waitFor('first sync', async () => (await h.conditions(ns))['RolledOut'] === 'True/InitialSync');
      const goodHash = (await env.prefixSync(ns, 'app'))?.status?.contentHash ?? '';
      const badRev = await env.put(`${prefix}mode`, 'broken');
      await waitFor('bad content patched', async () => {
        const web = await readRollout(env.sim, ns, 'web');
        return hashOf(web) !== undefined && hashOf(web) !== goodHash;
      });
      await setRolloutStatus(env.sim, ns, 'web', {
        atCurrentGeneration: true,
        phase: 'Degraded',
        message: 'RolloutAborted: Metric "error-rate" assessed Failed',
      });
      await waitFor('rolled back', async () => (await h.conditions(ns))['Synced'] === 'False/RolledBack');
      const held = await env.prefixSync(ns, 'app');
      assert.equal(held?.status?.rolledBack?.revision, badRev.toString());
      assert.match(
        held?.status?.rolledBack?.message ?? '',
        /Rollout web is Degraded \(RolloutAborted: Metric "error-rate" assessed Failed\)/,
      );
      assert.equal((await env.configMap(ns, 'cfg'))?.data?.['mode'], 'ok', 'the ConfigMap is restored');
      await waitFor(
        'Rollout back on the good content',
        async () => hashOf(await readRollout(env.sim, ns, 'web')) === goodHash,
      );
      await waitFor(
        'rollback followed',
        async () => (await h.conditions(ns))['RolledOut'] === 'Unknown/Progressing',
      );
      // Argo rolls back to its stable ReplicaSet and reports Healthy at the new generation.
      await setRolloutStatus(env.sim, ns, 'web', {
        atCurrentGeneration: true,
        phase: 'Healthy',
        message: '',
      });
      await waitFor(
        'rollback rolled out',
        async () => (await h.conditions(ns))['RolledOut'] === 'True/RolledOut',
      );
      assert.equal(hashOf(await readRollout(env.sim, ns, 'web')), goodHash);
    });

    it('a Rollout that takes its template from a Deployment (workloadRef) is reported as unsupported, not skipped', async () => {
      const { ns } = await h.app(
        { mode: 'targets', targets: [{ kind: 'Rollout', name: 'ref' }] },
        EXTRA,
        async (ns) => {
          await env.createDeployment(ns, 'ref-template', mountingPodSpec('cfg'));
          await createRollout(env.sim, ns, 'ref', {
            raw: {
              replicas: 1,
              selector: { matchLabels: { app: 'ref-template' } },
              workloadRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'ref-template' },
            },
          });
        },
      );
      await waitFor('failed', async () => (await h.conditions(ns))['RolledOut'] === 'False/RolloutFailed');
      assert.match(
        await h.message(ns, 'RolledOut'),
        /Rollout ref: it takes its pod template from Deployment ref-template \(spec.workloadRef\), which is not supported yet/,
      );
    });
  });

  describe('a kind the operator does not roll', () => {
    it('fails with RolloutFailed saying which flag and Helm value enable it; the workload is left alone', async () => {
      const { ns, prefix } = await h.app(
        {
          mode: 'targets',
          targets: [
            { kind: 'CronJob', name: 'nightly' },
            { kind: 'Rollout', name: 'web' },
          ],
        },
        PLAIN,
        async (ns) => {
          await h.createCronJob(ns, 'nightly', mountingPodSpec('cfg'));
          await createRollout(env.sim, ns, 'web', { podSpec: mountingPodSpec('cfg') });
        },
      );
      await waitFor('failed', async () => (await h.conditions(ns))['RolledOut'] === 'False/RolloutFailed');
      const text = await h.message(ns, 'RolledOut');
      assert.match(
        text,
        /CronJob nightly: this operator does not roll workloads of kind CronJob: start the operator with --rollout-cronjobs=true \(Helm value rollout.cronJobs.enabled=true/,
      );
      assert.match(
        text,
        /Rollout web: this operator does not roll workloads of kind Rollout: start the operator with --rollout-argo-rollouts=true \(Helm value rollout.argoRollouts.enabled=true/,
      );
      // The ConfigMap is still synced, and a change rolls nothing.
      await env.put(`${prefix}mode`, 'new');
      await waitFor('synced', async () => (await env.configMap(ns, 'cfg'))?.data?.['mode'] === 'new');
      await waitFor(
        'still failed',
        async () => (await h.conditions(ns))['RolledOut'] === 'False/RolloutFailed',
      );
      const cronJob = await h.batch().readNamespacedCronJob({ namespace: ns, name: 'nightly' });
      assert.equal(cronJob.metadata?.generation, 1);
      assert.equal((await readRollout(env.sim, ns, 'web')).metadata?.generation, 1);
    });
  });
});

describe("PrefixSync rollouts without Argo Rollouts' CRD (real etcd + simulator)", function () {
  this.timeout(120_000);
  let env: TestEnv;
  let manager: Manager;
  const h = helpers(() => env);

  useTestEnv(async (e) => {
    env = e;
    manager = await env.startManager({ rolloutKinds: ALL_KINDS });
  });

  it('runs on: informers sync, mode auto rolls the Deployments; a Rollout target names the missing CRD until it is installed', async () => {
    await waitFor('informers synced', () => manager.informersSynced());
    const auto = await h.app({ mode: 'auto' }, {}, async (ns) =>
      env.createDeployment(ns, 'api', mountingPodSpec('cfg')),
    );
    const argo = await h.app({ mode: 'targets', targets: [{ kind: 'Rollout', name: 'web' }] }, {});
    await waitFor(
      'auto: first sync',
      async () => (await h.conditions(auto.ns))['RolledOut'] === 'True/InitialSync',
    );
    await waitFor(
      'Rollout target: failed',
      async () => (await h.conditions(argo.ns))['RolledOut'] === 'False/RolloutFailed',
    );
    assert.match(
      await h.message(argo.ns, 'RolledOut'),
      /Rollout web: the API server does not serve rollouts.argoproj.io \(argoproj.io\/v1alpha1\): Argo Rollouts' CRD is not installed/,
    );
    assert.equal(
      (await h.conditions(argo.ns))['Synced'],
      'True/Synced',
      'the ConfigMap is written all the same',
    );

    await env.put(`${auto.prefix}mode`, 'new');
    await waitFor(
      'auto: rolled out',
      async () => (await h.conditions(auto.ns))['RolledOut'] === 'True/RolledOut',
    );
    const api = await env.deployment(auto.ns, 'api');
    assert.equal(templateHashOf(api), (await env.prefixSync(auto.ns, 'app'))?.status?.contentHash);

    // Argo Rollouts gets installed; the next look at the PrefixSync finds its Rollout.
    await installArgoRolloutCrd(env.sim);
    await createRollout(env.sim, argo.ns, 'web', { podSpec: mountingPodSpec('cfg') });
    await env.patchPrefixSync(argo.ns, 'app', { metadata: { labels: { poke: '1' } } });
    await waitFor(
      'Rollout target: fine',
      async () => (await h.conditions(argo.ns))['RolledOut'] === 'True/InitialSync',
    );
  });
});
