import { strict as assert } from 'node:assert';
import { CoreV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { KubeSim } from '../../../src/envtest/kube-sim/index.js';
import { http } from './helpers.js';

interface Entry {
  manager?: string;
  operation?: string;
  apiVersion?: string;
  subresource?: string;
  fieldsType?: string;
  fieldsV1?: Record<string, unknown>;
  time?: string;
}

function entries(obj: Record<string, unknown>): Entry[] {
  const metadata = obj['metadata'] as { managedFields?: Entry[] } | undefined;
  return metadata?.managedFields ?? [];
}

describe('KubeSim managedFields (who wrote which field, as the API server records it)', () => {
  let sim: KubeSim;
  let base: string;
  const cm = (data: Record<string, string>, labels?: Record<string, string>): Record<string, unknown> => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'mf', ...(labels ? { labels } : {}) },
    data,
  });

  before(async () => {
    sim = await KubeSim.start({ workloads: false });
    base = `${sim.url}/api/v1/namespaces/default/configmaps`;
  });
  after(async () => {
    await sim.close();
  });
  afterEach(async () => {
    await http(`${base}/mf`, { method: 'DELETE' });
  });

  it('credits a create to its fieldManager, with every field it set', async () => {
    const r = await http(`${base}?fieldManager=alice`, {
      method: 'POST',
      body: cm({ a: '1' }, { app: 'x' }),
    });
    assert.equal(r.status, 201);
    const [entry, ...rest] = entries(r.json);
    assert.equal(rest.length, 0);
    assert.equal(entry?.manager, 'alice');
    assert.equal(entry?.operation, 'Update');
    assert.equal(entry?.apiVersion, 'v1');
    assert.equal(entry?.fieldsType, 'FieldsV1');
    assert.match(entry?.time ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.deepEqual(entry?.fieldsV1, {
      'f:data': { '.': {}, 'f:a': {} },
      'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
    });
  });

  it("without a fieldManager, names the User-Agent's first token", async () => {
    const r = await http(base, {
      method: 'POST',
      headers: { 'User-Agent': 'kubectl/v1.33.0 (linux/amd64) kubernetes/8adc0f0' },
      body: cm({ a: '1' }),
    });
    assert.deepEqual(
      entries(r.json).map((e) => e.manager),
      ['kubectl'],
    );
    // client-node sends node-fetch's User-Agent: the name issue 16 found on the operator's writes.
    const core = sim.kubeConfig().makeApiClient(CoreV1Api);
    const read = await core.patchNamespacedConfigMap(
      { namespace: 'default', name: 'mf', body: { data: { b: '2' } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    assert.deepEqual(
      read.metadata?.managedFields?.map((e) => e.manager),
      ['kubectl', 'node-fetch'],
    );
  });

  it('moves a changed field to the manager that changed it and drops a manager left with none', async () => {
    await http(`${base}?fieldManager=alice`, { method: 'POST', body: cm({ a: '1', b: '1' }) });
    const bob = await http(`${base}/mf?fieldManager=bob`, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/merge-patch+json' },
      body: { data: { a: '2' } },
    });
    assert.deepEqual(
      entries(bob.json).map((e) => [e.manager, e.fieldsV1]),
      [
        ['alice', { 'f:data': { '.': {}, 'f:b': {} } }],
        ['bob', { 'f:data': { 'f:a': {} } }],
      ],
    );
    const carol = await http(`${base}/mf?fieldManager=carol`, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/merge-patch+json' },
      body: { data: { a: '3', b: null } },
    });
    assert.deepEqual(
      entries(carol.json).map((e) => [e.manager, e.fieldsV1]),
      [
        ['alice', { 'f:data': { '.': {} } }],
        ['carol', { 'f:data': { 'f:a': {} } }],
      ],
    );
  });

  it('leaves managedFields alone on a write that changes nothing, and ignores the ones a client sends', async () => {
    const created = await http(`${base}?fieldManager=alice`, { method: 'POST', body: cm({ a: '1' }) });
    const sent = {
      ...created.json,
      metadata: {
        ...(created.json['metadata'] as Record<string, unknown>),
        managedFields: [{ manager: 'forged', operation: 'Update', fieldsType: 'FieldsV1', fieldsV1: {} }],
      },
    };
    const same = await http(`${base}/mf?fieldManager=bob`, { method: 'PUT', body: sent });
    assert.equal(same.status, 200);
    assert.deepEqual(entries(same.json), entries(created.json));
  });

  it('marks a write through /status with its subresource', async () => {
    const ns = await http(`${sim.url}/api/v1/namespaces/mf-status?fieldManager=alice`, { method: 'GET' });
    assert.equal(ns.status, 404);
    await http(`${sim.url}/api/v1/namespaces?fieldManager=alice`, {
      method: 'POST',
      body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'mf-status' } },
    });
    const read = await http(`${sim.url}/api/v1/namespaces/mf-status`);
    const status = await http(`${sim.url}/api/v1/namespaces/mf-status/status?fieldManager=bob`, {
      method: 'PUT',
      body: { ...read.json, status: { phase: 'Active', conditions: [{ type: 'X', status: 'True' }] } },
    });
    assert.equal(status.status, 200, JSON.stringify(status.json));
    const bob = entries(status.json).find((e) => e.manager === 'bob');
    assert.equal(bob?.subresource, 'status');
    assert.deepEqual(bob?.fieldsV1, { 'f:status': { 'f:conditions': {} } });
    await http(`${sim.url}/api/v1/namespaces/mf-status`, { method: 'DELETE' });
  });

  it('refuses a fieldManager longer than 128 characters (422), as ValidateFieldManager does', async () => {
    const r = await http(`${base}?fieldManager=${'m'.repeat(129)}`, { method: 'POST', body: cm({ a: '1' }) });
    assert.equal(r.status, 422);
    assert.match(
      String(r.json['message']),
      /^CreateOptions\.meta\.k8s\.io "" is invalid: fieldManager: Too long/,
    );
  });
});
