import { strict as assert } from 'node:assert';
import {
  MAX_DEBOUNCE_FACTOR,
  debounceRemaining,
  prefixSyncChanged,
  requestForConfigMap,
  routeMirrorChange,
} from '../../../src/controller/index.js';
import type { Request } from '../../../src/runtime/index.js';
import { prefixSync } from './fixtures.js';

describe('PrefixSync triggers', () => {
  it('a mirror change reaches each holder after its own debounce, a resync at once', () => {
    const calls: string[] = [];
    const target = {
      enqueue: (r: Request) => calls.push(`now ${r.namespace}/${r.name}`),
      enqueueAfter: (r: Request, ms: number) => calls.push(`${ms}ms ${r.namespace}/${r.name}`),
    };
    const debounce = (key: string): number => (key === 'a/slow' ? 1000 : 0);
    routeMirrorChange(['a/slow', 'b/fast'], 'update', debounce, target);
    routeMirrorChange(['a/slow'], 'resync', debounce, target);
    assert.deepEqual(calls, ['1000ms a/slow', 'now b/fast', 'now a/slow']);
  });

  it('a progress (no content change) queues nobody', () => {
    const calls: string[] = [];
    const target = {
      enqueue: (r: Request) => calls.push(`now ${r.namespace}/${r.name}`),
      enqueueAfter: (r: Request, ms: number) => calls.push(`${ms}ms ${r.namespace}/${r.name}`),
    };
    routeMirrorChange(['a/x', 'b/y'], 'progress', () => 0, target);
    assert.deepEqual(calls, []);
  });

  it('ignores status-only updates of a PrefixSync (our own writes)', () => {
    const a = prefixSync();
    const statusOnly = {
      ...a,
      metadata: { ...a.metadata, resourceVersion: '11' },
      status: { syncedRevision: '5' },
    };
    assert.equal(prefixSyncChanged(a, statusOnly), false);
    const specChange = { ...a, metadata: { ...a.metadata, generation: 4 } };
    assert.equal(prefixSyncChanged(a, specChange), true);
    const forced = { ...a, metadata: { ...a.metadata, annotations: { 'etcdconfig.dev/force-sync': 'x' } } };
    assert.equal(prefixSyncChanged(a, forced), true);
    const deleting = { ...a, metadata: { ...a.metadata, deletionTimestamp: '2026-01-01T00:00:00Z' } };
    assert.equal(prefixSyncChanged(a, deleting), true);
  });

  it("ignores our finalizer's arrival, but not its removal nor anyone else's finalizer", () => {
    const a = prefixSync();
    const withFinalizers = (...finalizers: string[]) => ({ ...a, metadata: { ...a.metadata, finalizers } });
    const ours = 'etcdconfig.dev/configmap';
    assert.equal(prefixSyncChanged(withFinalizers(), withFinalizers(ours)), false, 'ours added');
    assert.equal(
      prefixSyncChanged(withFinalizers('x'), withFinalizers('x', ours)),
      false,
      'ours added after x',
    );
    assert.equal(prefixSyncChanged(withFinalizers(ours), withFinalizers()), true, 'ours removed');
    assert.equal(prefixSyncChanged(withFinalizers(ours), withFinalizers(ours, 'x')), true, 'another added');
    assert.equal(
      prefixSyncChanged(withFinalizers(), withFinalizers(ours, 'x')),
      true,
      'ours and another added',
    );
  });

  it('maps a ConfigMap to its PrefixSync by label', () => {
    assert.deepEqual(
      requestForConfigMap({
        metadata: { namespace: 'ns', name: 'cfg', labels: { 'etcdconfig.dev/prefixsync': 'app' } },
      }),
      {
        namespace: 'ns',
        name: 'app',
      },
    );
    assert.equal(requestForConfigMap({ metadata: { namespace: 'ns', name: 'cfg' } }), undefined);
  });

  describe('debounceRemaining (trailing debounce)', () => {
    it('waits until the prefix has been quiet for the debounce', () => {
      assert.equal(debounceRemaining(1_000, 0, 900, 1_000), 900);
      assert.equal(debounceRemaining(1_900, 0, 900, 1_000), 0);
      assert.equal(debounceRemaining(5_000, 0, 900, 0), 0, 'debounce 0 never waits');
    });
    it('never postpones a write past MAX_DEBOUNCE_FACTOR periods after the first change', () => {
      const deadline = 1_000 * MAX_DEBOUNCE_FACTOR;
      assert.equal(debounceRemaining(deadline - 100, 0, deadline - 200, 1_000), 100);
      assert.equal(debounceRemaining(deadline, 0, deadline - 1, 1_000), 0);
    });
  });
});
