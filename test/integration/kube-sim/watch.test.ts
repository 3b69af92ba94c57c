import { strict as assert } from 'node:assert';
import {
  CoreV1Api,
  makeInformer,
  PatchStrategy,
  setHeaderOptions,
  Watch,
  type KubeConfig,
  type V1ConfigMap,
} from '@kubernetes/client-node';
import { KubeSim } from '../../../src/envtest/kube-sim/index.js';
import { waitFor } from './helpers.js';

const MERGE = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const JSON_PATCH = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);

interface Seen {
  type: string;
  name: string;
  rv: string;
  obj: Record<string, unknown>;
}

/** A raw client-node Watch that records events and whether (and how) the stream ended. */
async function record(
  kc: KubeConfig,
  path: string,
  params: Record<string, string | number | boolean | undefined>,
) {
  const events: Seen[] = [];
  let ended: { err: unknown } | undefined;
  const controller = await new Watch(kc).watch(
    path,
    params,
    (type: string, obj: Record<string, unknown>) => {
      const meta = (obj['metadata'] ?? {}) as Record<string, string>;
      events.push({ type, name: meta['name'] ?? '', rv: meta['resourceVersion'] ?? '', obj });
    },
    (err: unknown) => {
      ended = { err };
    },
  );
  return { events, ended: () => ended, abort: () => controller.abort() };
}

describe('KubeSim list+watch', () => {
  let sim: KubeSim;
  let kc: KubeConfig;
  let core: CoreV1Api;
  const cleanups: Array<() => void> = [];

  beforeEach(async () => {
    sim = await KubeSim.start({ bookmarkIntervalMs: 50 });
    kc = sim.kubeConfig();
    core = kc.makeApiClient(CoreV1Api);
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0)) c();
    await sim.close();
  });

  const cm = (name: string, labels: Record<string, string> = {}): Promise<V1ConfigMap> =>
    core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name, labels }, data: { v: '0' } },
    });

  describe('with a client-node informer', () => {
    it('starts on an empty collection (headers flushed), then sees add, update and delete', async () => {
      const informer = makeInformer(kc, '/api/v1/namespaces/default/configmaps', () =>
        core.listNamespacedConfigMap({ namespace: 'default' }),
      );
      const seen: string[] = [];
      informer.on('add', (o) => seen.push(`add ${o.metadata!.name}`));
      informer.on('update', (o) => seen.push(`update ${o.metadata!.name} ${o.data!['v']}`));
      informer.on('delete', (o) => seen.push(`delete ${o.metadata!.name}`));
      cleanups.push(() => void informer.stop());
      await informer.start();
      await waitFor('the watch to open', () => sim.openWatchCount === 1);
      await cm('a');
      await core.patchNamespacedConfigMap(
        { namespace: 'default', name: 'a', body: [{ op: 'replace', path: '/data/v', value: '1' }] },
        JSON_PATCH,
      );
      await core.deleteNamespacedConfigMap({ namespace: 'default', name: 'a' });
      await waitFor('three events', () => seen.length >= 3);
      assert.deepEqual(seen, ['add a', 'update a 1', 'delete a']);
    });

    it('holds the watch open: many changes arrive over one connection', async () => {
      const informer = makeInformer(kc, '/api/v1/namespaces/default/configmaps', () =>
        core.listNamespacedConfigMap({ namespace: 'default' }),
      );
      let connects = 0;
      let adds = 0;
      informer.on('connect', () => connects++);
      informer.on('add', () => adds++);
      cleanups.push(() => void informer.stop());
      await informer.start();
      for (let i = 0; i < 20; i++) {
        await cm(`c${i}`);
        await waitFor(`add ${i}`, () => adds === i + 1);
      }
      assert.equal(connects, 1, 'the informer reconnected: the stream did not stay open');
    });

    it('re-watches after cutWatches without losing a change', async () => {
      const informer = makeInformer(kc, '/api/v1/namespaces/default/configmaps', () =>
        core.listNamespacedConfigMap({ namespace: 'default' }),
      );
      let connects = 0;
      const names: string[] = [];
      informer.on('connect', () => connects++);
      informer.on('add', (o) => names.push(o.metadata!.name!));
      cleanups.push(() => void informer.stop());
      await informer.start();
      await cm('before');
      await waitFor('before', () => names.includes('before'));
      sim.faults.cutWatches();
      await cm('after');
      await waitFor('after', () => names.includes('after'));
      assert.ok(connects >= 2, 'the informer never reconnected');
      assert.deepEqual(names, ['before', 'after']);
    });

    it('relists after a 410 (ERROR event) and reports what vanished while it was away', async () => {
      await cm('stays');
      await cm('goes');
      const informer = makeInformer(kc, '/api/v1/namespaces/default/configmaps', () =>
        core.listNamespacedConfigMap({ namespace: 'default' }),
      );
      const deleted: string[] = [];
      let errors = 0;
      informer.on('delete', (o) => deleted.push(o.metadata!.name!));
      informer.on('error', () => errors++);
      cleanups.push(() => void informer.stop());
      await informer.start();
      await waitFor('the watch to open', () => sim.openWatchCount === 1);
      // Hold the re-watch back while a delete happens and the history is compacted under it.
      sim.faults.delay({ verb: 'watch', ms: 1500 });
      sim.faults.cutWatches();
      await core.deleteNamespacedConfigMap({ namespace: 'default', name: 'goes' });
      sim.faults.compactHistory();
      await waitFor('the relist to report the delete', () => deleted.includes('goes'));
      sim.faults.clear();
      assert.deepEqual(deleted, ['goes']);
      assert.equal(errors, 0, 'a 410 must not surface as an informer error');
    });

    it('stops with an error event when the watch request fails with 500 (injected)', async () => {
      const informer = makeInformer(kc, '/api/v1/namespaces/default/configmaps', () =>
        core.listNamespacedConfigMap({ namespace: 'default' }),
      );
      const errors: unknown[] = [];
      informer.on('error', (e) => errors.push(e));
      cleanups.push(() => void informer.stop());
      sim.faults.failNext({ verb: 'watch', resource: 'configmaps', count: 1, status: 500 });
      await informer.start().catch((e: unknown) => errors.push(e));
      await waitFor('the error', () => errors.length > 0);
      assert.equal((errors[0] as { statusCode?: number }).statusCode, 500);
    });
  });

  describe('raw watch requests', () => {
    it('sends synthetic ADDED events for current objects when resourceVersion is 0', async () => {
      await cm('x');
      await cm('y');
      const w = await record(kc, '/api/v1/namespaces/default/configmaps', { resourceVersion: '0' });
      cleanups.push(w.abort);
      await waitFor('two ADDED', () => w.events.length === 2);
      assert.deepEqual(
        w.events.map((e) => `${e.type} ${e.name}`),
        ['ADDED x', 'ADDED y'],
      );
    });

    it('replays changes after a given resourceVersion', async () => {
      const a = await cm('a');
      await core.deleteNamespacedConfigMap({ namespace: 'default', name: 'a' });
      await cm('b');
      const w = await record(kc, '/api/v1/namespaces/default/configmaps', {
        resourceVersion: a.metadata!.resourceVersion,
      });
      cleanups.push(w.abort);
      await waitFor('two events', () => w.events.length === 2);
      assert.deepEqual(
        w.events.map((e) => `${e.type} ${e.name}`),
        ['DELETED a', 'ADDED b'],
      );
      assert.ok(
        BigInt(w.events[0]!.rv) > BigInt(a.metadata!.resourceVersion!),
        'DELETED carries the deletion resourceVersion',
      );
    });

    it('filters by label selector: an object leaving it is DELETED, entering it is ADDED', async () => {
      const w = await record(kc, '/api/v1/namespaces/default/configmaps', {
        labelSelector: 'app=web',
        resourceVersion: '0',
      });
      cleanups.push(w.abort);
      await cm('other', { app: 'db' });
      await cm('web1', { app: 'web' });
      await core.patchNamespacedConfigMap(
        { namespace: 'default', name: 'web1', body: { metadata: { labels: { app: 'db' } } } },
        MERGE,
      );
      await core.patchNamespacedConfigMap(
        { namespace: 'default', name: 'other', body: { metadata: { labels: { app: 'web' } } } },
        MERGE,
      );
      await waitFor('three events', () => w.events.length === 3);
      assert.deepEqual(
        w.events.map((e) => `${e.type} ${e.name}`),
        ['ADDED web1', 'DELETED web1', 'ADDED other'],
      );
    });

    it('filters by field selector metadata.name', async () => {
      const w = await record(kc, '/api/v1/namespaces/default/configmaps', {
        fieldSelector: 'metadata.name=want',
        resourceVersion: '0',
      });
      cleanups.push(w.abort);
      await cm('nope');
      await cm('want');
      await waitFor('one event', () => w.events.length === 1);
      assert.equal(w.events[0]!.name, 'want');
    });

    it('sends BOOKMARK events when allowed, carrying the current resourceVersion', async () => {
      const last = await cm('z');
      const w = await record(kc, '/api/v1/namespaces/default/configmaps', {
        allowWatchBookmarks: true,
        resourceVersion: last.metadata!.resourceVersion,
      });
      cleanups.push(w.abort);
      const bookmark = await waitFor('a bookmark', () => w.events.find((e) => e.type === 'BOOKMARK'));
      assert.equal(bookmark.rv, last.metadata!.resourceVersion);
      assert.equal(bookmark.obj['kind'], 'ConfigMap');
    });

    it('sends no BOOKMARK unless asked', async () => {
      const w = await record(kc, '/api/v1/namespaces/default/configmaps', { resourceVersion: '0' });
      cleanups.push(w.abort);
      const bookmarked = await record(kc, '/api/v1/namespaces/default/configmaps', {
        resourceVersion: '0',
        allowWatchBookmarks: true,
      });
      cleanups.push(bookmarked.abort);
      await waitFor('a bookmark on the other watch', () =>
        bookmarked.events.some((e) => e.type === 'BOOKMARK'),
      );
      assert.equal(w.events.filter((e) => e.type === 'BOOKMARK').length, 0);
    });

    it('ends the stream after timeoutSeconds', async () => {
      const w = await record(kc, '/api/v1/namespaces/default/configmaps', { timeoutSeconds: 1 });
      const ended = await waitFor('the stream to end', () => w.ended());
      assert.equal(ended.err, null);
    });

    it('answers a resourceVersion older than the history with 200, an ERROR 410 Expired event, and the end of the stream', async () => {
      const a = await cm('a');
      await cm('b');
      sim.faults.compactHistory();
      const res = await fetch(
        `${sim.url}/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${a.metadata!.resourceVersion}`,
      );
      assert.equal(res.status, 200);
      const text = await res.text(); // resolves only because the server ends the stream
      const lines = text.trim().split('\n');
      assert.equal(lines.length, 1);
      const event = JSON.parse(lines[0]!) as {
        type: string;
        object: { kind: string; code: number; reason: string; message: string };
      };
      assert.equal(event.type, 'ERROR');
      assert.equal(event.object.kind, 'Status');
      assert.equal(event.object.code, 410);
      assert.equal(event.object.reason, 'Expired');
      assert.match(event.object.message, /^too old resource version: \d+ \(\d+\)$/);
    });

    it('refuses a malformed resourceVersion with 400 before streaming', async () => {
      const res = await fetch(
        `${sim.url}/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=abc`,
      );
      assert.equal(res.status, 400);
      assert.equal(((await res.json()) as { reason: string }).reason, 'BadRequest');
    });

    it('drops history beyond historyLimit', async () => {
      const small = await KubeSim.start({ historyLimit: 3 });
      try {
        const smallCore = small.kubeConfig().makeApiClient(CoreV1Api);
        const first = await smallCore.createNamespacedConfigMap({
          namespace: 'default',
          body: { metadata: { name: 'h0' } },
        });
        for (let i = 1; i <= 4; i++)
          await smallCore.createNamespacedConfigMap({
            namespace: 'default',
            body: { metadata: { name: `h${i}` } },
          });
        const w = await record(small.kubeConfig(), '/api/v1/namespaces/default/configmaps', {
          resourceVersion: first.metadata!.resourceVersion,
        });
        await waitFor('the stream to end', () => w.ended());
        assert.deepEqual(
          w.events.map((e) => e.type),
          ['ERROR'],
        );
      } finally {
        await small.close();
      }
    });

    it('streams one-row Tables when the request accepts Table (kubectl get -w)', async () => {
      await cm('t');
      const res = await fetch(
        `${sim.url}/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=0&fieldSelector=metadata.name%3Dt`,
        {
          headers: { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' },
        },
      );
      const reader = res.body!.getReader();
      const { value } = (await reader.read()) as { value: Uint8Array };
      await reader.cancel();
      const event = JSON.parse(new TextDecoder().decode(value).split('\n')[0]!) as {
        type: string;
        object: {
          kind: string;
          columnDefinitions: Array<{ name: string }>;
          rows: Array<{ cells: unknown[] }>;
        };
      };
      assert.equal(event.type, 'ADDED');
      assert.equal(event.object.kind, 'Table');
      assert.deepEqual(
        event.object.columnDefinitions.map((c) => c.name),
        ['Name', 'Data', 'Age'],
      );
      assert.equal(event.object.rows.length, 1);
      assert.equal(event.object.rows[0]!.cells[0], 't');
      assert.equal(event.object.rows[0]!.cells[1], 1);
    });

    it('close() ends open watch streams', async () => {
      const w = await record(kc, '/api/v1/namespaces/default/configmaps', {});
      await waitFor('the watch to open', () => sim.openWatchCount === 1);
      await sim.close();
      await waitFor('the stream to end', () => w.ended());
      await sim.close(); // idempotent
    });
  });
});
