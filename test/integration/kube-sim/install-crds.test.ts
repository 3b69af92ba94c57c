import { strict as assert } from 'node:assert';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { installCrds, KubeSim } from '../../../src/envtest/kube-sim/index.js';

describe('installCrds (the demo and the e2e harness install crds/ with it)', () => {
  let sim: KubeSim;
  let objects: CustomObjectsApi;

  before(async () => {
    sim = await KubeSim.start();
    await installCrds(sim.kubeConfig());
    objects = sim.kubeConfig().makeApiClient(CustomObjectsApi);
  });
  after(async () => {
    await sim?.close();
  });

  const create = (name: string, target: Record<string, unknown>): Promise<unknown> =>
    objects.createNamespacedCustomObject({
      group: 'etcdconfig.dev',
      version: 'v1alpha1',
      namespace: 'default',
      plural: 'prefixsyncs',
      body: {
        apiVersion: 'etcdconfig.dev/v1alpha1',
        kind: 'PrefixSync',
        metadata: { name },
        spec: { sourceRef: { name: 'main' }, prefix: '/app/', target },
      },
    });

  it('keeps the schema defaults (client-node drops them from plain parsed YAML)', async () => {
    const created = (await create('defaults', { name: 'cfg' })) as {
      spec: { target: { format?: string }; debounce?: string };
    };
    assert.equal(created.spec.target.format, 'files');
    assert.equal(created.spec.debounce, '1s');
  });

  it('keeps the enums and the CEL rules', async () => {
    await assert.rejects(create('bad-enum', { name: 'cfg', format: 'toml' }), (e: { code?: number }) => {
      assert.equal(e.code, 422);
      return true;
    });
    await assert.rejects(
      create('no-key', { name: 'cfg', format: 'yaml' }),
      (e: { code?: number; body?: string }) => {
        assert.equal(e.code, 422);
        assert.match(String(e.body), /spec\.target/);
        return true;
      },
    );
  });
});
