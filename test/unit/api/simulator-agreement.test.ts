// The project's Kubernetes API simulator, spoken to through the real @kubernetes/client-node, must
// answer every sample as the CRD says: good ones are created (their status written through /status),
// bad ones refused with 422 naming the same field. This keeps tests that run on the simulator honest
// about what a real API server would let through.
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync, readdirSync } from 'node:fs';
import {
  ApiException,
  ApiextensionsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  loadAllYaml,
} from '@kubernetes/client-node';
import type { V1CustomResourceDefinition } from '@kubernetes/client-node';
import { CLUSTER_ETCD_SOURCE, GROUP, PREFIX_SYNC, VERSION } from '../../../src/api/index.js';
import { KubeSim } from '../../../src/envtest/index.js';
import { CLUSTER_ETCD_SOURCE_SAMPLES, PREFIX_SYNC_SAMPLES } from './support/samples.js';
import type { Sample } from './support/samples.js';

const CRDS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../crds');
const NAMESPACE = 'samples';
/** kubectl's default: unknown fields are refused, not pruned. */
const STRICT = 'Strict';

interface Verdict {
  ok: boolean;
  code?: number;
  fields: string[];
  text: string;
}

/** Runs a request; a refusal becomes a verdict with the fields of the Status' causes. */
async function verdict(request: () => Promise<unknown>): Promise<Verdict> {
  try {
    await request();
    return { ok: true, fields: [], text: '' };
  } catch (e) {
    if (!(e instanceof ApiException)) throw e;
    const body = (typeof e.body === 'string' ? JSON.parse(e.body) : e.body) as {
      message?: string;
      details?: { causes?: { field?: string }[] };
    };
    const fields = (body.details?.causes ?? []).map((c) => c.field ?? '');
    return { ok: false, code: e.code, fields, text: body.message ?? String(e.body) };
  }
}

async function waitUntil(check: () => Promise<boolean>, what: string, deadlineMs = 20_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('the API simulator enforces the CRDs like the schema does', function () {
  let sim: KubeSim | undefined;
  let objects: CustomObjectsApi;

  before(async () => {
    sim = await KubeSim.start();
    const kc = sim.kubeConfig();
    const extensions = kc.makeApiClient(ApiextensionsV1Api);
    // loadAllYaml turns YAML into client-node's models (x-kubernetes-validations → x_kubernetes_validations,
    // enum → _enum, ...). Handing it plain parsed YAML makes its serializer drop those fields silently.
    for (const file of readdirSync(CRDS).filter((f) => f.endsWith('.yaml'))) {
      for (const crd of loadAllYaml(
        readFileSync(path.join(CRDS, file), 'utf8'),
      ) as V1CustomResourceDefinition[]) {
        await extensions.createCustomResourceDefinition({ body: crd });
      }
    }
    await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: NAMESPACE } } });
    objects = kc.makeApiClient(CustomObjectsApi);
    await waitUntil(
      async () =>
        (
          await verdict(() =>
            objects.listNamespacedCustomObject({
              group: GROUP,
              version: VERSION,
              namespace: NAMESPACE,
              plural: PREFIX_SYNC.plural,
            }),
          )
        ).ok,
      'the PrefixSync resource to be served',
    );
  });
  after(async () => {
    await sim?.close();
  });

  const cases: { kind: 'PrefixSync' | 'ClusterEtcdSource'; sample: Sample; index: number }[] = [
    ...PREFIX_SYNC_SAMPLES.map((sample, index) => ({ kind: 'PrefixSync' as const, sample, index })),
    ...CLUSTER_ETCD_SOURCE_SAMPLES.map((sample, index) => ({
      kind: 'ClusterEtcdSource' as const,
      sample,
      index,
    })),
  ];

  for (const { kind, sample, index } of cases) {
    const expected = sample.refused?.schema;
    it(`${kind}: ${expected ? 'refuses' : 'accepts'} ${sample.name}`, async function () {
      const { status, ...rest } = sample.object as { status?: unknown; metadata: { name?: string } };
      const name = sample.keepsName && rest.metadata.name ? rest.metadata.name : `sample-${index}`;
      const body = { ...rest, metadata: { ...rest.metadata, name, namespace: undefined } };
      const plural = kind === 'PrefixSync' ? PREFIX_SYNC.plural : CLUSTER_ETCD_SOURCE.plural;
      const common = { group: GROUP, version: VERSION, plural };
      const scoped = kind === 'PrefixSync';
      const create = await verdict(() =>
        scoped
          ? objects.createNamespacedCustomObject({
              ...common,
              namespace: NAMESPACE,
              body,
              fieldValidation: STRICT,
            })
          : objects.createClusterCustomObject({ ...common, body, fieldValidation: STRICT }),
      );
      // With the status subresource, a create ignores status: bad status is judged by a /status write.
      const judgesStatus = expected?.startsWith('status') ?? status !== undefined;
      let result = create;
      if (create.ok && judgesStatus) {
        const current = (await (scoped
          ? objects.getNamespacedCustomObject({ ...common, namespace: NAMESPACE, name })
          : objects.getClusterCustomObject({ ...common, name }))) as Record<string, unknown>;
        const withStatus = { ...current, status };
        result = await verdict(() =>
          scoped
            ? objects.replaceNamespacedCustomObjectStatus({
                ...common,
                namespace: NAMESPACE,
                name,
                body: withStatus,
              })
            : objects.replaceClusterCustomObjectStatus({ ...common, name, body: withStatus }),
        );
      }
      if (create.ok) {
        await (scoped
          ? objects.deleteNamespacedCustomObject({ ...common, namespace: NAMESPACE, name })
          : objects.deleteClusterCustomObject({ ...common, name }));
      }
      if (expected === undefined) {
        assert.ok(result.ok, `refused (${result.code}): ${result.text}`);
        return;
      }
      assert.equal(result.ok, false, `accepted, but the CRD refuses ${expected}`);
      if (result.code === 400) {
        // Strict field validation: the API server answers 400 BadRequest, naming the field in the message.
        assert.ok(result.text.includes(`unknown field "${expected}"`), result.text);
      } else {
        assert.equal(result.code, 422, result.text);
        assert.ok(result.fields.includes(expected), `refused, but not at ${expected}: ${result.text}`);
      }
    });
  }
});
