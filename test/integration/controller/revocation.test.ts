// Revocation: when an access rule stops allowing a PrefixSync, its ConfigMap stays (onRevoke Keep, the
// default) or is deleted with the contents kept for rollbacks (onRevoke Delete) — the policy of the rule
// that last allowed it, even when that rule is gone — and an Event says why.
import { strict as assert } from 'node:assert';
import { AppsV1Api } from '@kubernetes/client-node';
import type { TestEnv } from './support.js';
import { useTestEnv, waitFor } from './support.js';

describe('PrefixSync access revocation (real etcd + simulator)', function () {
  this.timeout(60_000);
  let env: TestEnv;

  useTestEnv(async (e) => {
    env = e;
    await env.startManager();
  });

  /** A namespace and a source of its own allowing its prefix under `onRevoke`; PrefixSync p synced. */
  async function synced(
    onRevoke: 'Keep' | 'Delete' | undefined,
    rollout = false,
  ): Promise<{ ns: string; prefix: string; source: string }> {
    const ns = await env.namespace({ team: 'a' });
    const prefix = `/${ns}/`;
    const source = `s-${ns}`;
    await env.createSource(source, {
      access: [
        {
          namespaceSelector: { matchLabels: { team: 'a' } },
          prefixes: [prefix],
          ...(onRevoke ? { onRevoke } : {}),
        },
      ],
    });
    await env.put(`${prefix}k`, 'secret-ish');
    if (rollout) {
      await env.createDeployment(ns, 'web', {
        containers: [{ name: 'app', image: 'nginx', envFrom: [{ configMapRef: { name: 'cfg' } }] }],
      });
    }
    await env.createPrefixSync(ns, 'p', {
      sourceRef: { name: source },
      prefix,
      target: { name: 'cfg' },
      debounce: '0s',
      ...(rollout
        ? {
            rollout: {
              mode: 'targets',
              targets: [{ kind: 'Deployment', name: 'web' }],
              onFailure: 'Rollback',
            },
          }
        : {}),
    });
    await waitFor('synced', async () => (await env.condition(ns, 'p')) === 'True/Synced');
    return { ns, prefix, source };
  }

  it('onRevoke Delete: a rule removed deletes the ConfigMap and the kept contents, says so, and status claims no content', async () => {
    const { ns, source } = await synced('Delete', true);
    assert.equal((await env.prefixSync(ns, 'p'))?.status?.onRevoke, 'Delete');
    const apps = env.sim.kubeConfig().makeApiClient(AppsV1Api);
    const kept = async (): Promise<number> =>
      (
        await apps.listNamespacedControllerRevision({
          namespace: ns,
          labelSelector: 'etcdconfig.dev/prefixsync=p',
        })
      ).items.length;
    await waitFor('the first content kept for rollbacks', async () => (await kept()) === 1);

    await env.patchSource(source, { spec: { access: [] } });
    await waitFor('deleted', async () => (await env.configMap(ns, 'cfg')) === undefined);
    await waitFor('reported', async () => (await env.condition(ns, 'p')) === 'False/PrefixForbidden');
    assert.equal(await kept(), 0, 'the contents kept for rollbacks are deleted too');
    const status = (await env.prefixSync(ns, 'p'))?.status;
    assert.equal(status?.syncedRevision, undefined, 'status claims no content');
    assert.equal(status?.contentHash, undefined);
    assert.equal(status?.onRevoke, undefined);
    const events = await env.events(ns, 'p');
    assert.ok(
      events.some((e) => /^Warning\/PrefixForbidden: .*ConfigMap cfg was deleted .*onRevoke: Delete/.test(e)),
      events.join('\n'),
    );
    // Access granted again: it syncs again, from scratch.
    await env.patchSource(source, { spec: { access: [{ namespaces: [ns], prefixes: [`/${ns}/`] }] } });
    await waitFor('synced again', async () => (await env.configMap(ns, 'cfg'))?.data?.['k'] === 'secret-ish');
  });

  it('onRevoke Delete: the namespace relabelled out of the selector deletes the ConfigMap', async () => {
    const { ns } = await synced('Delete');
    const res = await fetch(`${env.sim.url}/api/v1/namespaces/${ns}`, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/merge-patch+json' },
      body: JSON.stringify({ metadata: { labels: { team: 'b' } } }),
    });
    assert.equal(res.status, 200);
    await waitFor('deleted', async () => (await env.configMap(ns, 'cfg')) === undefined);
    await waitFor('reported', async () => (await env.condition(ns, 'p')) === 'False/PrefixForbidden');
  });

  it('onRevoke Keep (the default): the ConfigMap stays as it was', async () => {
    const { ns, source } = await synced(undefined);
    assert.equal((await env.prefixSync(ns, 'p'))?.status?.onRevoke, undefined);
    await env.patchSource(source, { spec: { access: [] } });
    await waitFor('forbidden', async () => (await env.condition(ns, 'p')) === 'False/PrefixForbidden');
    assert.equal((await env.configMap(ns, 'cfg'))?.data?.['k'], 'secret-ish');
    assert.equal((await env.prefixSync(ns, 'p'))?.status?.syncedRevision !== undefined, true);
  });
});
