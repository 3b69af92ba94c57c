import { strict as assert } from 'node:assert';
import { CoordinationV1Api, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { KubeSim } from '../../../src/envtest/kube-sim/index.js';
import { expectStatus } from './helpers.js';

describe('KubeSim faults', () => {
  let sim: KubeSim;
  let kc: KubeConfig;
  let core: CoreV1Api;
  let leases: CoordinationV1Api;

  beforeEach(async () => {
    sim = await KubeSim.start();
    kc = sim.kubeConfig();
    core = kc.makeApiClient(CoreV1Api);
    leases = kc.makeApiClient(CoordinationV1Api);
  });
  afterEach(async () => {
    await sim.close();
  });

  const createLease = (name: string) =>
    leases.createNamespacedLease({
      namespace: 'default',
      body: { metadata: { name }, spec: { holderIdentity: 'a' } },
    });

  it('failNext fails exactly `count` matching requests with the given status, as a Status, before the store', async () => {
    sim.faults.failNext({ verb: 'create', resource: 'leases', count: 2, status: 503 });
    await core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'other-resource' } },
    });
    const st = await expectStatus(503, () => createLease('l'));
    assert.equal(st.reason, 'ServiceUnavailable');
    await expectStatus(503, () => createLease('l'));
    await createLease('l');
    assert.equal(
      (await leases.listNamespacedLease({ namespace: 'default' })).items.length,
      1,
      'a failed create was stored',
    );
  });

  it('failNext with 409 makes an update look like a lost race', async () => {
    const l = await createLease('race');
    sim.faults.failNext({ verb: 'update', count: 1, status: 409 });
    const st = await expectStatus(409, () =>
      leases.replaceNamespacedLease({ namespace: 'default', name: 'race', body: l }),
    );
    assert.equal(st.reason, 'Conflict');
    await leases.replaceNamespacedLease({ namespace: 'default', name: 'race', body: l });
  });

  it('delay adds latency to matching requests until clear()', async () => {
    await createLease('slow');
    sim.faults.delay({ verb: 'get', resource: 'leases', ms: 300 });
    let t = Date.now();
    await leases.readNamespacedLease({ namespace: 'default', name: 'slow' });
    assert.ok(Date.now() - t >= 300, 'the get was not delayed');
    sim.faults.failNext({ verb: 'get', count: 5, status: 500 });
    sim.faults.clear();
    t = Date.now();
    await leases.readNamespacedLease({ namespace: 'default', name: 'slow' });
    // After clear() neither the delay nor the pending failures apply.
    assert.ok(Date.now() - t < 5_000);
  });

  it('close() returns promptly with delayed and waiting requests in flight', async () => {
    sim.faults.delay({ verb: 'get', ms: 120_000 });
    const delayed = fetch(`${sim.url}/api/v1/namespaces/default/configmaps/x`).catch((e: unknown) => e);
    const future = fetch(`${sim.url}/api/v1/namespaces/default/configmaps?resourceVersion=999999`).catch(
      (e: unknown) => e,
    );
    const started = Date.now();
    await sim.close();
    await Promise.all([delayed, future]);
    assert.ok(Date.now() - started < 30_000, 'close() waited for a pending delay');
  });

  it('refuses nonsense fault options', () => {
    assert.throws(() => sim.faults.failNext({ count: 0, status: 500 }), RangeError);
    assert.throws(() => sim.faults.delay({ ms: -1 }), RangeError);
  });
});
