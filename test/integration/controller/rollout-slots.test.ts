// --max-concurrent-rollouts against real etcd and the simulator: with one slot, a second PrefixSync's
// rollout waits (its ConfigMap written, RolledOut Unknown/RolloutDelayed) until the first one ends.
import { strict as assert } from 'node:assert';
import { FAIL_ROLLOUTS_ANNOTATION } from '../../../src/envtest/index.js';
import type { TestEnv } from './support.js';
import { mountingPodSpec, templateHashOf, useTestEnv, waitFor } from './support.js';

describe('PrefixSync rollouts under --max-concurrent-rollouts (real etcd + simulator)', function () {
  this.timeout(90_000);
  let env: TestEnv;

  useTestEnv(async (e) => {
    env = e;
    await env.startManager({ maxConcurrentRollouts: 1 });
  });

  it('one slot: a rollout waits while another is in progress, and goes once that one has failed', async () => {
    const ns = await env.namespace();
    for (const name of ['slow', 'next']) {
      await env.put(`/${ns}/${name}/k`, '1');
      await env.apps.createNamespacedDeployment({
        namespace: ns,
        body: {
          metadata: {
            name,
            annotations: name === 'slow' ? { [FAIL_ROLLOUTS_ANNOTATION]: 'true' } : {},
          },
          spec: {
            replicas: 1,
            selector: { matchLabels: { app: name } },
            template: { metadata: { labels: { app: name } }, spec: mountingPodSpec(`cfg-${name}`) },
          },
        },
      });
      await env.createPrefixSync(ns, name, {
        sourceRef: { name: 'main' },
        prefix: `/${ns}/${name}/`,
        target: { name: `cfg-${name}` },
        debounce: '0s',
        rollout: { mode: 'targets', targets: [{ kind: 'Deployment', name }], progressDeadline: '4s' },
      });
    }
    const rolledOut = (name: string): Promise<string | undefined> => env.condition(ns, name, 'RolledOut');
    await waitFor(
      'first syncs',
      async () =>
        (await rolledOut('slow')) === 'True/InitialSync' && (await rolledOut('next')) === 'True/InitialSync',
    );

    await env.put(`/${ns}/slow/k`, '2');
    await waitFor('slow in progress', async () => (await rolledOut('slow')) === 'Unknown/Progressing');
    await env.put(`/${ns}/next/k`, '2');
    await waitFor(
      'next waits for a slot',
      async () => (await rolledOut('next')) === 'Unknown/RolloutDelayed',
    );
    assert.equal(
      (await env.configMap(ns, 'cfg-next'))?.data?.['k'],
      '2',
      'the ConfigMap is written meanwhile',
    );
    assert.equal(templateHashOf(await env.deployment(ns, 'next'), 'next'), undefined, 'not rolled yet');

    await waitFor('slow failed', async () => (await rolledOut('slow')) === 'False/RolloutFailed');
    await waitFor('next rolled out', async () => (await rolledOut('next')) === 'True/RolledOut', 30_000);
    assert.equal(
      templateHashOf(await env.deployment(ns, 'next'), 'next'),
      (await env.prefixSync(ns, 'next'))?.status?.contentHash,
    );
  });
});
