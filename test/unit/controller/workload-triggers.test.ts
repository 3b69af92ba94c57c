// Which PrefixSyncs a workload event queues, and which workload updates count.
import { strict as assert } from 'node:assert';
import type { V1Deployment, V1PodSpec } from '@kubernetes/client-node';
import type { PrefixSync, PrefixSyncSpec } from '../../../src/api/index.js';
import { requestsForWorkload, workloadChanged } from '../../../src/controller/prefixsync/triggers.js';
import { prefixSync } from './fixtures.js';

const mounting = (configMap: string): V1PodSpec => ({
  containers: [{ name: 'c', image: 'x' }],
  volumes: [{ name: 'v', configMap: { name: configMap } }],
});

function deployment(
  name: string,
  podSpec: V1PodSpec,
  meta: { namespace?: string; labels?: Record<string, string>; generation?: number } = {},
): V1Deployment {
  return {
    metadata: {
      name,
      namespace: meta.namespace ?? 'team',
      labels: meta.labels ?? {},
      generation: meta.generation ?? 1,
    },
    spec: { selector: {}, template: { spec: podSpec } },
  };
}

/** PrefixSync `name` in `namespace` writing ConfigMap `cfg` with `rollout`. */
function psync(name: string, rollout: PrefixSyncSpec['rollout'], namespace = 'team'): PrefixSync {
  const p = prefixSync(rollout ? { rollout } : {});
  return { ...p, metadata: { ...p.metadata, name, namespace } };
}

describe('PrefixSync triggers for workloads', () => {
  describe('requestsForWorkload', () => {
    const psyncs = [
      psync('names-web', { mode: 'targets', targets: [{ kind: 'Deployment', name: 'web' }] }),
      psync('names-web-ss', { mode: 'targets', targets: [{ kind: 'StatefulSet', name: 'web' }] }),
      psync('names-other', { mode: 'targets', targets: [{ kind: 'Deployment', name: 'api' }] }),
      psync('auto', { mode: 'auto' }),
      psync('auto-tier-web', { mode: 'auto', selector: { matchLabels: { tier: 'web' } } }),
      psync('none', { mode: 'none' }),
      psync('default', undefined),
      psync('elsewhere', { mode: 'targets', targets: [{ kind: 'Deployment', name: 'web' }] }, 'other'),
    ];
    const cases: [string, V1Deployment, string[]][] = [
      [
        'a named target that uses no ConfigMap: the PrefixSyncs naming it (kind and name)',
        deployment('web', { containers: [{ name: 'c', image: 'x' }] }),
        ['names-web'],
      ],
      [
        'a workload that mounts the ConfigMap: mode auto too, within its selector',
        deployment('web', mounting('cfg'), { labels: { tier: 'web' } }),
        ['names-web', 'auto', 'auto-tier-web'],
      ],
      [
        'outside the selector',
        deployment('web', mounting('cfg'), { labels: { tier: 'db' } }),
        ['names-web', 'auto'],
      ],
      ['another ConfigMap, unnamed', deployment('batch', mounting('other')), []],
      [
        'the same name in another namespace',
        deployment('web', mounting('cfg'), { namespace: 'other' }),
        ['elsewhere'],
      ],
    ];
    for (const [what, workload, expected] of cases) {
      it(what, () => {
        assert.deepEqual(
          requestsForWorkload('Deployment', workload, psyncs).map((r) => `${r.namespace}/${r.name}`),
          expected.map((name) => `${workload.metadata?.namespace}/${name}`),
        );
      });
    }

    it('matches a target by kind as well as name', () => {
      const ss = deployment('web', { containers: [{ name: 'c', image: 'x' }] });
      assert.deepEqual(
        requestsForWorkload('StatefulSet', ss, psyncs).map((r) => r.name),
        ['names-web-ss'],
      );
    });

    it('a selector it cannot read counts as a match', () => {
      const odd = psync('odd', {
        mode: 'auto',
        selector: { matchExpressions: 'tier' as unknown as [] },
      });
      assert.deepEqual(
        requestsForWorkload('Deployment', deployment('web', mounting('cfg')), [odd]).map((r) => r.name),
        ['odd'],
      );
    });
  });

  describe('workloadChanged', () => {
    const base = deployment('web', mounting('cfg'), { labels: { tier: 'web' }, generation: 3 });

    it('ignores status-only updates (same generation and labels)', () => {
      const statusOnly: V1Deployment = {
        ...base,
        metadata: { ...base.metadata, resourceVersion: '99' },
        status: { readyReplicas: 1 },
      };
      assert.equal(workloadChanged(base, statusOnly), false);
    });

    it('counts a spec change (generation) and a label change', () => {
      const spec: V1Deployment = { ...base, metadata: { ...base.metadata, generation: 4 } };
      assert.equal(workloadChanged(base, spec), true);
      const labels: V1Deployment = { ...base, metadata: { ...base.metadata, labels: { tier: 'db' } } };
      assert.equal(workloadChanged(base, labels), true);
    });
  });
});
