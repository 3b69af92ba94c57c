import { strict as assert } from 'node:assert';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { KubeConfig, type V1Lease } from '@kubernetes/client-node';
import { KubeSim } from '../../../src/envtest/kube-sim/index.js';
import { LeaseClient, type CallOptions } from '../../../src/kube/index.js';
import { InformerLeaseWatch, LeaderElector, type LeaseStore } from '../../../src/runtime/index.js';
import { waitFor } from '../kube/support.js';

// A standby watching the Lease through client-node (InformerLeaseWatch against the simulator) takes
// over one lease duration after the dead leader's last renewal, not up to two retry periods later.
// The retry period is long on purpose: polling alone could not be this prompt.
const TIMING = { leaseDurationMs: 3_000, renewDeadlineMs: 2_000, retryPeriodMs: 1_500 };
/** Watch event, one read and one write, and timers on a loaded 2-core machine. */
const SLACK_MS = 500;

/** A LeaseClient that records when its writes succeeded and, once `dead`, never answers (SIGKILL). */
class MortalLeases implements LeaseStore {
  dead = false;
  readonly writesAt: number[] = [];
  constructor(private readonly inner: LeaseClient) {}

  private async call<T>(fn: () => Promise<T>, options?: CallOptions): Promise<T> {
    if (this.dead) return this.never(options);
    const result = await fn();
    if (this.dead) return this.never(options); // an answer the dead process never read
    return result;
  }

  private never<T>(options?: CallOptions): Promise<T> {
    return new Promise<T>((_, reject) =>
      options?.signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true }),
    );
  }

  get(namespace: string, name: string, options?: CallOptions): Promise<V1Lease> {
    return this.call(() => this.inner.get(namespace, name, options), options);
  }

  async create(lease: V1Lease, options?: CallOptions): Promise<V1Lease> {
    const created = await this.call(() => this.inner.create(lease, options), options);
    this.writesAt.push(Date.now());
    return created;
  }

  async replace(lease: V1Lease, options?: CallOptions): Promise<V1Lease> {
    const replaced = await this.call(() => this.inner.replace(lease, options), options);
    this.writesAt.push(Date.now());
    return replaced;
  }
}

/** A kubeconfig for a port nothing listens on: a watch that can never start. */
async function unreachableKubeConfig(): Promise<KubeConfig> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'gone', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'gone', token: 'x' }],
    contexts: [{ name: 'gone', cluster: 'gone', user: 'gone', namespace: 'default' }],
    currentContext: 'gone',
  });
  return kc;
}

describe('LeaderElector with InformerLeaseWatch (client-node against the simulator)', function () {
  this.timeout(60_000);
  let sim: KubeSim;
  const cleanups: (() => Promise<unknown> | void)[] = [];

  beforeEach(async () => {
    sim = await KubeSim.start({ port: 0 });
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
    await sim.close();
  });

  function candidate(id: string, leases: LeaseStore, watchConfig: KubeConfig | undefined) {
    const led: number[] = [];
    const elector = new LeaderElector({
      ...TIMING,
      leases,
      namespace: 'default',
      name: 'lock',
      identity: id,
      ...(watchConfig
        ? { watch: new InformerLeaseWatch({ kubeConfig: watchConfig, namespace: 'default', name: 'lock' }) }
        : {}),
      callbacks: { onStartedLeading: () => void led.push(Date.now()) },
    });
    cleanups.push(() => elector.close());
    return { elector, led };
  }

  /** Starts `a` leading and `b` standing by, kills `a` after a few renewals; returns ms from a's last renewal to b's takeover. */
  async function killAndMeasure(bWatch: KubeConfig | undefined): Promise<number> {
    const aLeases = new MortalLeases(new LeaseClient(sim.kubeConfig()));
    const bLeases = new MortalLeases(new LeaseClient(sim.kubeConfig()));
    const a = candidate('a', aLeases, sim.kubeConfig());
    const b = candidate('b', bLeases, bWatch);
    a.elector.start();
    await waitFor('a to lead', () => a.elector.isLeader());
    b.elector.start();
    await waitFor('a to renew a few times', () => aLeases.writesAt.length >= 4);
    aLeases.dead = true;
    const lastRenewal = aLeases.writesAt.at(-1)!;
    await waitFor('b to lead', () => b.elector.isLeader(), 20_000);
    return bLeases.writesAt[0]! - lastRenewal;
  }

  it('takes over one lease duration after the last renewal it saw through the watch', async () => {
    const took = await killAndMeasure(sim.kubeConfig());
    assert.ok(
      took >= TIMING.leaseDurationMs,
      `took over ${took} ms after the last renewal: before the lease ran out`,
    );
    assert.ok(
      took <= TIMING.leaseDurationMs + SLACK_MS,
      `took over ${took} ms after the last renewal; want ${TIMING.leaseDurationMs} + ${SLACK_MS} at most`,
    );
  });

  it('falls back to polling every retry period when the watch cannot be opened', async () => {
    const took = await killAndMeasure(await unreachableKubeConfig());
    assert.ok(
      took >= TIMING.leaseDurationMs,
      `took over ${took} ms after the last renewal: before the lease ran out`,
    );
    const bound = TIMING.leaseDurationMs + 2 * TIMING.retryPeriodMs * 1.2 + SLACK_MS;
    assert.ok(took <= bound, `took over ${took} ms after the last renewal (bound ${bound} ms)`);
  });

  it('watches only its own Lease (fieldSelector on metadata.name)', async () => {
    const leases = new LeaseClient(sim.kubeConfig());
    const seen: string[] = [];
    const watch = new InformerLeaseWatch({
      kubeConfig: sim.kubeConfig(),
      namespace: 'default',
      name: 'lock',
    });
    cleanups.push(() => watch.close());
    watch.start({ onLease: (l) => void seen.push(l.metadata?.name ?? ''), onDeleted: () => {} });
    await waitFor('the watch to open', () => watch.isWatching());
    for (const name of ['other', 'lock']) {
      await leases.create({ metadata: { namespace: 'default', name }, spec: { holderIdentity: 'x' } });
    }
    await waitFor('the Lease to be delivered', () => seen.includes('lock'));
    assert.deepEqual(seen, ['lock']);
    await watch.close();
    await watch.close(); // idempotent
    assert.equal(watch.isWatching(), false);
  });
});
