import { strict as assert } from 'node:assert';
import type { V1ConfigMap } from '@kubernetes/client-node';
import {
  CONTENT_HASH_ANNOTATION,
  REVISION_ANNOTATION,
  desiredConfigMap,
  ownershipOf,
  planConfigMapWrite,
  withoutOwner,
} from '../../../src/controller/index.js';
import { content, prefixSync } from './fixtures.js';

describe('desired ConfigMap', () => {
  const psync = prefixSync();

  describe('desiredConfigMap', () => {
    it('is labelled, owned by the PrefixSync as controller, and annotated with hash and revision', () => {
      const c = content({ a: '1', 'b/c': '2' });
      const cm = desiredConfigMap(psync, 'cfg', c, 42n);
      assert.equal(cm.metadata?.name, 'cfg');
      assert.equal(cm.metadata?.namespace, 'team');
      assert.deepEqual(cm.metadata?.labels, {
        'app.kubernetes.io/managed-by': 'etcd-config-operator',
        'etcdconfig.dev/prefixsync': 'app',
      });
      assert.deepEqual(cm.metadata?.annotations, {
        [CONTENT_HASH_ANNOTATION]: c.contentHash,
        [REVISION_ANNOTATION]: '42',
        'etcdconfig.dev/prefixsync-uid': 'uid-1',
      });
      assert.deepEqual(cm.metadata?.ownerReferences, [
        {
          apiVersion: 'etcdconfig.dev/v1alpha1',
          kind: 'PrefixSync',
          name: 'app',
          uid: 'uid-1',
          controller: true,
          blockOwnerDeletion: true,
        },
      ]);
      assert.deepEqual({ ...cm.data }, { a: '1', 'b.c': '2' });
      assert.equal(cm.binaryData, undefined);
    });

    it('puts non-UTF-8 values in binaryData', () => {
      const cm = desiredConfigMap(psync, 'cfg', content({ bin: Buffer.from([0xff, 0xfe]) }), 1n);
      assert.deepEqual({ ...cm.binaryData }, { bin: Buffer.from([0xff, 0xfe]).toString('base64') });
    });
  });

  describe('planConfigMapWrite', () => {
    const desired = desiredConfigMap(psync, 'cfg', content({ a: '1' }), 5n);
    const existingOf = (patch: Partial<V1ConfigMap>): V1ConfigMap => ({
      ...structuredClone(desired),
      metadata: { ...structuredClone(desired.metadata), resourceVersion: '77' },
      ...patch,
    });

    it('creates a missing ConfigMap', () => {
      assert.deepEqual(planConfigMapWrite(undefined, desired, psync), { action: 'create', body: desired });
    });

    it('writes nothing when content, hash, labels and owner match, whatever the revision annotation says', () => {
      const existing = existingOf({});
      existing.metadata!.annotations![REVISION_ANNOTATION] = '3';
      assert.deepEqual(planConfigMapWrite(existing, desired, psync), { action: 'none' });
    });

    it("replaces changed data with the read resourceVersion, keeping others' labels, annotations and owners", () => {
      const existing = existingOf({ data: { a: 'old', extra: 'x' } });
      existing.metadata!.labels!['team'] = 'blue';
      existing.metadata!.annotations!['note'] = 'keep';
      existing.metadata!.ownerReferences!.push({ apiVersion: 'v1', kind: 'Thing', name: 't', uid: 'other' });
      const plan = planConfigMapWrite(existing, desired, psync);
      assert.equal(plan.action, 'replace');
      if (plan.action !== 'replace') return;
      assert.equal(plan.body.metadata?.resourceVersion, '77');
      assert.deepEqual({ ...plan.body.data }, { a: '1' });
      assert.equal(plan.body.metadata?.labels?.['team'], 'blue');
      assert.equal(plan.body.metadata?.annotations?.['note'], 'keep');
      assert.deepEqual(
        plan.body.metadata?.ownerReferences?.map((r) => r.uid),
        ['other', 'uid-1'],
      );
    });

    it('refuses a ConfigMap it does not own, naming the owner', () => {
      const foreign: V1ConfigMap = {
        metadata: { name: 'cfg', namespace: 'team', resourceVersion: '1' },
        data: { a: 'x' },
      };
      const plan = planConfigMapWrite(foreign, desired, psync);
      assert.equal(plan.action, 'conflict');
      if (plan.action === 'conflict')
        assert.match(plan.message, /team\/cfg .*not managed by this PrefixSync/);
      const owned: V1ConfigMap = {
        metadata: {
          name: 'cfg',
          ownerReferences: [
            { apiVersion: 'v1', kind: 'PrefixSync', name: 'other', uid: 'uid-2', controller: true },
          ],
        },
      };
      const plan2 = planConfigMapWrite(owned, desired, psync);
      assert.equal(plan2.action, 'conflict');
      if (plan2.action === 'conflict') assert.match(plan2.message, /PrefixSync other/);
    });

    it('adopts a ConfigMap it wrote and let go of (same name and UID)', () => {
      const retained: V1ConfigMap = {
        metadata: {
          name: 'cfg',
          resourceVersion: '9',
          labels: { ...desired.metadata!.labels },
          annotations: { 'etcdconfig.dev/prefixsync-uid': 'uid-1' },
        },
        data: { a: '1' },
      };
      assert.deepEqual(ownershipOf(retained, psync), { kind: 'adoptable' });
      const plan = planConfigMapWrite(retained, desired, psync);
      assert.equal(plan.action, 'replace');
      if (plan.action === 'replace')
        assert.deepEqual(
          plan.body.metadata?.ownerReferences?.map((r) => r.uid),
          ['uid-1'],
        );
    });

    it('never adopts by name alone: a ConfigMap retained by an earlier PrefixSync of the same name is a conflict', () => {
      for (const annotations of [{ 'etcdconfig.dev/prefixsync-uid': 'uid-old' }, undefined]) {
        const retained: V1ConfigMap = {
          metadata: {
            name: 'cfg',
            resourceVersion: '9',
            labels: { ...desired.metadata!.labels },
            annotations,
          },
          data: { a: '1' },
        };
        const plan = planConfigMapWrite(retained, desired, psync);
        assert.equal(plan.action, 'conflict');
        if (plan.action === 'conflict') assert.match(plan.message, /a former PrefixSync named app/);
      }
    });
  });

  describe('withoutOwner', () => {
    it('drops only our ownerReference', () => {
      const existing = desiredConfigMap(psync, 'cfg', content({ a: '1' }), 1n);
      const released = withoutOwner(existing, psync);
      assert.equal(released?.metadata?.ownerReferences, undefined);
      assert.equal(withoutOwner(released!, psync), undefined);
    });
  });
});
