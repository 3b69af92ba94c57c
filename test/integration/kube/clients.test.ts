import { strict as assert } from 'node:assert';
import { AppsV1Api, V1MicroTime } from '@kubernetes/client-node';
import { KubeSim } from '../../../src/envtest/kube-sim/index.js';
import {
  AlreadyExistsError,
  ConfigMapClient,
  ConflictError,
  CustomResourceClient,
  ForbiddenError,
  InvalidError,
  LeaseClient,
  NotFoundError,
  ServerError,
  TransportError,
  WorkloadClient,
  podTemplateOf,
} from '../../../src/kube/index.js';
import { installWidgetCrd, widget, WIDGETS, type Widget } from './widget-crd.js';
import { waitFor } from './support.js';

const NS = 'default';

describe('typed clients (over HTTP against the simulator)', function () {
  this.timeout(60_000);
  let sim: KubeSim;

  beforeEach(async () => {
    sim = await KubeSim.start({ port: 0 });
  });
  afterEach(async () => {
    await sim.close();
  });

  describe('CustomResourceClient', () => {
    let widgets: CustomResourceClient<Widget>;
    beforeEach(async () => {
      await installWidgetCrd(sim);
      widgets = new CustomResourceClient<Widget>(sim.kubeConfig(), WIDGETS);
      await waitFor('the CRD to be served', () =>
        widgets.list({ namespace: NS }).then(
          () => true,
          () => false,
        ),
      );
    });

    it('creates, reads, lists, merge-patches and deletes objects', async () => {
      const created = await widgets.create(widget('w1', 2));
      assert.ok(created.metadata?.resourceVersion);
      assert.equal((await widgets.get({ namespace: NS, name: 'w1' })).spec?.size, 2);
      await widgets.create(widget('w2'));
      const list = await widgets.list({ namespace: NS });
      assert.deepEqual(list.items.map((w) => w.metadata?.name).sort(), ['w1', 'w2']);
      assert.ok(list.resourceVersion !== '');
      const patched = await widgets.patchMerge({ namespace: NS, name: 'w1' }, { spec: { size: 5 } });
      assert.deepEqual(patched.spec, { size: 5, color: 'red' }, 'a merge patch keeps the other fields');
      await widgets.delete({ namespace: NS, name: 'w1' });
      await assert.rejects(widgets.get({ namespace: NS, name: 'w1' }), NotFoundError);
      await assert.rejects(widgets.delete({ namespace: NS, name: 'w1' }), NotFoundError);
    });

    it('answers a second create of one name with AlreadyExistsError', async () => {
      await widgets.create(widget('dup'));
      await assert.rejects(widgets.create(widget('dup')), AlreadyExistsError);
    });

    it('refuses a replace with a stale resourceVersion with ConflictError', async () => {
      const v1 = await widgets.create(widget('w'));
      await widgets.replace({ ...v1, spec: { size: 2 } });
      const err = await widgets.replace({ ...v1, spec: { size: 3 } }).then(
        () => assert.fail('a stale replace succeeded'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof ConflictError && !(err instanceof AlreadyExistsError));
      assert.equal((await widgets.get({ namespace: NS, name: 'w' })).spec?.size, 2);
    });

    it('writes status only through replaceStatus, and spec only through replace', async () => {
      const created = await widgets.create(widget('s'));
      const withStatus = await widgets.replaceStatus({
        ...created,
        spec: { size: 99 },
        status: { phase: 'Ready' },
      });
      assert.equal(withStatus.status?.phase, 'Ready');
      assert.equal(withStatus.spec?.size, 1, 'the status subresource ignores spec');
      const replaced = await widgets.replace({ ...withStatus, spec: { size: 3 }, status: { phase: 'Lost' } });
      assert.equal(replaced.spec?.size, 3);
      assert.equal(replaced.status?.phase, 'Ready', 'the main resource ignores status');
    });

    it('reports a schema violation as InvalidError with its field causes', async () => {
      const err = await widgets.create(widget('bad', 0)).then(
        () => assert.fail('an invalid widget was accepted'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof InvalidError, String(err));
      assert.equal(err.status, 422);
      assert.ok(
        err.causes.some((c) => c.field?.includes('spec.size')),
        JSON.stringify(err.causes),
      );
    });
  });

  describe('LeaseClient', () => {
    it('writes MicroTimes with six fractional digits and reads them back as V1MicroTime', async () => {
      const leases = new LeaseClient(sim.kubeConfig());
      const at = new V1MicroTime(Date.UTC(2026, 11, 7, 4, 0, 0, 123));
      const spec = { holderIdentity: 'a', leaseDurationSeconds: 15, acquireTime: at, renewTime: at };
      await leases.create({ metadata: { namespace: NS, name: 'l' }, spec });
      // On the wire (a plain GET), as the API server keeps a MicroTime.
      const raw = (await (
        await fetch(`${sim.url}/apis/coordination.k8s.io/v1/namespaces/${NS}/leases/l`)
      ).json()) as {
        spec: { renewTime: string };
      };
      assert.equal(raw.spec.renewTime, '2026-12-07T04:00:00.123000Z');
      const read = await leases.get(NS, 'l');
      assert.ok(read.spec?.renewTime instanceof V1MicroTime);
      assert.equal(read.spec?.acquireTime?.getTime(), at.getTime());
      // A renewal that keeps acquireTime sends it back as it came.
      const renewed = await leases.replace({
        ...read,
        spec: { ...read.spec, renewTime: new V1MicroTime(at.getTime() + 1000) },
      });
      assert.ok(renewed.spec?.acquireTime instanceof V1MicroTime);
      assert.equal(renewed.spec?.acquireTime?.toISOString(), '2026-12-07T04:00:00.123000Z');
    });
  });

  describe('ConfigMapClient', () => {
    it('replaces only with the resourceVersion that was read', async () => {
      const cms = new ConfigMapClient(sim.kubeConfig());
      const v1 = await cms.create({ metadata: { name: 'c', namespace: NS }, data: { a: '1' } });
      await assert.rejects(
        cms.replace({ metadata: { name: 'c', namespace: NS }, data: { a: '2' } }),
        /set metadata.resourceVersion/,
      );
      const v2 = await cms.replace({ ...v1, data: { a: '2' } });
      await assert.rejects(cms.replace({ ...v1, data: { a: '3' } }), ConflictError);
      assert.deepEqual((await cms.get({ namespace: NS, name: 'c' })).data, { a: '2' });
      assert.notEqual(v2.metadata?.resourceVersion, v1.metadata?.resourceVersion);
    });

    it('maps injected failures to typed errors and honours an abort signal', async () => {
      const cms = new ConfigMapClient(sim.kubeConfig());
      sim.faults.failNext({ verb: 'get', resource: 'configmaps', count: 1, status: 403 });
      await assert.rejects(cms.get({ namespace: NS, name: 'x' }), ForbiddenError);
      sim.faults.failNext({ verb: 'list', resource: 'configmaps', count: 1, status: 503 });
      await assert.rejects(cms.list({ namespace: NS }), ServerError);
      sim.faults.delay({ verb: 'get', resource: 'configmaps', ms: 5_000 });
      const started = Date.now();
      await assert.rejects(
        cms.get({ namespace: NS, name: 'x' }, { signal: AbortSignal.timeout(100) }),
        TransportError,
      );
      assert.ok(Date.now() - started < 4_000, 'the abort cut the request short');
    });
  });

  describe('WorkloadClient', () => {
    it('merges pod-template annotations into a Deployment, a StatefulSet and a DaemonSet', async () => {
      const apps = sim.kubeConfig().makeApiClient(AppsV1Api);
      const template = {
        metadata: { labels: { app: 'w' }, annotations: { keep: 'me' } },
        spec: { containers: [{ name: 'c', image: 'busybox' }] },
      };
      const selector = { matchLabels: { app: 'w' } };
      await apps.createNamespacedDeployment({
        namespace: NS,
        body: { metadata: { name: 'd', namespace: NS }, spec: { selector, template } },
      });
      await apps.createNamespacedStatefulSet({
        namespace: NS,
        body: { metadata: { name: 's', namespace: NS }, spec: { selector, template, serviceName: 's' } },
      });
      await apps.createNamespacedDaemonSet({
        namespace: NS,
        body: { metadata: { name: 'ds', namespace: NS }, spec: { selector, template } },
      });
      const workloads = new WorkloadClient(sim.kubeConfig());
      for (const [kind, name] of [
        ['Deployment', 'd'],
        ['StatefulSet', 's'],
        ['DaemonSet', 'ds'],
      ] as const) {
        const ref = { kind, namespace: NS, name };
        const before = await workloads.get(ref);
        const patched = await workloads.patchPodTemplateAnnotations(ref, {
          'etcdconfig.dev/config-hash': 'abc',
        });
        assert.deepEqual(podTemplateOf(patched)?.metadata?.annotations, {
          keep: 'me',
          'etcdconfig.dev/config-hash': 'abc',
        });
        assert.equal(podTemplateOf(patched)?.spec?.containers[0]?.image, 'busybox');
        assert.equal(patched.metadata?.generation, (before.metadata?.generation ?? 1) + 1);
        const again = await workloads.patchPodTemplateAnnotations(ref, {
          'etcdconfig.dev/config-hash': 'abc',
        });
        assert.equal(
          again.metadata?.generation,
          patched.metadata?.generation,
          'the same patch rolls nothing',
        );
        const listed = await workloads.list(kind, { namespace: NS });
        assert.equal(listed.items.length, 1);
      }
      const deployment = await workloads.get({
        kind: 'Deployment',
        namespace: NS,
        name: 'd',
      });
      assert.equal(podTemplateOf(deployment)?.metadata?.annotations?.['etcdconfig.dev/config-hash'], 'abc');
      await assert.rejects(
        workloads.patchPodTemplateAnnotations(
          { kind: 'Deployment', namespace: NS, name: 'nope' },
          { a: 'b' },
        ),
        NotFoundError,
      );
    });
  });
});
