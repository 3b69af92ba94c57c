import { strict as assert } from 'node:assert';
import { readFile } from 'node:fs/promises';
import {
  ApiextensionsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import { parse } from 'yaml';
import { KubeSim } from '../../../src/envtest/kube-sim/index.js';
import { expectStatus, http, waitFor } from './helpers.js';

const MERGE = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const STRATEGIC = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);
const CRDS = new URL('../../../crds/', import.meta.url);
const GROUP = 'etcdconfig.dev';
const VERSION = 'v1alpha1';
const TABLE_ACCEPT =
  'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';

async function loadCrd(file: string): Promise<V1CustomResourceDefinition> {
  return parse(await readFile(new URL(file, CRDS), 'utf8')) as V1CustomResourceDefinition;
}

interface PrefixSync {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string; generation?: number; uid?: string };
  spec: Record<string, unknown>;
  status?: Record<string, unknown>;
}

function psync(name: string, spec: Record<string, unknown> = {}): PrefixSync {
  return {
    apiVersion: `${GROUP}/${VERSION}`,
    kind: 'PrefixSync',
    metadata: { name },
    spec: {
      sourceRef: { name: 'local' },
      prefix: '/config/demo/',
      target: { name: `${name}-config` },
      ...spec,
    },
  };
}

describe('KubeSim custom resources (the project CRDs in crds/)', () => {
  let sim: KubeSim;
  let kc: KubeConfig;
  let custom: CustomObjectsApi;
  let ext: ApiextensionsV1Api;

  const create = (body: PrefixSync, fieldValidation?: string): Promise<PrefixSync> =>
    custom.createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: 'default',
      plural: 'prefixsyncs',
      body,
      ...(fieldValidation ? { fieldValidation } : {}),
    }) as Promise<PrefixSync>;
  const get = (name: string): Promise<PrefixSync> =>
    custom.getNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: 'default',
      plural: 'prefixsyncs',
      name,
    }) as Promise<PrefixSync>;

  beforeEach(async () => {
    sim = await KubeSim.start();
    kc = sim.kubeConfig();
    custom = kc.makeApiClient(CustomObjectsApi);
    ext = kc.makeApiClient(ApiextensionsV1Api);
    // Raw JSON as kubectl sends it: client-node's typed serialiser would drop the schema's
    // `x-kubernetes-*` and `default` keys (its model names them xKubernetes..., _default).
    for (const f of ['etcdconfig.dev_prefixsyncs.yaml', 'etcdconfig.dev_clusteretcdsources.yaml']) {
      const res = await http(`${sim.url}/apis/apiextensions.k8s.io/v1/customresourcedefinitions`, {
        method: 'POST',
        body: await loadCrd(f),
      });
      assert.equal(res.status, 201, JSON.stringify(res.json));
    }
  });
  afterEach(async () => {
    await sim.close();
  });

  describe('the CRD object', () => {
    it('is Established with NamesAccepted and acceptedNames, and defaults listKind/singular', async () => {
      const crd = await ext.readCustomResourceDefinition({ name: 'prefixsyncs.etcdconfig.dev' });
      const conditions = Object.fromEntries((crd.status!.conditions ?? []).map((c) => [c.type, c.status]));
      assert.deepEqual(conditions, { NamesAccepted: 'True', Established: 'True' });
      assert.equal(crd.status!.acceptedNames!.kind, 'PrefixSync');
      assert.deepEqual(crd.status!.acceptedNames!.shortNames, ['psync']);
      assert.deepEqual(crd.status!.storedVersions, ['v1alpha1']);
      assert.equal(crd.metadata!.generation, 1);
    });

    it('refuses a CRD whose name is not plural.group', async () => {
      const crd = await loadCrd('etcdconfig.dev_prefixsyncs.yaml');
      crd.metadata!.name = 'wrong.etcdconfig.dev';
      const st = await expectStatus(422, () => ext.createCustomResourceDefinition({ body: crd }));
      assert.match(
        st.message,
        /metadata\.name: Invalid value: "wrong\.etcdconfig\.dev": must be spec\.names\.plural\+"\."\+spec\.group/,
      );
    });

    it('registers its kind in legacy and aggregated discovery, and unregisters it with its objects on delete', async () => {
      const legacy = await http(`${sim.url}/apis/${GROUP}/${VERSION}`);
      const resources = (
        legacy.json['resources'] as Array<{
          name: string;
          kind: string;
          namespaced: boolean;
          shortNames?: string[];
        }>
      ).map((r) => `${r.name}:${r.kind}:${r.namespaced}`);
      assert.deepEqual(resources.sort(), [
        'clusteretcdsources/status:ClusterEtcdSource:false',
        'clusteretcdsources:ClusterEtcdSource:false',
        'prefixsyncs/status:PrefixSync:true',
        'prefixsyncs:PrefixSync:true',
      ]);
      const aggregated = await http(`${sim.url}/apis`, {
        headers: {
          Accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json',
        },
      });
      const groups = (aggregated.json['items'] as Array<{ metadata: { name: string } }>).map(
        (g) => g.metadata.name,
      );
      assert.ok(groups.includes(GROUP));

      await create(psync('doomed'));
      const watch = await fetch(
        `${sim.url}/apis/${GROUP}/${VERSION}/prefixsyncs?watch=true&resourceVersion=0`,
      );
      await ext.deleteCustomResourceDefinition({ name: 'prefixsyncs.etcdconfig.dev' });
      // Resolves only because the server ends the stream once the CRD (its storage) is gone.
      const text = await watch.text();
      const ended = text
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { type: string }).type);
      assert.deepEqual(ended, ['ADDED', 'DELETED']);
      assert.equal(
        (await http(`${sim.url}/apis/${GROUP}/${VERSION}/namespaces/default/prefixsyncs`)).status,
        404,
      );
      const after = await http(`${sim.url}/apis/${GROUP}/${VERSION}`);
      const left = (after.json['resources'] as Array<{ name: string }>).map((r) => r.name);
      assert.ok(!left.includes('prefixsyncs'));
    });
  });

  describe('validation against openAPIV3Schema', () => {
    it('applies defaults', async () => {
      const created = await create(psync('defaults'));
      const target = created.spec['target'] as Record<string, unknown>;
      assert.equal(target['format'], 'files');
      assert.equal((created.spec['keys'] as Record<string, unknown> | undefined)?.['separator'] ?? '.', '.');
    });

    it('prunes unknown fields with a Warning header, and refuses them with 400 under fieldValidation=Strict', async () => {
      const body = { ...psync('unknown'), spec: { ...psync('unknown').spec, bogus: 1 } };
      const res = await http(`${sim.url}/apis/${GROUP}/${VERSION}/namespaces/default/prefixsyncs`, {
        method: 'POST',
        body,
      });
      assert.equal(res.status, 201);
      assert.equal((res.json['spec'] as Record<string, unknown>)['bogus'], undefined);
      assert.equal(res.headers.get('warning'), '299 - "unknown field \\"spec.bogus\\""');
      const strict = { ...body, metadata: { name: 'strict' } };
      const st = await expectStatus(400, () => create(strict, 'Strict'));
      assert.match(st.message, /strict decoding error: unknown field "spec\.bogus"/);
    });

    it('refuses an invalid prefix with 422 naming spec.prefix (CEL rule message)', async () => {
      const st = await expectStatus(422, () => create(psync('bad', { prefix: 'no-leading-slash' })));
      assert.equal(st.reason, 'Invalid');
      assert.equal(
        st.message,
        `PrefixSync.etcdconfig.dev "bad" is invalid: spec.prefix: Invalid value: "string": prefix must start and end with '/', e.g. /config/app/`,
      );
      assert.deepEqual(st.details!.causes![0], {
        reason: 'FieldValueInvalid',
        message: `Invalid value: "string": prefix must start and end with '/', e.g. /config/app/`,
        field: 'spec.prefix',
      });
    });

    it('reports required fields, enums and patterns the way kube-apiserver words them', async () => {
      const missing = await expectStatus(422, () =>
        create({ ...psync('m'), spec: { prefix: '/a/', target: { name: 'x', format: 'xml' } } }),
      );
      assert.match(missing.message, /spec\.sourceRef: Required value/);
      assert.match(
        missing.message,
        /spec\.target\.format: Unsupported value: "xml": supported values: "files", "yaml", "json", "properties", "env"/,
      );
      const pattern = await expectStatus(422, () => create(psync('p', { target: { name: 'Not_A_Name' } })));
      assert.match(
        pattern.message,
        /spec\.target\.name: Invalid value: "Not_A_Name": spec\.target\.name in body should match/,
      );
    });

    it('refuses duplicate entries of an x-kubernetes-list-type map', async () => {
      const targets = [
        { kind: 'Deployment', name: 'web' },
        { kind: 'Deployment', name: 'web' },
      ];
      const st = await expectStatus(422, () =>
        create(psync('dups', { rollout: { mode: 'targets', targets } })),
      );
      assert.match(
        st.message,
        /spec\.rollout\.targets\[1\]: Duplicate value: map\[string\]interface \{\}\{"kind":"Deployment", "name":"web"\}/,
      );
    });

    it('evaluates CEL rules with fieldPath and reason', async () => {
      const st = await expectStatus(422, () => create(psync('k', { target: { name: 'x', format: 'yaml' } })));
      assert.match(st.message, /spec\.target\.key: Required value: key is required when format is yaml/);
      assert.equal(st.details!.causes![0]!.reason, 'FieldValueRequired');
    });

    it('validates updates too, and requires a resourceVersion on PUT (422 otherwise)', async () => {
      const created = await create(psync('u'));
      await expectStatus(422, () =>
        custom.patchNamespacedCustomObject(
          {
            group: GROUP,
            version: VERSION,
            namespace: 'default',
            plural: 'prefixsyncs',
            name: 'u',
            body: { spec: { prefix: 'x' } },
          },
          MERGE,
        ),
      );
      assert.equal((await get('u')).spec['prefix'], '/config/demo/', 'an invalid patch was stored');
      const noRv = { ...created, metadata: { ...created.metadata, resourceVersion: undefined } };
      const st = await expectStatus(422, () =>
        custom.replaceNamespacedCustomObject({
          group: GROUP,
          version: VERSION,
          namespace: 'default',
          plural: 'prefixsyncs',
          name: 'u',
          body: noRv,
        }),
      );
      assert.match(
        st.message,
        /metadata\.resourceVersion: Invalid value: 0x0: must be specified for an update/,
      );
    });

    it('answers a strategic merge patch on a custom resource with 415, as a real server does', async () => {
      await create(psync('smp'));
      await expectStatus(415, () =>
        custom.patchNamespacedCustomObject(
          {
            group: GROUP,
            version: VERSION,
            namespace: 'default',
            plural: 'prefixsyncs',
            name: 'smp',
            body: { spec: { suspend: true } },
          },
          STRATEGIC,
        ),
      );
    });
  });

  describe('generation and the status subresource', () => {
    it('bumps generation on spec changes only; /status changes only status', async () => {
      const created = await create(psync('g'));
      assert.equal(created.metadata.generation, 1);
      const patch = (body: unknown, subresource?: 'status') =>
        (subresource
          ? custom.patchNamespacedCustomObjectStatus(
              {
                group: GROUP,
                version: VERSION,
                namespace: 'default',
                plural: 'prefixsyncs',
                name: 'g',
                body,
              },
              MERGE,
            )
          : custom.patchNamespacedCustomObject(
              {
                group: GROUP,
                version: VERSION,
                namespace: 'default',
                plural: 'prefixsyncs',
                name: 'g',
                body,
              },
              MERGE,
            )) as Promise<PrefixSync>;
      const labelled = await patch({ metadata: { labels: { a: 'b' } } });
      assert.equal(labelled.metadata.generation, 1, 'a metadata change bumped generation');
      const spec = await patch({ spec: { suspend: true } });
      assert.equal(spec.metadata.generation, 2);
      const viaMain = await patch({ status: { keyCount: 5 } });
      assert.equal(viaMain.status, undefined, 'the main endpoint wrote status');
      const status = await patch(
        { status: { keyCount: 5, observedGeneration: 2 }, spec: { suspend: false } },
        'status',
      );
      assert.equal(status.status!['keyCount'], 5);
      assert.equal(status.spec['suspend'], true, '/status wrote spec');
      assert.equal(status.metadata.generation, 2);
    });

    it('writes nothing for a change that pruning or defaulting undoes: generation and resourceVersion stay', async () => {
      const created = await create(psync('n'));
      const unknown = (await custom.patchNamespacedCustomObject(
        {
          group: GROUP,
          version: VERSION,
          namespace: 'default',
          plural: 'prefixsyncs',
          name: 'n',
          body: [{ op: 'add', path: '/spec/bogus', value: 1 }],
        },
        setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
      )) as PrefixSync;
      assert.equal(unknown.metadata.generation, 1, 'a pruned field bumped generation');
      assert.equal(unknown.metadata.resourceVersion, created.metadata.resourceVersion);
      // A PUT that leaves out a defaulted field gets the default back: no spec change.
      const body = await get('n');
      delete body.spec['suspend'];
      delete body.spec['debounce'];
      const put = (await custom.replaceNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: 'default',
        plural: 'prefixsyncs',
        name: 'n',
        body,
      })) as PrefixSync;
      assert.equal(put.metadata.generation, 1, 'a field defaulted back bumped generation');
      assert.equal(put.metadata.resourceVersion, created.metadata.resourceVersion);
      assert.equal(put.spec['suspend'], false);
    });

    it('serves cluster-scoped kinds (ClusterEtcdSource)', async () => {
      const body = {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: 'ClusterEtcdSource',
        metadata: { name: 'local' },
        spec: { endpoints: ['127.0.0.1:2379'] },
      };
      await custom.createClusterCustomObject({
        group: GROUP,
        version: VERSION,
        plural: 'clusteretcdsources',
        body,
      });
      const got = (await custom.getClusterCustomObject({
        group: GROUP,
        version: VERSION,
        plural: 'clusteretcdsources',
        name: 'local',
      })) as PrefixSync;
      assert.equal(got.metadata.namespace, undefined);
    });
  });

  describe('a CRD without a status subresource, with two versions', () => {
    const widgets = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.example.com' },
      spec: {
        group: 'example.com',
        scope: 'Namespaced',
        names: { kind: 'Widget', plural: 'widgets' },
        versions: ['v1', 'v1beta1'].map((name) => ({
          name,
          served: true,
          storage: name === 'v1',
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec: { type: 'object', properties: { size: { type: 'integer', minimum: 1 } } },
                status: { type: 'object', properties: { ok: { type: 'boolean' } } },
                extra: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
              },
            },
          },
        })),
      },
    };
    const url = (version: string, name = '') =>
      `${sim.url}/apis/example.com/${version}/namespaces/default/widgets${name ? `/${name}` : ''}`;

    beforeEach(async () => {
      const res = await http(`${sim.url}/apis/apiextensions.k8s.io/v1/customresourcedefinitions`, {
        method: 'POST',
        body: widgets,
      });
      assert.equal(res.status, 201);
    });

    it('bumps generation on status changes too, as the main endpoint owns status', async () => {
      const created = await http(url('v1'), {
        method: 'POST',
        body: {
          apiVersion: 'example.com/v1',
          kind: 'Widget',
          metadata: { name: 'w' },
          spec: { size: 1 },
          status: { ok: true },
        },
      });
      assert.equal(created.status, 201);
      assert.deepEqual(
        created.json['status'],
        { ok: true },
        'status was dropped without a status subresource',
      );
      const patched = await http(url('v1', 'w'), {
        method: 'PATCH',
        headers: { 'Content-Type': 'application/merge-patch+json' },
        body: { status: { ok: false } },
      });
      assert.equal((patched.json['metadata'] as Record<string, unknown>)['generation'], 2);
      assert.equal((await http(url('v1', 'w/status'))).status, 404);
    });

    it('serves the same objects at every served version and keeps unknown fields under preserve-unknown-fields', async () => {
      await http(url('v1'), {
        method: 'POST',
        body: {
          apiVersion: 'example.com/v1',
          kind: 'Widget',
          metadata: { name: 'w' },
          spec: { size: 2 },
          extra: { any: { thing: 1 } },
        },
      });
      const beta = await http(url('v1beta1', 'w'));
      assert.equal(beta.json['apiVersion'], 'example.com/v1beta1');
      assert.deepEqual(beta.json['extra'], { any: { thing: 1 } });
      const invalid = await http(url('v1beta1'), {
        method: 'POST',
        body: {
          apiVersion: 'example.com/v1beta1',
          kind: 'Widget',
          metadata: { name: 'z' },
          spec: { size: 0 },
        },
      });
      assert.equal(invalid.status, 422);
      assert.equal(
        (invalid.json as { message: string }).message,
        'Widget.example.com "z" is invalid: spec.size: Invalid value: 0: spec.size in body should be greater than or equal to 1',
      );
    });

    it('renders Name and Age when the CRD declares no printer columns', async () => {
      await http(url('v1'), {
        method: 'POST',
        body: { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } },
      });
      const table = await http(url('v1'), { headers: { Accept: TABLE_ACCEPT } });
      const cols = (table.json['columnDefinitions'] as Array<{ name: string }>).map((c) => c.name);
      assert.deepEqual(cols, ['Name', 'Age']);
    });
  });

  describe('Table output (kubectl get)', () => {
    it('renders the CRD additionalPrinterColumns', async () => {
      await create(psync('t'));
      await custom.patchNamespacedCustomObjectStatus(
        {
          group: GROUP,
          version: VERSION,
          namespace: 'default',
          plural: 'prefixsyncs',
          name: 't',
          body: {
            status: {
              syncedRevision: '42',
              keyCount: 3,
              conditions: [
                {
                  type: 'Ready',
                  status: 'True',
                  reason: 'Synced',
                  message: 'ok',
                  lastTransitionTime: '2026-01-01T00:00:00Z',
                },
              ],
            },
          },
        },
        MERGE,
      );
      const res = await http(`${sim.url}/apis/${GROUP}/${VERSION}/namespaces/default/prefixsyncs?limit=500`, {
        headers: { Accept: TABLE_ACCEPT },
      });
      assert.equal(res.contentType, 'application/json;as=Table;v=v1;g=meta.k8s.io');
      const table = res.json as {
        kind: string;
        columnDefinitions: Array<{ name: string; format: string; priority: number }>;
        rows: Array<{ cells: unknown[]; object: { kind: string; metadata: { name: string } } }>;
      };
      assert.equal(table.kind, 'Table');
      assert.deepEqual(
        table.columnDefinitions.filter((c) => c.priority === 0).map((c) => c.name),
        ['Name', 'Prefix', 'ConfigMap', 'Revision', 'Keys', 'Ready', 'Age'],
      );
      assert.equal(table.columnDefinitions[0]!.format, 'name');
      const cells = table.rows[0]!.cells;
      assert.deepEqual(cells.slice(0, 6), ['t', '/config/demo/', 't-config', '42', 3, 'True']);
      assert.match(String(cells[cells.length - 1]), /^\d+s$/);
      assert.equal(table.rows[0]!.object.kind, 'PartialObjectMetadata');
    });

    it('carries the whole object, metadata or nothing per includeObject, and refuses other values', async () => {
      await create(psync('t'));
      const url = `${sim.url}/apis/${GROUP}/${VERSION}/namespaces/default/prefixsyncs`;
      const rowObject = async (query: string): Promise<unknown> => {
        const res = await http(`${url}${query}`, { headers: { Accept: TABLE_ACCEPT } });
        return (res.json['rows'] as Array<{ object: unknown }>)[0]!.object;
      };
      const whole = (await rowObject('?includeObject=Object')) as Record<string, unknown>;
      assert.equal(whole['kind'], 'PrefixSync');
      assert.equal(whole['apiVersion'], `${GROUP}/${VERSION}`);
      assert.equal((whole['spec'] as Record<string, unknown>)['prefix'], '/config/demo/');
      assert.equal(
        ((await rowObject('/t?includeObject=Object')) as Record<string, unknown>)['kind'],
        'PrefixSync',
      );
      assert.equal(
        ((await rowObject('?includeObject=Metadata')) as Record<string, unknown>)['kind'],
        'PartialObjectMetadata',
      );
      assert.equal(await rowObject('?includeObject=None'), null);
      const bad = await http(`${url}?includeObject=All`, { headers: { Accept: TABLE_ACCEPT } });
      assert.equal(bad.status, 400);
      assert.match(String(bad.json['message']), /unrecognized includeObject value: "All"/);
    });
  });

  describe('OpenAPI v3', () => {
    it('lists every served group/version with a hash that changes when CRDs change', async () => {
      const root = await http(`${sim.url}/openapi/v3`);
      const paths = root.json['paths'] as Record<string, { serverRelativeURL: string }>;
      assert.ok(
        paths['api/v1'] && paths['apis/apiextensions.k8s.io/v1'] && paths[`apis/${GROUP}/${VERSION}`],
      );
      const before = paths[`apis/${GROUP}/${VERSION}`]!.serverRelativeURL;
      await ext.deleteCustomResourceDefinition({ name: 'clusteretcdsources.etcdconfig.dev' });
      await waitFor('the hash to change', async () => {
        const again = (await http(`${sim.url}/openapi/v3`)).json['paths'] as Record<
          string,
          { serverRelativeURL: string }
        >;
        return again[`apis/${GROUP}/${VERSION}`]!.serverRelativeURL !== before;
      });
    });

    it('serves the CRD schema with its GVK and a PATCH operation declaring fieldValidation', async () => {
      const doc = await http(`${sim.url}/openapi/v3/apis/${GROUP}/${VERSION}`);
      const schemas = (doc.json['components'] as { schemas: Record<string, Record<string, unknown>> })
        .schemas;
      const ps = schemas['dev.etcdconfig.v1alpha1.PrefixSync']!;
      assert.deepEqual(ps['x-kubernetes-group-version-kind'], [
        { group: GROUP, version: VERSION, kind: 'PrefixSync' },
      ]);
      assert.match(
        String((ps['properties'] as Record<string, Record<string, unknown>>)['spec']!['description']),
        /desired mirroring/,
      );
      const item = (doc.json['paths'] as Record<string, { patch?: { parameters: Array<{ name: string }> } }>)[
        `/apis/${GROUP}/${VERSION}/namespaces/{namespace}/prefixsyncs/{name}`
      ]!;
      assert.ok(item.patch!.parameters.some((p) => p.name === 'fieldValidation'));
    });

    it('answers /openapi/v2 with a 404 Status', async () => {
      const res = await http(`${sim.url}/openapi/v2`, {
        headers: { Accept: 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf' },
      });
      assert.equal(res.status, 404);
      assert.equal(res.json['kind'], 'Status');
    });
  });

  describe('discovery', () => {
    it('serves /version', async () => {
      const v = await http(`${sim.url}/version?timeout=32s`);
      assert.equal(v.json['major'], '1');
      assert.equal(v.json['minor'], '33');
    });

    it('serves aggregated /api and /apis only when asked, with the exact content type', async () => {
      const accept =
        'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';
      const api = await http(`${sim.url}/api?timeout=32s`, { headers: { Accept: accept } });
      assert.equal(api.contentType, 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
      const items = api.json['items'] as Array<{
        metadata: { name: string };
        versions: Array<{ version: string; resources: Array<{ resource: string; scope: string }> }>;
      }>;
      assert.equal(items.length, 1);
      assert.equal(items[0]!.metadata.name, '');
      const cm = items[0]!.versions[0]!.resources.find((r) => r.resource === 'configmaps');
      assert.equal(cm?.scope, 'Namespaced');
      const legacy = await http(`${sim.url}/api`);
      assert.equal(legacy.contentType, 'application/json');
      assert.deepEqual(legacy.json['versions'], ['v1']);
      const groups = await http(`${sim.url}/apis`);
      assert.equal(groups.json['kind'], 'APIGroupList');
    });

    it('serves /api/v1 as an APIResourceList (what KubernetesObjectApi reads)', async () => {
      const list = await http(`${sim.url}/api/v1`);
      const cm = (
        list.json['resources'] as Array<{ name: string; kind: string; namespaced: boolean; verbs: string[] }>
      ).find((r) => r.name === 'configmaps');
      assert.deepEqual(
        { kind: cm?.kind, namespaced: cm?.namespaced },
        { kind: 'ConfigMap', namespaced: true },
      );
      assert.ok(cm?.verbs.includes('watch'));
      const core = kc.makeApiClient(CoreV1Api);
      assert.ok((await core.getAPIResources()).resources.some((r) => r.name === 'leases') === false);
    });
  });
});
