// Where the EventRecorder writes Events about cluster-scoped objects: `default`, as client-go does, or
// the namespace it is told (a namespace-scoped operator, which may write Events only in its own).
import { strict as assert } from 'node:assert';
import { CoreV1Api } from '@kubernetes/client-node';
import { KubeSim } from '../../../src/envtest/kube-sim/index.js';
import { EventClient, EventRecorder, type EventSubject } from '../../../src/kube/index.js';

const SOURCE: EventSubject = {
  apiVersion: 'etcdconfig.dev/v1alpha1',
  kind: 'ClusterEtcdSource',
  name: 'main',
};

describe('EventRecorder and cluster-scoped subjects (against the simulator)', function () {
  this.timeout(60_000);
  let sim: KubeSim;
  let events: EventClient;

  beforeEach(async () => {
    sim = await KubeSim.start({ port: 0 });
    events = new EventClient(sim.kubeConfig());
    await sim
      .kubeConfig()
      .makeApiClient(CoreV1Api)
      .createNamespace({ body: { metadata: { name: 'ops' } } });
  });
  afterEach(async () => {
    await sim.close();
  });

  /** namespace → reasons of the Events there. */
  async function reasonsByNamespace(): Promise<Record<string, string[]>> {
    const out: Record<string, string[]> = {};
    for (const ns of ['default', 'ops'])
      out[ns] = (await events.list({ namespace: ns })).items.map((e) => e.reason ?? '');
    return out;
  }

  it('writes them to default by default', async () => {
    const recorder = new EventRecorder({ sink: events, component: 'eco' });
    recorder.record(SOURCE, 'Normal', 'Connected', 'connected');
    await recorder.close();
    assert.deepEqual(await reasonsByNamespace(), { default: ['Connected'], ops: [] });
  });

  it('writes them to clusterScopedNamespace when set, and aggregates repeats there', async () => {
    const recorder = new EventRecorder({ sink: events, component: 'eco', clusterScopedNamespace: 'ops' });
    recorder.record(SOURCE, 'Warning', 'Unreachable', 'down');
    recorder.record(SOURCE, 'Warning', 'Unreachable', 'down');
    await recorder.close();
    assert.deepEqual(await reasonsByNamespace(), { default: [], ops: ['Unreachable'] });
    const [event] = (await events.list({ namespace: 'ops' })).items;
    assert.equal(event?.count, 2);
    assert.equal(event?.involvedObject.namespace, undefined);
  });
});
