// The simulator's CronJobs and Jobs (batch/v1): stored as kube-apiserver stores them — status reset on
// create, generation bumped on spec changes only, a status subresource — with no controller acting on them.
import { strict as assert } from 'node:assert';
import { BatchV1Api, PatchStrategy, setHeaderOptions, type V1CronJob } from '@kubernetes/client-node';
import { KubeSim } from '../../../src/envtest/kube-sim/index.js';
import { http } from './helpers.js';

const MERGE = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

function cronJob(name: string): V1CronJob {
  return {
    metadata: { name },
    spec: {
      schedule: '0 3 * * *',
      jobTemplate: {
        spec: {
          template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'app', image: 'report' }] } },
        },
      },
    },
    status: { lastScheduleTime: new Date(0) },
  };
}

describe('KubeSim CronJobs and Jobs (batch/v1)', () => {
  let sim: KubeSim;
  let batch: BatchV1Api;

  before(async () => {
    sim = await KubeSim.start({ workloads: false });
    batch = sim.kubeConfig().makeApiClient(BatchV1Api);
  });
  after(async () => {
    await sim.close();
  });

  it('is served under batch/v1 in discovery', async () => {
    const { status, json } = await http(`${sim.url}/apis/batch/v1`);
    assert.equal(status, 200);
    const names = (json['resources'] as Array<{ name: string }>).map((r) => r.name).sort();
    assert.deepEqual(names, ['cronjobs', 'cronjobs/status', 'jobs', 'jobs/status']);
  });

  it('resets status on create, bumps generation on a job-template change only, and keeps status to /status', async () => {
    const created = await batch.createNamespacedCronJob({ namespace: 'default', body: cronJob('nightly') });
    assert.equal(created.metadata?.generation, 1);
    assert.deepEqual({ ...created.status }, {});
    const annotated = await batch.patchNamespacedCronJob(
      {
        namespace: 'default',
        name: 'nightly',
        body: { spec: { jobTemplate: { spec: { template: { metadata: { annotations: { a: '1' } } } } } } },
      },
      MERGE,
    );
    assert.equal(annotated.metadata?.generation, 2);
    assert.deepEqual(annotated.spec?.jobTemplate.spec?.template.metadata?.annotations, { a: '1' });
    assert.equal(annotated.spec?.jobTemplate.spec?.template.spec?.containers[0]?.image, 'report');
    const labelled = await batch.patchNamespacedCronJob(
      { namespace: 'default', name: 'nightly', body: { metadata: { labels: { team: 'x' } } } },
      MERGE,
    );
    assert.equal(labelled.metadata?.generation, 2, 'a label change bumped generation');
    const withStatus = await batch.patchNamespacedCronJobStatus(
      {
        namespace: 'default',
        name: 'nightly',
        body: { status: { active: [{ name: 'nightly-1' }] }, spec: { suspend: true } },
      },
      MERGE,
    );
    assert.equal(withStatus.metadata?.generation, 2, 'a status write bumped generation');
    assert.equal(withStatus.spec?.suspend, undefined, '/status changed the spec');
    assert.deepEqual(
      withStatus.status?.active?.map((ref) => ref.name),
      ['nightly-1'],
    );
  });

  it('stores Jobs, which nothing runs', async () => {
    const job = await batch.createNamespacedJob({
      namespace: 'default',
      body: {
        metadata: { name: 'nightly-1' },
        spec: {
          template: { spec: { restartPolicy: 'Never', containers: [{ name: 'app', image: 'report' }] } },
        },
      },
    });
    assert.equal(job.metadata?.generation, 1);
    assert.deepEqual({ ...job.status }, {});
    const listed = await batch.listNamespacedJob({ namespace: 'default' });
    assert.deepEqual(
      listed.items.map((j) => j.metadata?.name),
      ['nightly-1'],
    );
  });
});
