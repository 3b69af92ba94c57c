import { strict as assert } from 'node:assert';
import {
  AppsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  EventsV1Api,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type V1ConfigMap,
  type V1Deployment,
} from '@kubernetes/client-node';
import { KubeSim } from '../../../src/envtest/kube-sim/index.js';
import { expectStatus, http, waitFor } from './helpers.js';

const MERGE = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const JSON_PATCH = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);
const STRATEGIC = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);

function deployment(name: string, extra: Partial<V1Deployment> = {}): V1Deployment {
  return {
    metadata: { name, ...extra.metadata },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [
            { name: 'app', image: 'app:1' },
            { name: 'sidecar', image: 'side:1' },
          ],
        },
      },
    },
  };
}

describe('KubeSim CRUD (through @kubernetes/client-node)', () => {
  let sim: KubeSim;
  let kc: KubeConfig;
  let core: CoreV1Api;
  let apps: AppsV1Api;

  beforeEach(async () => {
    // The API server's own rules, without kube-controller-manager's workload controllers writing status
    // between a test's writes (envtest runs no controllers either).
    sim = await KubeSim.start({ workloads: false });
    kc = sim.kubeConfig();
    core = kc.makeApiClient(CoreV1Api);
    apps = kc.makeApiClient(AppsV1Api);
  });
  afterEach(async () => {
    await sim.close();
  });

  describe('the 1 MiB limit of ConfigMaps and Secrets (ValidateConfigMap, ValidateSecret)', () => {
    const MIB = 1024 * 1024;
    /** `total` bytes of values spread over four keys of 200 characters each. */
    const values = (total: number, encode = (v: string): string => v): Record<string, string> => {
      const out: Record<string, string> = {};
      const quarter = Math.floor(total / 4);
      for (let i = 0; i < 4; i++) {
        const size = i === 3 ? total - 3 * quarter : quarter;
        out[`${String(i)}${'k'.repeat(199)}`] = encode('x'.repeat(size));
      }
      return out;
    };
    const b64 = (v: string): string => Buffer.from(v).toString('base64');

    it('counts values only: exactly 1 MiB of data and binaryData under long keys is accepted', async () => {
      const half = values(MIB / 2);
      const binary = Object.fromEntries(
        Object.entries(values(MIB / 2, b64)).map(([k, v]) => [`b${k.slice(1)}`, v]),
      );
      await core.createNamespacedConfigMap({
        namespace: 'default',
        body: { metadata: { name: 'full' }, data: half, binaryData: binary },
      });
      await core.createNamespacedSecret({
        namespace: 'default',
        body: { metadata: { name: 'full' }, data: values(MIB, b64) },
      });
    });

    it('refuses 1 MiB + 1 byte of values', async () => {
      const cm = await expectStatus(422, () =>
        core.createNamespacedConfigMap({
          namespace: 'default',
          body: { metadata: { name: 'over' }, data: values(MIB + 1) },
        }),
      );
      assert.match(cm.message, /\[\]: Too long: must have at most 1048576 bytes/);
      const secret = await expectStatus(422, () =>
        core.createNamespacedSecret({
          namespace: 'default',
          body: { metadata: { name: 'over' }, data: values(MIB + 1, b64) },
        }),
      );
      assert.match(secret.message, /data: Too long: must have at most 1048576 bytes/);
    });
  });

  describe('create and get', () => {
    it('fills uid, creationTimestamp (whole seconds) and a resourceVersion from one global counter', async () => {
      const a = await core.createNamespacedConfigMap({
        namespace: 'default',
        body: { metadata: { name: 'a' } },
      });
      const lease = await kc
        .makeApiClient(CoordinationV1Api)
        .createNamespacedLease({ namespace: 'default', body: { metadata: { name: 'l' }, spec: {} } });
      const b = await core.createNamespacedConfigMap({
        namespace: 'kube-system',
        body: { metadata: { name: 'b' } },
      });
      const rvs = [a, lease, b].map((o) => BigInt(o.metadata!.resourceVersion!));
      assert.ok(rvs[0]! < rvs[1]! && rvs[1]! < rvs[2]!, `resourceVersions not increasing: ${rvs.join(',')}`);
      assert.match(a.metadata!.uid!, /^[0-9a-f-]{36}$/);
      const raw = await http(`${sim.url}/api/v1/namespaces/default/configmaps/a`);
      assert.match(
        String((raw.json['metadata'] as Record<string, unknown>)['creationTimestamp']),
        /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
      );
      assert.equal(a.metadata!.generation, undefined, 'ConfigMaps carry no generation on a real server');
    });

    it('answers a second create with 409 AlreadyExists and a missing object with 404 NotFound, as Status', async () => {
      await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'dup' } } });
      const exists = await expectStatus(409, () =>
        core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'dup' } } }),
      );
      assert.equal(exists.reason, 'AlreadyExists');
      assert.equal(exists.message, 'configmaps "dup" already exists');
      assert.deepEqual(exists.details, { name: 'dup', kind: 'configmaps' });
      const missing = await expectStatus(404, () =>
        apps.readNamespacedDeployment({ namespace: 'default', name: 'nope' }),
      );
      assert.equal(missing.reason, 'NotFound');
      assert.equal(missing.message, 'deployments.apps "nope" not found');
      assert.deepEqual(missing.details, { name: 'nope', group: 'apps', kind: 'deployments' });
    });

    it('refuses namespaced creates in a namespace that does not exist, and has default and kube-system', async () => {
      const st = await expectStatus(404, () =>
        core.createNamespacedConfigMap({ namespace: 'nope', body: { metadata: { name: 'x' } } }),
      );
      assert.equal(st.message, 'namespaces "nope" not found');
      const names = (await core.listNamespace()).items.map((n) => n.metadata!.name);
      assert.ok(names.includes('default') && names.includes('kube-system'));
    });

    it('names objects from generateName and refuses invalid names with 422', async () => {
      const cm = await core.createNamespacedConfigMap({
        namespace: 'default',
        body: { metadata: { generateName: 'gen-' } },
      });
      assert.match(cm.metadata!.name!, /^gen-[a-z0-9]{5}$/);
      const st = await expectStatus(422, () =>
        core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'Bad_Name' } } }),
      );
      assert.equal(st.reason, 'Invalid');
      assert.match(
        st.message,
        /^ConfigMap "Bad_Name" is invalid: metadata\.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/,
      );
    });

    it('validates ConfigMaps like kube-apiserver: keys, the 1 MiB limit, value types, immutable', async () => {
      const bad = await expectStatus(422, () =>
        core.createNamespacedConfigMap({
          namespace: 'default',
          body: { metadata: { name: 'k' }, data: { 'bad key': 'x' } },
        }),
      );
      assert.match(
        bad.message,
        /^ConfigMap "k" is invalid: data\[bad key\]: Invalid value: "bad key": a valid config key must consist of alphanumeric characters/,
      );
      const big = await expectStatus(422, () =>
        core.createNamespacedConfigMap({
          namespace: 'default',
          body: { metadata: { name: 'big' }, data: { a: 'x'.repeat(1024 * 1024 + 1) } },
        }),
      );
      assert.equal(big.message, 'ConfigMap "big" is invalid: []: Too long: must have at most 1048576 bytes');
      const typed = await http(`${sim.url}/api/v1/namespaces/default/configmaps`, {
        method: 'POST',
        body: { metadata: { name: 'num' }, data: { a: 1 } },
      });
      assert.equal(typed.status, 400);
      assert.match(
        String(typed.json['message']),
        /cannot unmarshal number into Go struct field ConfigMap\.data of type string/,
      );
      const frozen = await core.createNamespacedConfigMap({
        namespace: 'default',
        body: { metadata: { name: 'frozen' }, data: { a: '1' }, immutable: true },
      });
      const st = await expectStatus(422, () =>
        core.replaceNamespacedConfigMap({
          namespace: 'default',
          name: 'frozen',
          body: { ...frozen, data: { a: '2' } },
        }),
      );
      assert.match(st.message, /data: Forbidden: field is immutable when `immutable` is set/);
    });

    it('validates label values', async () => {
      const st = await expectStatus(422, () =>
        core.createNamespacedConfigMap({
          namespace: 'default',
          body: { metadata: { name: 'l', labels: { app: 'not valid!' } } },
        }),
      );
      assert.match(
        st.message,
        /metadata\.labels: Invalid value: "not valid!": a valid label must be an empty string/,
      );
    });

    it('refuses a create that carries a resourceVersion, as etcd3 storage does', async () => {
      const st = await expectStatus(500, () =>
        core.createNamespacedConfigMap({
          namespace: 'default',
          body: { metadata: { name: 'x', resourceVersion: '5' } },
        }),
      );
      assert.match(st.message, /resourceVersion should not be set on objects to be created/);
    });
  });

  describe('update (PUT)', () => {
    it('answers a stale resourceVersion with 409 Conflict and keeps the newer object', async () => {
      const v1 = await core.createNamespacedConfigMap({
        namespace: 'default',
        body: { metadata: { name: 'c' }, data: { k: '1' } },
      });
      const v2 = await core.replaceNamespacedConfigMap({
        namespace: 'default',
        name: 'c',
        body: { ...v1, data: { k: '2' } },
      });
      assert.ok(BigInt(v2.metadata!.resourceVersion!) > BigInt(v1.metadata!.resourceVersion!));
      const st = await expectStatus(409, () =>
        core.replaceNamespacedConfigMap({
          namespace: 'default',
          name: 'c',
          body: { ...v1, data: { k: '3' } },
        }),
      );
      assert.equal(st.reason, 'Conflict');
      assert.equal(
        st.message,
        'Operation cannot be fulfilled on configmaps "c": the object has been modified; please apply your changes to the latest version and try again',
      );
      assert.deepEqual((await core.readNamespacedConfigMap({ namespace: 'default', name: 'c' })).data, {
        k: '2',
      });
    });

    it('writes nothing for a no-op update: the resourceVersion stays', async () => {
      const v1 = await core.createNamespacedConfigMap({
        namespace: 'default',
        body: { metadata: { name: 'same' }, data: { k: '1' } },
      });
      const again = await core.replaceNamespacedConfigMap({ namespace: 'default', name: 'same', body: v1 });
      assert.equal(again.metadata!.resourceVersion, v1.metadata!.resourceVersion);
    });

    it('bumps a Deployment generation on spec changes only; the main endpoint ignores status, /status ignores the rest', async () => {
      const d1 = await apps.createNamespacedDeployment({ namespace: 'default', body: deployment('web') });
      assert.equal(d1.metadata!.generation, 1);
      const withStatus = await apps.replaceNamespacedDeploymentStatus({
        namespace: 'default',
        name: 'web',
        body: { ...d1, spec: { ...d1.spec!, replicas: 9 }, status: { replicas: 1, observedGeneration: 1 } },
      });
      assert.equal(withStatus.metadata!.generation, 1, 'a status write bumped generation');
      assert.equal(withStatus.spec!.replicas, 1, '/status changed the spec');
      assert.equal(withStatus.status!.observedGeneration, 1);
      const d2 = await apps.replaceNamespacedDeployment({
        namespace: 'default',
        name: 'web',
        body: { ...withStatus, spec: { ...withStatus.spec!, replicas: 3 }, status: { replicas: 42 } },
      });
      assert.equal(d2.metadata!.generation, 2);
      assert.equal(d2.status!.replicas, 1, 'the main endpoint changed status');
      const labelsOnly = await apps.patchNamespacedDeployment(
        { namespace: 'default', name: 'web', body: { metadata: { labels: { x: 'y' } } } },
        MERGE,
      );
      assert.equal(labelsOnly.metadata!.generation, 2, 'a label change bumped generation');
    });

    it('refuses a PUT whose name differs from the URL', async () => {
      await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'n1' } } });
      const st = await expectStatus(400, () =>
        core.replaceNamespacedConfigMap({
          namespace: 'default',
          name: 'n1',
          body: { metadata: { name: 'n2' } },
        }),
      );
      assert.match(st.message, /does not match the name on the URL/);
    });
  });

  describe('patch', () => {
    it('merges a JSON merge patch into ConfigMap data and labels, deleting keys set to null', async () => {
      await core.createNamespacedConfigMap({
        namespace: 'default',
        body: { metadata: { name: 'm', labels: { a: '1', b: '2' } }, data: { x: '1', y: '2' } },
      });
      const cm = await core.patchNamespacedConfigMap(
        {
          namespace: 'default',
          name: 'm',
          body: { metadata: { labels: { b: null, c: '3' } }, data: { y: null, z: '3' } },
        },
        MERGE,
      );
      assert.deepEqual(cm.metadata!.labels, { a: '1', c: '3' });
      assert.deepEqual(cm.data, { x: '1', z: '3' });
    });

    it('omits emptied labels, annotations and finalizers (omitempty), so an empty map is no change', async () => {
      await core.createNamespacedConfigMap({
        namespace: 'default',
        body: { metadata: { name: 'e', labels: { a: '1' }, annotations: {}, finalizers: [] } },
      });
      const created = await http(`${sim.url}/api/v1/namespaces/default/configmaps/e`);
      assert.deepEqual(Object.keys(created.json['metadata'] as object).sort(), [
        'creationTimestamp',
        'labels',
        'managedFields',
        'name',
        'namespace',
        'resourceVersion',
        'uid',
      ]);
      await core.patchNamespacedConfigMap(
        { namespace: 'default', name: 'e', body: { metadata: { labels: { a: null } } } },
        MERGE,
      );
      const raw = await http(`${sim.url}/api/v1/namespaces/default/configmaps/e`);
      assert.equal(
        'labels' in (raw.json['metadata'] as object),
        false,
        'kubectl label x a- leaves no labels: {}',
      );

      const d = await apps.createNamespacedDeployment({ namespace: 'default', body: deployment('quiet') });
      const same = await apps.patchNamespacedDeployment(
        { namespace: 'default', name: 'quiet', body: { metadata: { annotations: {} } } },
        MERGE,
      );
      assert.equal(
        same.metadata!.generation,
        d.metadata!.generation,
        'annotations: {} is no annotation change',
      );
      assert.equal(same.metadata!.resourceVersion, d.metadata!.resourceVersion, 'a no-op writes nothing');
    });

    it('applies JSON patch operations, and answers a failed test op with 422', async () => {
      await core.createNamespacedConfigMap({
        namespace: 'default',
        body: { metadata: { name: 'j' }, data: { x: '1' } },
      });
      const cm = await core.patchNamespacedConfigMap(
        {
          namespace: 'default',
          name: 'j',
          body: [
            { op: 'add', path: '/data/y', value: '2' },
            { op: 'remove', path: '/data/x' },
          ],
        },
        JSON_PATCH,
      );
      assert.deepEqual(cm.data, { y: '2' });
      await expectStatus(422, () =>
        core.patchNamespacedConfigMap(
          { namespace: 'default', name: 'j', body: [{ op: 'test', path: '/data/y', value: 'no' }] },
          JSON_PATCH,
        ),
      );
    });

    it('strategic-merges pod template containers by name and pod-template annotations', async () => {
      await apps.createNamespacedDeployment({ namespace: 'default', body: deployment('s') });
      const d = await apps.patchNamespacedDeployment(
        {
          namespace: 'default',
          name: 's',
          body: {
            spec: {
              template: {
                metadata: { annotations: { 'etcdconfig.dev/config-hash': 'abc' } },
                spec: { containers: [{ name: 'sidecar', image: 'side:2' }] },
              },
            },
          },
        },
        STRATEGIC,
      );
      assert.deepEqual(
        d.spec!.template.spec!.containers.map((c) => `${c.name}=${c.image}`),
        ['app=app:1', 'sidecar=side:2'],
      );
      assert.equal(d.spec!.template.metadata!.annotations!['etcdconfig.dev/config-hash'], 'abc');
      assert.equal(d.metadata!.generation, 2);
      const removed = await apps.patchNamespacedDeployment(
        {
          namespace: 'default',
          name: 's',
          body: { spec: { template: { spec: { containers: [{ name: 'sidecar', $patch: 'delete' }] } } } },
        },
        STRATEGIC,
      );
      assert.deepEqual(
        removed.spec!.template.spec!.containers.map((c) => c.name),
        ['app'],
      );
    });

    it('server-side apply removes the fields a manager stops applying, and keeps the fields of others', async () => {
      const url = `${sim.url}/api/v1/namespaces/default/configmaps/owned`;
      const apply = (manager: string, data: Record<string, string>) =>
        http(`${url}?fieldManager=${manager}`, {
          method: 'PATCH',
          headers: { 'Content-Type': 'application/apply-patch+yaml' },
          body: {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name: 'owned', namespace: 'default' },
            data,
          },
        });
      assert.equal((await apply('one', { a: '1', b: '2' })).status, 201);
      await apply('two', { c: '3' });
      const after = await apply('one', { a: '1' });
      assert.equal(after.status, 200);
      assert.deepEqual(after.json['data'], { a: '1', c: '3' });
    });

    it('answers a patch carrying a stale resourceVersion with 409', async () => {
      const cm = await core.createNamespacedConfigMap({
        namespace: 'default',
        body: { metadata: { name: 'p' }, data: { k: '1' } },
      });
      await core.patchNamespacedConfigMap(
        { namespace: 'default', name: 'p', body: { data: { k: '2' } } },
        MERGE,
      );
      await expectStatus(409, () =>
        core.patchNamespacedConfigMap(
          {
            namespace: 'default',
            name: 'p',
            body: { metadata: { resourceVersion: cm.metadata!.resourceVersion }, data: { k: '3' } },
          },
          MERGE,
        ),
      );
    });

    it('upserts with server-side apply: 201 when absent, 200 when present', async () => {
      const objects = KubernetesObjectApi.makeApiClient(kc);
      const spec: V1ConfigMap & { apiVersion: string; kind: string } = {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'ssa', namespace: 'default' },
        data: { a: '1' },
      };
      const first = await http(`${sim.url}/api/v1/namespaces/default/configmaps/ssa?fieldManager=test`, {
        method: 'PATCH',
        headers: { 'Content-Type': 'application/apply-patch+yaml' },
        body: spec,
      });
      assert.equal(first.status, 201);
      const second = await objects.patch(
        { ...spec, data: { a: '2' } },
        undefined,
        undefined,
        'test',
        true,
        PatchStrategy.ServerSideApply,
      );
      assert.deepEqual((second as V1ConfigMap).data, { a: '2' });
      const noManager = await http(`${sim.url}/api/v1/namespaces/default/configmaps/ssa`, {
        method: 'PATCH',
        headers: { 'Content-Type': 'application/apply-patch+yaml' },
        body: spec,
      });
      assert.equal(noManager.status, 400);
    });
  });

  describe('delete, finalizers and garbage collection', () => {
    it('keeps everything under dryRun=All: create, patch, and DELETE with dryRun in the query or the body', async () => {
      const url = `${sim.url}/api/v1/namespaces/default/configmaps`;
      await core.createNamespacedConfigMap({
        namespace: 'default',
        body: { metadata: { name: 'dry' } },
        dryRun: 'All',
      });
      await expectStatus(404, () => core.readNamespacedConfigMap({ namespace: 'default', name: 'dry' }));
      const live = await core.createNamespacedConfigMap({
        namespace: 'default',
        body: { metadata: { name: 'live' }, data: { a: '1' } },
      });
      await core.patchNamespacedConfigMap(
        { namespace: 'default', name: 'live', body: { data: { a: '2' } }, dryRun: 'All' },
        MERGE,
      );
      // kubectl delete --dry-run=server sends DeleteOptions {"dryRun":["All"]} in the body.
      const byBody = await http(`${url}/live`, {
        method: 'DELETE',
        body: { propagationPolicy: 'Background', dryRun: ['All'] },
      });
      assert.equal(byBody.status, 200);
      const byQuery = await http(`${url}/live?dryRun=All`, { method: 'DELETE' });
      assert.equal(byQuery.status, 200);
      const after = await core.readNamespacedConfigMap({ namespace: 'default', name: 'live' });
      assert.deepEqual(after.data, { a: '1' });
      assert.equal(after.metadata!.resourceVersion, live.metadata!.resourceVersion);
    });

    it('answers DELETE of a ConfigMap with a Success Status; a later GET is 404', async () => {
      await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'd' } } });
      const res = await http(`${sim.url}/api/v1/namespaces/default/configmaps/d`, {
        method: 'DELETE',
        body: { propagationPolicy: 'Background' },
      });
      assert.equal(res.status, 200);
      assert.equal(res.json['kind'], 'Status');
      assert.equal(res.json['status'], 'Success');
      await expectStatus(404, () => core.readNamespacedConfigMap({ namespace: 'default', name: 'd' }));
    });

    it('marks an object with finalizers (deletionTimestamp) and removes it when the last finalizer goes', async () => {
      await core.createNamespacedConfigMap({
        namespace: 'default',
        body: { metadata: { name: 'f', finalizers: ['example.com/a', 'example.com/b'] } },
      });
      await core.deleteNamespacedConfigMap({ namespace: 'default', name: 'f' });
      const marked = await core.readNamespacedConfigMap({ namespace: 'default', name: 'f' });
      assert.ok(marked.metadata!.deletionTimestamp, 'no deletionTimestamp');
      const st = await expectStatus(422, () =>
        core.patchNamespacedConfigMap(
          {
            namespace: 'default',
            name: 'f',
            body: { metadata: { finalizers: ['example.com/a', 'example.com/b', 'new'] } },
          },
          MERGE,
        ),
      );
      assert.match(st.message, /no new finalizers can be added if the object is being deleted/);
      await core.patchNamespacedConfigMap(
        { namespace: 'default', name: 'f', body: { metadata: { finalizers: ['example.com/b'] } } },
        MERGE,
      );
      assert.ok(await core.readNamespacedConfigMap({ namespace: 'default', name: 'f' }));
      await core.patchNamespacedConfigMap(
        { namespace: 'default', name: 'f', body: [{ op: 'remove', path: '/metadata/finalizers' }] },
        JSON_PATCH,
      );
      await expectStatus(404, () => core.readNamespacedConfigMap({ namespace: 'default', name: 'f' }));
    });

    it('deletes dependents of a deleted owner in the background, honouring their finalizers', async () => {
      const owner = await apps.createNamespacedDeployment({
        namespace: 'default',
        body: deployment('owner'),
      });
      const ref = {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        name: 'owner',
        uid: owner.metadata!.uid!,
        controller: true,
      };
      await core.createNamespacedConfigMap({
        namespace: 'default',
        body: { metadata: { name: 'dep', ownerReferences: [ref] } },
      });
      await core.createNamespacedConfigMap({
        namespace: 'default',
        body: { metadata: { name: 'held', ownerReferences: [ref], finalizers: ['example.com/hold'] } },
      });
      await apps.deleteNamespacedDeployment({ namespace: 'default', name: 'owner' });
      await waitFor('the dependent to be collected', async () => {
        const names = (await core.listNamespacedConfigMap({ namespace: 'default' })).items.map(
          (c) => c.metadata!.name,
        );
        return !names.includes('dep');
      });
      const held = await core.readNamespacedConfigMap({ namespace: 'default', name: 'held' });
      assert.ok(held.metadata!.deletionTimestamp, 'the finalized dependent was not marked for deletion');
    });

    it('with propagationPolicy Orphan removes the ownerReference and keeps the dependent', async () => {
      const owner = await apps.createNamespacedDeployment({ namespace: 'default', body: deployment('o') });
      const ref = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'o', uid: owner.metadata!.uid! };
      await core.createNamespacedConfigMap({
        namespace: 'default',
        body: { metadata: { name: 'kept', ownerReferences: [ref] } },
      });
      await apps.deleteNamespacedDeployment({ namespace: 'default', name: 'o', propagationPolicy: 'Orphan' });
      await waitFor('the owner to be gone', async () => {
        const list = await apps.listNamespacedDeployment({ namespace: 'default' });
        return list.items.length === 0;
      });
      const kept = await core.readNamespacedConfigMap({ namespace: 'default', name: 'kept' });
      assert.equal(kept.metadata!.ownerReferences, undefined);
    });

    it('deletes a namespace after emptying it', async () => {
      await core.createNamespace({ body: { metadata: { name: 'doomed' } } });
      await core.createNamespacedConfigMap({ namespace: 'doomed', body: { metadata: { name: 'x' } } });
      const ns = await core.deleteNamespace({ name: 'doomed' });
      assert.ok(ns);
      await waitFor('the namespace to go', async () => {
        const names = (await core.listNamespace()).items.map((n) => n.metadata!.name);
        return !names.includes('doomed');
      });
      assert.equal(
        (await core.listConfigMapForAllNamespaces()).items.filter((c) => c.metadata!.namespace === 'doomed')
          .length,
        0,
      );
    });

    it('with propagationPolicy Foreground deletes the dependents first, then the owner', async () => {
      const owner = await apps.createNamespacedDeployment({ namespace: 'default', body: deployment('fg') });
      const ref = {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        name: 'fg',
        uid: owner.metadata!.uid!,
        blockOwnerDeletion: true,
      };
      await core.createNamespacedConfigMap({
        namespace: 'default',
        body: { metadata: { name: 'fg-dep', ownerReferences: [ref], finalizers: ['example.com/hold'] } },
      });
      await apps.deleteNamespacedDeployment({
        namespace: 'default',
        name: 'fg',
        propagationPolicy: 'Foreground',
      });
      const dep = await waitFor('the dependent to be marked', async () => {
        const cm = await core.readNamespacedConfigMap({ namespace: 'default', name: 'fg-dep' });
        return cm.metadata!.deletionTimestamp ? cm : undefined;
      });
      assert.ok(dep);
      const waiting = await apps.readNamespacedDeployment({ namespace: 'default', name: 'fg' });
      assert.ok(
        waiting.metadata!.finalizers!.includes('foregroundDeletion'),
        'the owner went before its dependent',
      );
      await core.patchNamespacedConfigMap(
        { namespace: 'default', name: 'fg-dep', body: { metadata: { finalizers: null } } },
        MERGE,
      );
      await waitFor(
        'the owner to go',
        async () => (await apps.listNamespacedDeployment({ namespace: 'default' })).items.length === 0,
      );
    });

    it('collects a dependent whose owner never existed (dangling ownerReference)', async () => {
      await core.createNamespacedConfigMap({
        namespace: 'default',
        body: {
          metadata: {
            name: 'dangling',
            ownerReferences: [
              {
                apiVersion: 'apps/v1',
                kind: 'Deployment',
                name: 'ghost',
                uid: '00000000-0000-0000-0000-000000000000',
              },
            ],
          },
        },
      });
      await waitFor('the dangling dependent to be collected', async () => {
        const names = (await core.listNamespacedConfigMap({ namespace: 'default' })).items.map(
          (c) => c.metadata!.name,
        );
        return !names.includes('dangling');
      });
    });

    it('keeps a terminating namespace while content holds finalizers, refusing new content with 403', async () => {
      await core.createNamespace({ body: { metadata: { name: 'ending' } } });
      await core.createNamespacedConfigMap({
        namespace: 'ending',
        body: { metadata: { name: 'held', finalizers: ['example.com/hold'] } },
      });
      await core.deleteNamespace({ name: 'ending' });
      const ns = await core.readNamespace({ name: 'ending' });
      assert.equal(ns.status!.phase, 'Terminating');
      const st = await expectStatus(403, () =>
        core.createNamespacedConfigMap({ namespace: 'ending', body: { metadata: { name: 'new' } } }),
      );
      assert.match(
        st.message,
        /unable to create new content in namespace ending because it is being terminated/,
      );
      await waitFor('the content to be marked', async () =>
        Boolean(
          (await core.readNamespacedConfigMap({ namespace: 'ending', name: 'held' })).metadata!
            .deletionTimestamp,
        ),
      );
      await core.patchNamespacedConfigMap(
        { namespace: 'ending', name: 'held', body: { metadata: { finalizers: null } } },
        MERGE,
      );
      await waitFor(
        'the namespace to go',
        async () => !(await core.listNamespace()).items.some((n) => n.metadata!.name === 'ending'),
      );
    });

    it('deletes a collection by label selector', async () => {
      for (const [name, app] of [
        ['c1', 'x'],
        ['c2', 'x'],
        ['c3', 'y'],
      ] as const) {
        await core.createNamespacedConfigMap({
          namespace: 'default',
          body: { metadata: { name, labels: { app } } },
        });
      }
      await core.deleteCollectionNamespacedConfigMap({ namespace: 'default', labelSelector: 'app=x' });
      const left = (await core.listNamespacedConfigMap({ namespace: 'default' })).items.map(
        (c) => c.metadata!.name,
      );
      assert.deepEqual(
        left.filter((n) => n!.startsWith('c')),
        ['c3'],
      );
    });
  });

  describe('list', () => {
    beforeEach(async () => {
      const specs: Array<[string, string, Record<string, string>]> = [
        ['default', 'a', { app: 'web', tier: 'front' }],
        ['default', 'b', { app: 'web' }],
        ['default', 'c', { app: 'db', tier: 'back' }],
        ['kube-system', 'd', { app: 'web' }],
      ];
      for (const [namespace, name, labels] of specs) {
        await core.createNamespacedConfigMap({ namespace, body: { metadata: { name, labels } } });
      }
    });

    const names = (l: { items: V1ConfigMap[] }): string[] => l.items.map((c) => c.metadata!.name!);

    it('filters by label selectors (=, !=, in, notin, exists, !)', async () => {
      const sel = async (labelSelector: string): Promise<string[]> =>
        names(await core.listNamespacedConfigMap({ namespace: 'default', labelSelector }));
      assert.deepEqual(await sel('app=web'), ['a', 'b']);
      assert.deepEqual(await sel('app!=web'), ['c']);
      assert.deepEqual(await sel('tier!=front'), ['b', 'c'], '!= matches an object without the label');
      assert.deepEqual(await sel('tier!=front,app'), ['b', 'c']);
      assert.deepEqual(await sel('app in (db, web),tier'), ['a', 'c']);
      assert.deepEqual(await sel('tier notin (front)'), ['b', 'c']);
      assert.deepEqual(await sel('!tier'), ['b']);
      await expectStatus(400, () =>
        core.listNamespacedConfigMap({ namespace: 'default', labelSelector: 'app in web' }),
      );
    });

    it('filters by metadata.name / metadata.namespace field selectors, refuses others with 400', async () => {
      assert.deepEqual(
        names(await core.listConfigMapForAllNamespaces({ fieldSelector: 'metadata.namespace=kube-system' })),
        ['d'],
      );
      assert.deepEqual(
        names(
          await core.listNamespacedConfigMap({ namespace: 'default', fieldSelector: 'metadata.name!=a' }),
        ),
        ['b', 'c'],
      );
      const st = await expectStatus(400, () =>
        core.listNamespacedConfigMap({ namespace: 'default', fieldSelector: 'data.x=1' }),
      );
      assert.match(st.message, /field label not supported: data\.x/);
    });

    it('leaves kind and apiVersion off the items of a typed list, as the apiserver does', async () => {
      const raw = await http(`${sim.url}/api/v1/namespaces/default/configmaps`);
      assert.equal(raw.json['kind'], 'ConfigMapList');
      const items = raw.json['items'] as Array<Record<string, unknown>>;
      assert.ok(items.length > 0);
      assert.ok(items.every((i) => i['kind'] === undefined && i['apiVersion'] === undefined));
    });

    it('lists across namespaces', async () => {
      assert.deepEqual(names(await core.listConfigMapForAllNamespaces({ labelSelector: 'app=web' })), [
        'a',
        'b',
        'd',
      ]);
    });

    it('pages with limit/continue at one consistent resourceVersion, and 410s an expired continue token', async () => {
      const page1 = await core.listNamespacedConfigMap({ namespace: 'default', limit: 2 });
      assert.deepEqual(names(page1), ['a', 'b']);
      assert.equal(page1.metadata!.remainingItemCount, 1);
      await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'bb' } } });
      const page2 = await core.listNamespacedConfigMap({
        namespace: 'default',
        limit: 2,
        _continue: page1.metadata!._continue!,
      });
      assert.deepEqual(names(page2), ['c'], 'the second page saw a later write');
      assert.equal(page2.metadata!.resourceVersion, page1.metadata!.resourceVersion);
      assert.equal(page2.metadata!._continue, undefined);
      sim.faults.compactHistory();
      await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'later' } } });
      const st = await expectStatus(410, () =>
        core.listNamespacedConfigMap({
          namespace: 'default',
          limit: 2,
          _continue: page1.metadata!._continue!,
        }),
      );
      assert.equal(st.reason, 'Expired');
    });

    it('waits for a resourceVersion newer than the store, then answers 504 Too large resource version', async () => {
      const now = await core.listNamespacedConfigMap({ namespace: 'default' });
      const future = (BigInt(now.metadata!.resourceVersion!) + 1000n).toString();
      const st = await expectStatus(504, () =>
        core.listNamespacedConfigMap({ namespace: 'default', resourceVersion: future }),
      );
      assert.match(st.message, /Too large resource version/);
    });

    it('serves resourceVersionMatch=Exact from history, and 410 once it has left it', async () => {
      const before = await core.listNamespacedConfigMap({ namespace: 'default' });
      await core.deleteNamespacedConfigMap({ namespace: 'default', name: 'a' });
      const rv = before.metadata!.resourceVersion!;
      const exact = await core.listNamespacedConfigMap({
        namespace: 'default',
        resourceVersion: rv,
        resourceVersionMatch: 'Exact',
      });
      assert.deepEqual(names(exact), ['a', 'b', 'c']);
      assert.equal(exact.metadata!.resourceVersion, rv);
      sim.faults.compactHistory();
      await expectStatus(410, () =>
        core.listNamespacedConfigMap({
          namespace: 'default',
          resourceVersion: rv,
          resourceVersionMatch: 'Exact',
        }),
      );
    });
  });

  describe('other kinds', () => {
    it('takes Leases with optimistic concurrency (leader election)', async () => {
      const coord = kc.makeApiClient(CoordinationV1Api);
      const l = await coord.createNamespacedLease({
        namespace: 'kube-system',
        body: { metadata: { name: 'leader' }, spec: { holderIdentity: 'a', leaseDurationSeconds: 15 } },
      });
      const renewed = await coord.replaceNamespacedLease({
        namespace: 'kube-system',
        name: 'leader',
        body: { ...l, spec: { ...l.spec, renewTime: new Date() } },
      });
      await expectStatus(409, () =>
        coord.replaceNamespacedLease({
          namespace: 'kube-system',
          name: 'leader',
          body: { ...l, spec: { ...l.spec, holderIdentity: 'b' } },
        }),
      );
      assert.equal(
        (await coord.readNamespacedLease({ namespace: 'kube-system', name: 'leader' })).spec!.holderIdentity,
        'a',
      );
      // client-node hands MicroTime back as the server's string: RFC 3339 with microseconds, as kube-apiserver writes it.
      assert.match(String(renewed.spec!.renewTime), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    });

    it('serves one set of Events through v1 and events.k8s.io/v1, converting between them', async () => {
      await core.createNamespacedEvent({
        namespace: 'default',
        body: {
          metadata: { generateName: 'x.' },
          involvedObject: { kind: 'ConfigMap', name: 'x', namespace: 'default' },
          reason: 'Synced',
          message: 'from core',
          type: 'Normal',
        },
      });
      await kc.makeApiClient(EventsV1Api).createNamespacedEvent({
        namespace: 'default',
        body: {
          metadata: { generateName: 'y.' },
          eventTime: new Date(),
          reportingController: 'etcdconfig.dev/operator',
          reportingInstance: 'op-1',
          action: 'Sync',
          reason: 'Synced',
          note: 'from events.k8s.io',
          type: 'Normal',
          regarding: { kind: 'ConfigMap', name: 'x' },
        },
      });
      const byReason = await core.listNamespacedEvent({
        namespace: 'default',
        fieldSelector: 'reason=Synced',
      });
      assert.deepEqual(byReason.items.map((e) => e.message).sort(), ['from core', 'from events.k8s.io']);
      const converted = byReason.items.find((e) => e.message === 'from events.k8s.io')!;
      assert.equal(converted.involvedObject.name, 'x');
      assert.equal(converted.reportingComponent, 'etcdconfig.dev/operator');
      const viaEvents = await kc.makeApiClient(EventsV1Api).listNamespacedEvent({ namespace: 'default' });
      assert.deepEqual(viaEvents.items.map((e) => e.note).sort(), ['from core', 'from events.k8s.io']);
      assert.ok(viaEvents.items.every((e) => e.regarding?.name === 'x'));
    });

    it('fills in a Service as kube-apiserver does: cluster IP, defaults, kept across updates', async () => {
      const svc = await core.createNamespacedService({
        namespace: 'default',
        body: {
          metadata: { name: 'metrics' },
          spec: { selector: { app: 'x' }, ports: [{ name: 'http', port: 8080 }] },
        },
      });
      assert.match(svc.spec!.clusterIP!, /^10\.96\.\d+\.\d+$/);
      assert.deepEqual(svc.spec!.clusterIPs, [svc.spec!.clusterIP]);
      assert.equal(svc.spec!.type, 'ClusterIP');
      assert.deepEqual(JSON.parse(JSON.stringify(svc.spec!.ports)), [
        { name: 'http', port: 8080, protocol: 'TCP', targetPort: 8080 },
      ]);
      const replaced = await core.replaceNamespacedService({
        namespace: 'default',
        name: 'metrics',
        body: {
          metadata: { name: 'metrics', resourceVersion: svc.metadata!.resourceVersion },
          spec: { selector: { app: 'y' }, ports: [{ port: 8080 }] },
        },
      });
      assert.equal(
        replaced.spec!.clusterIP,
        svc.spec!.clusterIP,
        'the allocated cluster IP changed on update',
      );
    });

    it('serves StatefulSets and DaemonSets with generation and status', async () => {
      const sts = await apps.createNamespacedStatefulSet({
        namespace: 'default',
        body: {
          metadata: { name: 'st' },
          spec: {
            serviceName: 'st',
            selector: { matchLabels: { a: 'b' } },
            template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }] } },
          },
        },
      });
      assert.equal(sts.metadata!.generation, 1);
      const ds = await apps.createNamespacedDaemonSet({
        namespace: 'default',
        body: {
          metadata: { name: 'ds' },
          spec: {
            selector: { matchLabels: { a: 'b' } },
            template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }] } },
          },
        },
      });
      const patched = await apps.patchNamespacedDaemonSet(
        {
          namespace: 'default',
          name: 'ds',
          body: { spec: { template: { metadata: { annotations: { h: '1' } } } } },
        },
        MERGE,
      );
      assert.equal(patched.metadata!.generation, (ds.metadata!.generation ?? 0) + 1);
    });
  });
});
