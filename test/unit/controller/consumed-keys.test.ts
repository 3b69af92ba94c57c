import { strict as assert } from 'node:assert';
import type { V1Deployment, V1PodSpec } from '@kubernetes/client-node';
import { withPrefixSyncDefaults } from '../../../src/api/index.js';
import {
  consumedKeys,
  keysHash,
  rollOut,
  workloadHash,
  type RolloutContent,
  type WorkloadApi,
} from '../../../src/controller/index.js';
import type { Workload, WorkloadRef } from '../../../src/kube/index.js';

const ANNOTATION = 'config-hash.etcdconfig.dev/app';

function container(extra: object = {}): V1PodSpec['containers'][number] {
  return { name: 'c', image: 'x', ...extra };
}

const keyRef = (key: string, name = 'cfg'): object => ({
  env: [{ name: key.toUpperCase(), valueFrom: { configMapKeyRef: { name, key } } }],
});

function content(data: Record<string, string>, binaryData: Record<string, string> = {}): RolloutContent {
  return { data, binaryData };
}

describe('key-aware restarts', () => {
  describe('consumedKeys', () => {
    const cases: [string, V1PodSpec, ReturnType<typeof consumedKeys>][] = [
      ['nothing of cfg', { containers: [container(keyRef('a', 'other'))] }, undefined],
      [
        'envFrom',
        { containers: [container({ envFrom: [{ configMapRef: { name: 'cfg' } }] })] },
        { whole: true },
      ],
      [
        'a volume without items (any subPath of it)',
        {
          containers: [container({ volumeMounts: [{ name: 'v', mountPath: '/a', subPath: 'a' }] })],
          volumes: [{ name: 'v', configMap: { name: 'cfg' } }],
        },
        { whole: true },
      ],
      [
        'a projected source without items',
        {
          containers: [container()],
          volumes: [{ name: 'v', projected: { sources: [{ configMap: { name: 'cfg' } }] } }],
        },
        { whole: true },
      ],
      [
        'an env configMapKeyRef',
        { containers: [container(keyRef('a'))] },
        { whole: false, keys: new Set(['a']) },
      ],
      [
        'volume and projected items, and an init container key',
        {
          initContainers: [container(keyRef('c'))],
          containers: [container()],
          volumes: [
            { name: 'v', configMap: { name: 'cfg', items: [{ key: 'a', path: 'a' }] } },
            {
              name: 'p',
              projected: { sources: [{ configMap: { name: 'cfg', items: [{ key: 'b', path: 'b' }] } }] },
            },
          ],
        },
        { whole: false, keys: new Set(['a', 'b', 'c']) },
      ],
      [
        'some keys and the whole elsewhere',
        { containers: [container(keyRef('a')), container({ envFrom: [{ configMapRef: { name: 'cfg' } }] })] },
        { whole: true },
      ],
    ];
    for (const [name, spec, expected] of cases) {
      it(name, () => assert.deepEqual(consumedKeys(spec, 'cfg'), expected));
    }

    describe('of a Secret target', () => {
      const secretKeyRef = (key: string): object => ({
        env: [{ name: key.toUpperCase(), valueFrom: { secretKeyRef: { name: 'cfg', key } } }],
      });
      const secretCases: [string, V1PodSpec, ReturnType<typeof consumedKeys>][] = [
        // A ConfigMap of the same name is another object.
        ['a ConfigMap key of the same name only', { containers: [container(keyRef('a'))] }, undefined],
        [
          'envFrom secretRef',
          { containers: [container({ envFrom: [{ secretRef: { name: 'cfg' } }] })] },
          { whole: true },
        ],
        [
          'a secret volume without items',
          { containers: [container()], volumes: [{ name: 'v', secret: { secretName: 'cfg' } }] },
          { whole: true },
        ],
        [
          'secretKeyRef, secret volume items and projected secret items',
          {
            initContainers: [container(secretKeyRef('c'))],
            containers: [container()],
            volumes: [
              { name: 'v', secret: { secretName: 'cfg', items: [{ key: 'a', path: 'a' }] } },
              {
                name: 'p',
                projected: { sources: [{ secret: { name: 'cfg', items: [{ key: 'b', path: 'b' }] } }] },
              },
            ],
          },
          { whole: false, keys: new Set(['a', 'b', 'c']) },
        ],
      ];
      for (const [name, spec, expected] of secretCases) {
        it(name, () => assert.deepEqual(consumedKeys(spec, 'cfg', 'Secret'), expected));
      }
    });
  });

  describe('keysHash', () => {
    const keys = new Set(['a', 'b']);
    const base = keysHash(keys, content({ a: '1', b: '2', c: '3' }));
    it('ignores other keys and is the same for the same values (an operator restart restarts nothing)', () => {
      assert.match(base, /^keys-[0-9a-f]{32}$/);
      assert.equal(keysHash(new Set(['b', 'a']), content({ c: 'other', b: '2', a: '1' })), base);
    });
    it('changes when a consumed key changes, disappears, moves to binaryData, or the key set changes', () => {
      const variants = [
        keysHash(keys, content({ a: '1', b: '3' })),
        keysHash(keys, content({ a: '1' })),
        keysHash(keys, content({ a: '1' }, { b: '2' })),
        keysHash(new Set(['a', 'b', 'c']), content({ a: '1', b: '2', c: '3' })),
        keysHash(new Set(['a=d1:1', 'b']), content({ 'a=d1:1': '', b: '2' })),
      ];
      assert.equal(new Set([base, ...variants]).size, variants.length + 1);
    });
    it('is the content hash for a workload that consumes the whole ConfigMap, or when the content is unknown', () => {
      const whole: V1PodSpec = { containers: [container({ envFrom: [{ configMapRef: { name: 'cfg' } }] })] };
      const some: V1PodSpec = { containers: [container(keyRef('a'))] };
      assert.equal(workloadHash(whole, 'cfg', 'h1', content({ a: '1' })), 'h1');
      assert.equal(workloadHash(some, 'cfg', 'h1', undefined), 'h1');
      assert.equal(
        workloadHash(some, 'cfg', 'h1', content({ a: '1' })),
        keysHash(new Set(['a']), content({ a: '1' })),
      );
    });
  });

  describe('rollOut in mode auto', () => {
    function deployment(name: string, spec: V1PodSpec, hash?: string): V1Deployment {
      const annotations = hash ? { [ANNOTATION]: hash } : undefined;
      return {
        metadata: { name, namespace: 'team' },
        spec: { selector: {}, template: { metadata: annotations ? { annotations } : {}, spec } },
      };
    }

    /** Deployments in memory; a patch sets the annotation, as the API server would. */
    function fakeApi(workloads: Map<string, V1Deployment>): WorkloadApi & { patched: string[] } {
      const patched: string[] = [];
      return {
        kinds: ['Deployment'],
        patched,
        get: (ref: WorkloadRef) => Promise.resolve(workloads.get(ref.name)! as Workload),
        list: () => Promise.resolve({ items: [...workloads.values()] as Workload[], resourceVersion: '1' }),
        patchPodTemplateAnnotations: (ref, annotations) => {
          const w = workloads.get(ref.name)!;
          const hash = String(annotations[ANNOTATION]);
          patched.push(`${ref.name}=${hash.startsWith('keys-') ? 'keys' : hash}`);
          workloads.set(ref.name, deployment(ref.name, w.spec!.template.spec!, hash));
          return Promise.resolve(workloads.get(ref.name)! as Workload);
        },
      };
    }

    const spec = withPrefixSyncDefaults({
      sourceRef: { name: 's' },
      prefix: '/p/',
      target: { name: 'cfg' },
      rollout: { mode: 'auto' },
    });
    const roll = (
      api: WorkloadApi,
      hash: string,
      data: Record<string, string>,
      before?: Record<string, string>,
    ) =>
      rollOut(api, {
        namespace: 'team',
        prefixSyncName: 'app',
        rollout: spec.rollout,
        configMapName: 'cfg',
        hash,
        content: content(data),
        ...(before ? { previous: content(before) } : {}),
      });

    it('leaves a key consumer without a key hash alone when the content it runs had the same keys', async () => {
      const keyed: V1PodSpec = { containers: [container(keyRef('a'))] };
      const api = fakeApi(new Map([['keyed', deployment('keyed', keyed, 'h0')]]));
      const result = await roll(api, 'h1', { a: '1', b: '2' }, { a: '1', b: '1' });
      assert.deepEqual(api.patched, []);
      assert.deepEqual(result.rolled, []);
      await roll(api, 'h2', { a: '2', b: '2' }, { a: '1', b: '2' });
      assert.deepEqual(api.patched, ['keyed=keys']);
    });

    it('restarts a Secret key consumer (secretKeyRef) only when its key changed', async () => {
      const keyed: V1PodSpec = {
        containers: [
          container({ env: [{ name: 'A', valueFrom: { secretKeyRef: { name: 'cfg', key: 'a' } } }] }),
        ],
      };
      const api = fakeApi(new Map([['keyed', deployment('keyed', keyed, 'h0')]]));
      const rollSecret = (hash: string, data: Record<string, string>, before: Record<string, string>) =>
        rollOut(api, {
          namespace: 'team',
          prefixSyncName: 'app',
          rollout: spec.rollout,
          configMapName: 'cfg',
          hash,
          content: content(data),
          previous: content(before),
          targetKind: 'Secret',
        });
      await rollSecret('h1', { a: '1', b: '2' }, { a: '1', b: '1' });
      assert.deepEqual(api.patched, []);
      await rollSecret('h2', { a: '2', b: '2' }, { a: '1', b: '2' });
      assert.deepEqual(api.patched, ['keyed=keys']);
    });

    it('restarts a key consumer only when its key changed, and lists only the restarted', async () => {
      const keyed: V1PodSpec = { containers: [container(keyRef('a'))] };
      const whole: V1PodSpec = { containers: [container({ envFrom: [{ configMapRef: { name: 'cfg' } }] })] };
      const workloads = new Map([
        ['keyed', deployment('keyed', keyed, 'h0')],
        ['whole', deployment('whole', whole, 'h0')],
      ]);
      const api = fakeApi(workloads);
      // Upgrading: keyed carries the content hash of before, so its first key-aware rollout restarts it once.
      await roll(api, 'h1', { a: '1', b: '1' });
      assert.deepEqual(api.patched.splice(0), ['keyed=keys', 'whole=h1']);
      // b changes: only the whole consumer.
      let result = await roll(api, 'h2', { a: '1', b: '2' });
      assert.deepEqual(api.patched.splice(0), ['whole=h2']);
      assert.deepEqual(
        result.rolled.map((w) => `${w.name}=${w.hash}`),
        ['whole=h2'],
      );
      assert.equal(result.ok && result.selected, 2);
      // The same content again (an operator restart, a retry): nothing.
      await roll(api, 'h2', { a: '1', b: '2' });
      assert.deepEqual(api.patched, []);
      // a changes: both.
      result = await roll(api, 'h3', { a: '2', b: '2' });
      assert.deepEqual(api.patched.splice(0), ['keyed=keys', 'whole=h3']);
      assert.deepEqual(
        result.rolled.map((w) => w.name),
        ['keyed', 'whole'],
      );
      // keyed starts consuming b as well: rolled once at the next change, even of another key.
      workloads.set(
        'keyed',
        deployment(
          'keyed',
          { containers: [container(keyRef('a')), container(keyRef('b'))] },
          workloads.get('keyed')!.spec!.template.metadata!.annotations![ANNOTATION],
        ),
      );
      await roll(api, 'h4', { a: '2', b: '2', c: '1' });
      assert.deepEqual(api.patched.splice(0), ['keyed=keys', 'whole=h4']);
      await roll(api, 'h5', { a: '2', b: '2', c: '2' });
      assert.deepEqual(api.patched.splice(0), ['whole=h5']);
    });
  });
});
