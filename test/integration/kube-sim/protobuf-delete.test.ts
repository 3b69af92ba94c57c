import { strict as assert } from 'node:assert';
import { CoreV1Api } from '@kubernetes/client-node';
import { KubeSim } from '../../../src/envtest/kube-sim/index.js';

/** A protobuf varint. */
function varint(n: bigint): Buffer {
  let v = BigInt.asUintN(64, n);
  const out: number[] = [];
  do {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v === 0n ? b : b | 0x80);
  } while (v !== 0n);
  return Buffer.from(out);
}
const num = (no: number, v: bigint): Buffer => Buffer.concat([varint(BigInt(no << 3)), varint(v)]);
const len = (no: number, b: Buffer | string): Buffer => {
  const bytes = typeof b === 'string' ? Buffer.from(b) : b;
  return Buffer.concat([varint(BigInt((no << 3) | 2)), varint(BigInt(bytes.length)), bytes]);
};

/** A DeleteOptions in Kubernetes' protobuf envelope, as client-go's typed clients (Helm 4) send it. */
function deleteOptionsBody(opts: Buffer[]): Buffer {
  const typeMeta = Buffer.concat([len(1, 'v1'), len(2, 'DeleteOptions')]);
  const unknown = Buffer.concat([len(1, typeMeta), len(2, Buffer.concat(opts))]);
  return Buffer.concat([Buffer.from([0x6b, 0x38, 0x73, 0x00]), unknown]);
}

describe('KubeSim DELETE with a protobuf DeleteOptions body', () => {
  let sim: KubeSim;
  let core: CoreV1Api;
  beforeEach(async () => {
    sim = await KubeSim.start({ workloads: false });
    core = sim.kubeConfig().makeApiClient(CoreV1Api);
  });
  afterEach(async () => {
    await sim.close();
  });

  const del = (name: string, body: Buffer): Promise<Response> =>
    fetch(`${sim.url}/api/v1/namespaces/default/secrets/${name}`, {
      method: 'DELETE',
      headers: { 'Content-Type': 'application/vnd.kubernetes.protobuf', Accept: 'application/json' },
      body: body,
    });

  it('deletes the object (Helm 4 uninstall removing its release Secret)', async () => {
    await core.createNamespacedSecret({
      namespace: 'default',
      body: { metadata: { name: 'sh.helm.release.v1.demo.v1' }, stringData: { a: '1' } },
    });
    const res = await del(
      'sh.helm.release.v1.demo.v1',
      deleteOptionsBody([num(1, 0n), len(4, 'Background')]),
    );
    assert.equal(res.status, 200, await res.text());
    const list = await core.listNamespacedSecret({ namespace: 'default' });
    assert.deepEqual(
      list.items.map((s) => s.metadata?.name),
      [],
    );
  });

  it('applies a resourceVersion precondition and dryRun from the body', async () => {
    const s = await core.createNamespacedSecret({
      namespace: 'default',
      body: { metadata: { name: 's' } },
    });
    const stale = await del('s', deleteOptionsBody([len(2, len(2, '1'))]));
    assert.equal(stale.status, 409);
    assert.match(await stale.text(), /Precondition failed: ResourceVersion in precondition: 1/);
    const dry = await del('s', deleteOptionsBody([len(5, 'All')]));
    assert.equal(dry.status, 200);
    await core.readNamespacedSecret({ name: 's', namespace: 'default' });
    const rv = s.metadata?.resourceVersion ?? '';
    const uid = s.metadata?.uid ?? '';
    const fresh = await del('s', deleteOptionsBody([len(2, Buffer.concat([len(1, uid), len(2, rv)]))]));
    assert.equal(fresh.status, 200, await fresh.text());
  });

  it('marks the object Foreground-deleting when the body asks for it', async () => {
    await core.createNamespacedSecret({ namespace: 'default', body: { metadata: { name: 'f' } } });
    const res = await del('f', deleteOptionsBody([len(4, 'Foreground')]));
    assert.equal(res.status, 200);
    const body = (await res.json()) as { metadata?: { finalizers?: string[] } };
    assert.deepEqual(body.metadata?.finalizers, ['foregroundDeletion']);
  });
});
