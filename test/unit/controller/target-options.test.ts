// spec.target options as pure decisions: metadata added and removed (tracked keys), immutable targets
// re-created on change, adoption of unclaimed objects only, and the Secret view's round trip.
import { strict as assert } from 'node:assert';
import type { V1ConfigMap } from '@kubernetes/client-node';
import type { PrefixSync } from '../../../src/api/index.js';
import {
  TARGET_METADATA_ANNOTATION,
  desiredConfigMap,
  planConfigMapWrite,
} from '../../../src/controller/prefixsync/desired-configmap.js';
import { fromSecret, secretTypeOf, toSecret } from '../../../src/controller/prefixsync/secret-view.js';
import { autoTargets } from '../../../src/controller/index.js';
import { requestsForWorkload } from '../../../src/controller/prefixsync/triggers.js';
import { referencedSecrets } from '../../../src/controller/prefixsync/versions.js';
import { content, prefixSync } from './fixtures.js';

const withTarget = (target: Partial<PrefixSync['spec']['target']>): PrefixSync =>
  prefixSync({ target: { name: 'cfg', ...target } });

/** `desired` as the API server would hand it back: with a resourceVersion, and `extra` metadata. */
function existing(
  desired: V1ConfigMap,
  extra: Partial<NonNullable<V1ConfigMap['metadata']>> = {},
): V1ConfigMap {
  return {
    ...desired,
    metadata: {
      ...desired.metadata,
      resourceVersion: '5',
      uid: 'cm-uid',
      ...extra,
      labels: { ...desired.metadata?.labels, ...extra.labels },
      annotations: { ...desired.metadata?.annotations, ...extra.annotations },
    },
  };
}

describe('target options', () => {
  describe('metadata', () => {
    const psync = withTarget({
      metadata: { labels: { tier: 'web' }, annotations: { 'example.com/a': '1' } },
    });

    it('puts the spec labels and annotations on the target, the operator own winning, and tracks their keys', () => {
      const spoof = withTarget({
        metadata: { labels: { 'app.kubernetes.io/managed-by': 'me', tier: 'web' } },
      });
      const cm = desiredConfigMap(spoof, 'cfg', content({ a: '1' }), 1n);
      assert.equal(cm.metadata?.labels?.['app.kubernetes.io/managed-by'], 'etcd-config-operator');
      assert.equal(cm.metadata?.labels?.['tier'], 'web');
      const mine = desiredConfigMap(psync, 'cfg', content({ a: '1' }), 1n);
      assert.deepEqual(JSON.parse(mine.metadata?.annotations?.[TARGET_METADATA_ANNOTATION] ?? ''), {
        labels: ['tier'],
        annotations: ['example.com/a'],
      });
      assert.equal(
        desiredConfigMap(prefixSync(), 'cfg', content({}), 1n).metadata?.annotations?.[
          TARGET_METADATA_ANNOTATION
        ],
        undefined,
      );
    });

    it('removes a key taken out of the spec, keeps labels set by others, and writes nothing when all is so', () => {
      const before = existing(desiredConfigMap(psync, 'cfg', content({ a: '1' }), 1n), {
        labels: { others: 'x' },
      });
      assert.deepEqual(
        planConfigMapWrite(before, desiredConfigMap(psync, 'cfg', content({ a: '1' }), 2n), psync),
        {
          action: 'none',
        },
      );
      const fewer = withTarget({ metadata: { annotations: { 'example.com/a': '1' } } });
      const plan = planConfigMapWrite(before, desiredConfigMap(fewer, 'cfg', content({ a: '1' }), 2n), fewer);
      assert.equal(plan.action, 'replace');
      if (plan.action !== 'replace') return;
      assert.equal(plan.body.metadata?.labels?.['tier'], undefined);
      assert.equal(plan.body.metadata?.labels?.['others'], 'x');
      const none = prefixSync();
      const cleared = planConfigMapWrite(
        before,
        desiredConfigMap(none, 'cfg', content({ a: '1' }), 2n),
        none,
      );
      assert.equal(cleared.action, 'replace');
      if (cleared.action !== 'replace') return;
      assert.equal(cleared.body.metadata?.annotations?.['example.com/a'], undefined);
      assert.equal(cleared.body.metadata?.annotations?.[TARGET_METADATA_ANNOTATION], undefined);
    });
  });

  describe('immutable', () => {
    const psync = withTarget({ immutable: true });

    it('writes immutable; a metadata change replaces it, a content change re-creates it (no resourceVersion)', () => {
      const cm = desiredConfigMap(psync, 'cfg', content({ a: '1' }), 1n);
      assert.equal(cm.immutable, true);
      const have = existing(cm);
      const relabelled = withTarget({ immutable: true, metadata: { labels: { x: 'y' } } });
      assert.equal(
        planConfigMapWrite(have, desiredConfigMap(relabelled, 'cfg', content({ a: '1' }), 1n), relabelled)
          .action,
        'replace',
      );
      const plan = planConfigMapWrite(have, desiredConfigMap(psync, 'cfg', content({ a: '2' }), 2n), psync);
      assert.equal(plan.action, 'recreate');
      if (plan.action !== 'recreate') return;
      assert.equal(plan.body.metadata?.resourceVersion, undefined);
      assert.equal(plan.body.metadata?.uid, undefined);
      assert.equal(plan.body.immutable, true);
      assert.deepEqual({ ...plan.body.data }, { a: '2' });
    });

    it('re-creates an immutable target that the spec makes mutable again, and makes a mutable one immutable in place', () => {
      const mutable = prefixSync();
      const have = existing(desiredConfigMap(psync, 'cfg', content({ a: '1' }), 1n));
      assert.equal(
        planConfigMapWrite(have, desiredConfigMap(mutable, 'cfg', content({ a: '1' }), 1n), mutable).action,
        'recreate',
      );
      const plain = existing(desiredConfigMap(mutable, 'cfg', content({ a: '1' }), 1n));
      const plan = planConfigMapWrite(plain, desiredConfigMap(psync, 'cfg', content({ a: '1' }), 1n), psync);
      assert.equal(plan.action, 'replace');
      if (plan.action === 'replace') assert.equal(plan.body.immutable, true);
    });
  });

  describe('adopt', () => {
    const handMade: V1ConfigMap = {
      metadata: { name: 'cfg', namespace: 'team', resourceVersion: '3', labels: { owner: 'hand' } },
      data: { old: 'x' },
    };

    it('takes over an unclaimed object only with adopt, naming its former state, keeping its labels', () => {
      const without = planConfigMapWrite(
        handMade,
        desiredConfigMap(prefixSync(), 'cfg', content({ a: '1' }), 1n),
        prefixSync(),
      );
      assert.equal(without.action, 'conflict');
      if (without.action === 'conflict') assert.match(without.message, /set spec\.target\.adopt: true/);
      const psync = withTarget({ adopt: true });
      const plan = planConfigMapWrite(
        handMade,
        desiredConfigMap(psync, 'cfg', content({ a: '1' }), 1n),
        psync,
      );
      assert.equal(plan.action, 'replace');
      if (plan.action !== 'replace') return;
      assert.equal(
        plan.adopted,
        'owner: no PrefixSync (created by someone else); labels: owner; annotations: none',
      );
      assert.equal(plan.body.metadata?.labels?.['owner'], 'hand');
      assert.deepEqual({ ...plan.body.data }, { a: '1' });
    });

    it('never adopts one a controller owns, nor one the operator wrote for another PrefixSync', () => {
      const psync = withTarget({ adopt: true });
      const desired = desiredConfigMap(psync, 'cfg', content({ a: '1' }), 1n);
      const owned: V1ConfigMap = {
        ...handMade,
        metadata: {
          ...handMade.metadata,
          ownerReferences: [
            { apiVersion: 'apps/v1', kind: 'Deployment', name: 'd', uid: 'u', controller: true },
          ],
        },
      };
      assert.equal(planConfigMapWrite(owned, desired, psync).action, 'conflict');
      const written: V1ConfigMap = {
        ...handMade,
        metadata: {
          ...handMade.metadata,
          labels: {
            'app.kubernetes.io/managed-by': 'etcd-config-operator',
            'etcdconfig.dev/prefixsync': 'other',
          },
        },
      };
      assert.equal(planConfigMapWrite(written, desired, psync).action, 'conflict');
    });
  });

  describe('the Secret view', () => {
    it('writes every value base64 in data of an Opaque Secret and reads text back to data, bytes to binaryData', () => {
      const c = content({ text: 'héllo', bin: Buffer.from([0xff, 0x00, 0xfe]) });
      const view = desiredConfigMap(withTarget({ kind: 'Secret' }), 'cfg', c, 1n);
      const secret = toSecret(view);
      assert.equal(secret.kind, 'Secret');
      assert.equal(secret.type, 'Opaque');
      assert.equal(secret.data?.['text'], Buffer.from('héllo').toString('base64'));
      assert.equal(secret.data?.['bin'], Buffer.from([0xff, 0x00, 0xfe]).toString('base64'));
      const back = fromSecret(secret);
      assert.equal(secretTypeOf(back), 'Opaque');
      assert.equal(secretTypeOf(view), undefined);
      assert.equal(secretTypeOf(fromSecret({ ...secret, type: 'kubernetes.io/tls' })), 'kubernetes.io/tls');
      assert.deepEqual({ ...back.data }, { ...view.data });
      assert.deepEqual({ ...back.binaryData }, { ...view.binaryData });
    });

    it('finds the Secrets a pod spec references: volumes, projected, envFrom, env valueFrom', () => {
      const names = referencedSecrets({
        volumes: [
          { name: 'a', secret: { secretName: 's1' } },
          { name: 'b', projected: { sources: [{ secret: { name: 's2' } }, { configMap: { name: 'cm' } }] } },
        ],
        containers: [
          {
            name: 'c',
            envFrom: [{ secretRef: { name: 's3' } }],
            env: [{ name: 'E', valueFrom: { secretKeyRef: { name: 's4', key: 'k' } } }],
          },
        ],
        initContainers: [{ name: 'i', envFrom: [{ configMapRef: { name: 'cm2' } }] }],
      });
      assert.deepEqual([...names].sort(), ['s1', 's2', 's3', 's4']);
    });

    it('makes mode auto find and re-queue the workloads that reference the Secret, not a ConfigMap of that name', () => {
      const web = {
        metadata: { name: 'web', namespace: 'team' },
        spec: {
          selector: {},
          template: {
            spec: { containers: [{ name: 'c', image: 'x', envFrom: [{ secretRef: { name: 'cfg' } }] }] },
          },
        },
      };
      const secretSync = { ...withTarget({ kind: 'Secret' }), metadata: { name: 's', namespace: 'team' } };
      secretSync.spec.rollout = { mode: 'auto' };
      const configMapSync = {
        ...prefixSync({ rollout: { mode: 'auto' } }),
        metadata: { name: 'c', namespace: 'team' },
      };
      assert.deepEqual(
        requestsForWorkload('Deployment', web, [secretSync, configMapSync]).map((r) => r.name),
        ['s'],
      );
      const found = autoTargets([{ kind: 'Deployment', workload: web }], 'cfg', undefined, false, 'Secret');
      assert.deepEqual(
        found.map((w) => w.workload.metadata?.name),
        ['web'],
      );
      assert.deepEqual(autoTargets([{ kind: 'Deployment', workload: web }], 'cfg', undefined), []);
    });
  });
});
