import { strict as assert } from 'node:assert';
import type { V1Deployment, V1PodSpec } from '@kubernetes/client-node';
import {
  autoTargets,
  isRolloutDue,
  podSpecUsesConfigMap,
  rollOut,
  type RolloutRequest,
  type WorkloadApi,
} from '../../../src/controller/index.js';
import { withPrefixSyncDefaults, type PrefixSyncRollout } from '../../../src/api/index.js';
import { NotFoundError, type Workload, type WorkloadRef } from '../../../src/kube/index.js';

const container = (extra: object = {}): V1PodSpec['containers'][number] => ({
  name: 'c',
  image: 'x',
  ...extra,
});

function deployment(
  name: string,
  spec: V1PodSpec,
  options: { labels?: Record<string, string>; hash?: string } = {},
): V1Deployment {
  return {
    metadata: { name, namespace: 'team', labels: options.labels ?? {} },
    spec: {
      selector: {},
      template: {
        metadata: options.hash ? { annotations: { 'config-hash.etcdconfig.dev/app': options.hash } } : {},
        spec,
      },
    },
  };
}

describe('rollout', () => {
  describe('isRolloutDue', () => {
    it('is due only when the status hash is known and differs', () => {
      assert.equal(isRolloutDue(undefined, 'h1'), false, 'first sync');
      assert.equal(isRolloutDue('', 'h1'), false, 'first sync');
      assert.equal(isRolloutDue('h1', 'h1'), false, 'operator restart with unchanged content');
      assert.equal(isRolloutDue('h0', 'h1'), true);
    });
  });

  describe('podSpecUsesConfigMap (mode auto)', () => {
    const cases: [string, V1PodSpec][] = [
      [
        'a configMap volume',
        { containers: [container()], volumes: [{ name: 'v', configMap: { name: 'cfg' } }] },
      ],
      [
        'a projected volume',
        {
          containers: [container()],
          volumes: [
            {
              name: 'v',
              projected: { sources: [{ secret: { name: 's' } }, { configMap: { name: 'cfg' } }] },
            },
          ],
        },
      ],
      ['envFrom', { containers: [container({ envFrom: [{ configMapRef: { name: 'cfg' } }] })] }],
      [
        'env valueFrom configMapKeyRef',
        {
          containers: [
            container({ env: [{ name: 'E', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'k' } } }] }),
          ],
        },
      ],
      [
        'an init container',
        {
          containers: [container()],
          initContainers: [container({ envFrom: [{ configMapRef: { name: 'cfg' } }] })],
        },
      ],
    ];
    for (const [what, spec] of cases) {
      it(`finds ${what}`, () => assert.equal(podSpecUsesConfigMap(spec, 'cfg'), true));
    }
    it('ignores other ConfigMaps, Secrets and plain env', () => {
      const spec: V1PodSpec = {
        containers: [
          container({
            env: [{ name: 'E', value: 'cfg' }],
            envFrom: [{ secretRef: { name: 'cfg' } }, { configMapRef: { name: 'other' } }],
          }),
        ],
        volumes: [
          { name: 'v', configMap: { name: 'other' } },
          { name: 's', secret: { secretName: 'cfg' } },
        ],
      };
      assert.equal(podSpecUsesConfigMap(spec, 'cfg'), false);
      assert.equal(podSpecUsesConfigMap(undefined, 'cfg'), false);
    });
    it('narrows by the selector', () => {
      const uses = { containers: [container({ envFrom: [{ configMapRef: { name: 'cfg' } }] })] };
      const found = autoTargets(
        [
          { kind: 'Deployment', workload: deployment('a', uses, { labels: { tier: 'web' } }) },
          { kind: 'Deployment', workload: deployment('b', uses, { labels: { tier: 'db' } }) },
          {
            kind: 'StatefulSet',
            workload: deployment('c', { containers: [container()] }, { labels: { tier: 'web' } }),
          },
        ],
        'cfg',
        { matchLabels: { tier: 'web' } },
      );
      assert.deepEqual(
        found.map((w) => w.workload.metadata?.name),
        ['a'],
      );
    });
  });

  describe('rollOut', () => {
    /** What PrefixSync `app` in `team` asks of a rollout of ConfigMap `cfg` to `hash`. */
    const request = (rollout: PrefixSyncRollout, hash: string): RolloutRequest => ({
      namespace: 'team',
      prefixSyncName: 'app',
      rollout: withPrefixSyncDefaults({
        sourceRef: { name: 's' },
        prefix: '/a/',
        target: { name: 'cfg' },
        rollout,
      }).rollout,
      configMapName: 'cfg',
      hash,
    });

    /** An in-memory WorkloadApi that records patches. */
    function fakeApi(workloads: Record<string, Workload>): WorkloadApi & { patched: string[] } {
      const patched: string[] = [];
      return {
        patched,
        get: (ref: WorkloadRef) => {
          const w = workloads[`${ref.kind}/${ref.name}`];
          if (!w)
            return Promise.reject(new NotFoundError(`${ref.kind} ${ref.name} not found`, 404, 'NotFound'));
          return Promise.resolve(w);
        },
        list: (kind) =>
          Promise.resolve({
            items: Object.entries(workloads)
              .filter(([k]) => k.startsWith(`${kind}/`))
              .map(([, w]) => w),
            resourceVersion: '1',
          }),
        patchPodTemplateAnnotations: (ref, annotations) => {
          patched.push(`${ref.kind}/${ref.name}=${String(annotations['config-hash.etcdconfig.dev/app'])}`);
          return Promise.resolve(workloads[`${ref.kind}/${ref.name}`]!);
        },
      };
    }
    const mounting: V1PodSpec = {
      containers: [container()],
      volumes: [{ name: 'v', configMap: { name: 'cfg' } }],
    };

    it('patches each target once and skips those that already carry the hash', async () => {
      const api = fakeApi({
        'Deployment/web': deployment('web', mounting),
        'Deployment/done': deployment('done', mounting, { hash: 'h1' }),
      });
      const result = await rollOut(
        api,
        request(
          {
            mode: 'targets',
            targets: [
              { kind: 'Deployment', name: 'web' },
              { kind: 'Deployment', name: 'done' },
            ],
          },
          'h1',
        ),
      );
      assert.deepEqual(api.patched, ['Deployment/web=h1']);
      assert.equal(result.ok, true);
      assert.deepEqual(
        result.rolled.map((w) => w.name),
        ['web', 'done'],
      );
      assert.deepEqual(
        result.patched.map((w) => w.name),
        ['web'],
      );
    });

    it('reports a missing target as TargetNotFound and still rolls the others', async () => {
      const api = fakeApi({ 'Deployment/web': deployment('web', mounting) });
      const result = await rollOut(
        api,
        request(
          {
            mode: 'targets',
            targets: [
              { kind: 'StatefulSet', name: 'db' },
              { kind: 'Deployment', name: 'web' },
            ],
          },
          'h2',
        ),
      );
      assert.equal(result.ok, false);
      if (!result.ok) {
        assert.equal(result.reason, 'TargetNotFound');
        assert.match(result.message, /StatefulSet db/);
      }
      assert.deepEqual(api.patched, ['Deployment/web=h2']);
    });

    it('mode auto patches only the workloads that use the ConfigMap', async () => {
      const api = fakeApi({
        'Deployment/web': deployment('web', mounting),
        'DaemonSet/agent': deployment('agent', {
          containers: [container({ envFrom: [{ configMapRef: { name: 'cfg' } }] })],
        }),
        'StatefulSet/db': deployment('db', { containers: [container()] }),
      });
      const result = await rollOut(api, request({ mode: 'auto', targets: [] }, 'h3'));
      assert.deepEqual(api.patched.sort(), ['DaemonSet/agent=h3', 'Deployment/web=h3']);
      assert.equal(result.ok, true);
    });
  });
});
