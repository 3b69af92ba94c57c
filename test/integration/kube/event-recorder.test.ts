import { strict as assert } from 'node:assert';
import { CoreV1Api, type CoreV1Event } from '@kubernetes/client-node';
import { KubeSim } from '../../../src/envtest/kube-sim/index.js';
import { EventClient, EventRecorder, eventSubject, type EventSubject } from '../../../src/kube/index.js';

const NS = 'default';

describe('EventRecorder (core/v1 Events against the simulator)', function () {
  this.timeout(60_000);
  let sim: KubeSim;
  let events: EventClient;
  const subject: EventSubject = eventSubject(
    { metadata: { name: 'app-config', namespace: NS, uid: 'uid-1' } },
    { apiVersion: 'etcdconfig.dev/v1alpha1', kind: 'PrefixSync' },
  );

  beforeEach(async () => {
    sim = await KubeSim.start({ port: 0 });
    events = new EventClient(sim.kubeConfig());
  });
  afterEach(async () => {
    await sim.close();
  });

  async function listEvents(): Promise<CoreV1Event[]> {
    return (await events.list({ namespace: NS })).items.sort((a, b) =>
      (a.message ?? '').localeCompare(b.message ?? ''),
    );
  }

  it('aggregates repeats of one event into one Event with a count', async () => {
    const recorder = new EventRecorder({
      sink: events,
      component: 'etcd-config-operator',
      instance: 'pod-1',
    });
    recorder.record(subject, 'Normal', 'Synced', 'synced revision 7');
    recorder.record(subject, 'Normal', 'Synced', 'synced revision 7');
    recorder.record(subject, 'Normal', 'Synced', 'synced revision 7');
    recorder.record(subject, 'Warning', 'SourceUnavailable', 'etcd unreachable');
    await recorder.close();
    const written = await listEvents();
    assert.equal(written.length, 2);
    const [warning, synced] = written;
    assert.equal(synced?.count, 3);
    assert.equal(synced?.reason, 'Synced');
    assert.equal(synced?.type, 'Normal');
    assert.ok(new Date(synced.lastTimestamp!).getTime() >= new Date(synced.firstTimestamp!).getTime());
    assert.deepEqual(
      {
        kind: synced?.involvedObject.kind,
        name: synced?.involvedObject.name,
        namespace: synced?.involvedObject.namespace,
        uid: synced?.involvedObject.uid,
        apiVersion: synced?.involvedObject.apiVersion,
      },
      {
        kind: 'PrefixSync',
        name: 'app-config',
        namespace: NS,
        uid: 'uid-1',
        apiVersion: 'etcdconfig.dev/v1alpha1',
      },
    );
    assert.equal(synced?.source?.component, 'etcd-config-operator');
    assert.equal(synced?.reportingComponent, 'etcd-config-operator');
    assert.equal(synced?.reportingInstance, 'pod-1');
    assert.equal(warning?.count, 1);
    assert.equal(warning?.type, 'Warning');
  });

  it('creates a new Event when the aggregated one has been deleted', async () => {
    const recorder = new EventRecorder({ sink: events, component: 'test' });
    recorder.record(subject, 'Normal', 'Synced', 'same');
    await recorder.flush();
    const [first] = await listEvents();
    await sim.kubeConfig().makeApiClient(CoreV1Api).deleteNamespacedEvent({
      namespace: NS,
      name: first!.metadata.name!,
    });
    recorder.record(subject, 'Normal', 'Synced', 'same');
    await recorder.close();
    const after = await listEvents();
    assert.equal(after.length, 1);
    assert.notEqual(after[0]?.metadata.name, first?.metadata.name);
    assert.equal(after[0]?.count, 1);
    assert.equal(recorder.dropped, 0);
  });

  it('rate limits a burst of events about one object and counts what it dropped', async () => {
    const recorder = new EventRecorder({
      sink: events,
      component: 'test',
      burst: 3,
      refillIntervalMs: 3_600_000,
    });
    for (let i = 0; i < 5; i++) recorder.record(subject, 'Warning', 'Failed', `attempt ${i}`);
    const other = { ...subject, name: 'other', uid: 'uid-2' };
    recorder.record(other, 'Normal', 'Synced', 'another object has its own budget');
    await recorder.close();
    const written = await listEvents();
    assert.equal(written.length, 4);
    assert.equal(recorder.dropped, 2);
  });

  it('drops (and counts) an Event the server refuses, without throwing', async () => {
    sim.faults.failNext({ verb: 'create', resource: 'events', count: 1, status: 500 });
    const recorder = new EventRecorder({ sink: events, component: 'test' });
    recorder.record(subject, 'Normal', 'Synced', 'lost');
    recorder.record(subject, 'Normal', 'Synced', 'kept');
    await recorder.close();
    assert.deepEqual(
      (await listEvents()).map((e) => e.message),
      ['kept'],
    );
    assert.equal(recorder.dropped, 1);
  });
});
