import { strict as assert } from 'node:assert';
import type { V1ConfigMap } from '@kubernetes/client-node';
import { KubeSim } from '../../../src/envtest/kube-sim/index.js';
import { ConfigMapClient, CustomResourceClient, Informer, NotFoundError } from '../../../src/kube/index.js';
import {
  Controller,
  TerminalError,
  type ReconcileContext,
  type ReconcileOutcome,
  type Reconciler,
  type Request,
  type Result,
} from '../../../src/runtime/index.js';
import { waitFor } from '../kube/support.js';
import { installWidgetCrd, widget, WIDGETS, type Widget } from '../kube/widget-crd.js';

const NS = 'default';

/** Keeps a ConfigMap `<widget>-widget` holding the widget's size, and marks the widget `Synced`. */
class WidgetReconciler implements Reconciler {
  readonly calls = new Map<string, number>();
  constructor(
    private readonly widgets: CustomResourceClient<Widget>,
    private readonly cache: Informer<Widget>,
    private readonly cms: ConfigMapClient,
  ) {}

  async reconcile(req: Request, ctx: ReconcileContext): Promise<Result> {
    this.calls.set(req.name, (this.calls.get(req.name) ?? 0) + 1);
    const { signal } = ctx;
    const target = { namespace: req.namespace ?? NS, name: `${req.name}-widget` };
    const w = this.cache.store.get(req.name, req.namespace);
    if (!w) {
      await this.cms.delete(target, { signal }).catch((e: unknown) => {
        if (!(e instanceof NotFoundError)) throw e;
      });
      return {};
    }
    if (w.spec?.size === 13) throw new TerminalError('size 13 is not allowed');
    const data = { size: String(w.spec?.size ?? 0) };
    const existing = await this.cms.get(target, { signal }).catch((e: unknown) => {
      if (e instanceof NotFoundError) return undefined;
      throw e;
    });
    if (!existing) await this.cms.create({ metadata: target, data }, { signal });
    else if (existing.data?.['size'] !== data.size) await this.cms.replace({ ...existing, data }, { signal });
    // The cache may be behind: a stale resourceVersion throws ConflictError and the engine retries.
    if (w.status?.phase !== 'Synced')
      await this.widgets.replaceStatus({ ...w, status: { phase: 'Synced' } }, { signal });
    return {};
  }
}

describe('Controller driven by an informer (client-node against the simulator)', function () {
  this.timeout(60_000);
  let sim: KubeSim;
  let widgets: CustomResourceClient<Widget>;
  let cms: ConfigMapClient;
  let informer: Informer<Widget>;
  let controller: Controller;
  let reconciler: WidgetReconciler;
  let outcomes: ReconcileOutcome[];

  beforeEach(async () => {
    sim = await KubeSim.start({ port: 0 });
    await installWidgetCrd(sim);
    widgets = new CustomResourceClient<Widget>(sim.kubeConfig(), WIDGETS);
    cms = new ConfigMapClient(sim.kubeConfig());
    await waitFor('the CRD to be served', () =>
      widgets.list({ namespace: NS }).then(
        () => true,
        () => false,
      ),
    );
    informer = new Informer<Widget>({ source: widgets, kubeConfig: sim.kubeConfig(), namespace: NS });
    reconciler = new WidgetReconciler(widgets, informer, cms);
    outcomes = [];
    controller = new Controller({
      name: 'widgets',
      reconciler,
      workers: 2,
      metrics: { observeReconcile: (_c, o) => outcomes.push(o), setActiveWorkers: () => undefined },
    });
    const enqueue = (w: Widget): void =>
      controller.enqueue({ namespace: w.metadata?.namespace, name: w.metadata!.name! });
    informer.addHandlers({ onAdd: enqueue, onUpdate: (_old, w) => enqueue(w), onDelete: enqueue });
    informer.start();
    await informer.waitForSync(AbortSignal.timeout(15_000));
    controller.start();
  });

  afterEach(async () => {
    await controller.stop();
    await informer.close();
    await sim.close();
  });

  async function configMapData(name: string): Promise<string | undefined> {
    const cm: V1ConfigMap | undefined = await cms
      .get({ namespace: NS, name: `${name}-widget` })
      .catch(() => undefined);
    return cm?.data?.['size'];
  }

  it('converges every object despite API failures, retrying them with backoff', async () => {
    sim.faults.failNext({ verb: 'create', resource: 'configmaps', count: 3, status: 500 });
    for (let i = 1; i <= 5; i++) await widgets.create(widget(`w${i}`, i));
    for (let i = 1; i <= 5; i++) {
      await waitFor(`w${i} to converge`, async () => {
        const w = await widgets.get({ namespace: NS, name: `w${i}` });
        return (await configMapData(`w${i}`)) === String(i) && w.status?.phase === 'Synced';
      });
    }
    assert.ok(outcomes.filter((o) => o === 'error').length >= 3, `outcomes: ${outcomes.join(',')}`);
  });

  it('follows updates and deletions', async () => {
    const created = await widgets.create(widget('w', 1));
    await waitFor('the ConfigMap', async () => (await configMapData('w')) === '1');
    const current = await widgets.get({ namespace: NS, name: 'w' });
    await widgets.replace({ ...current, spec: { ...created.spec, size: 7 } });
    await waitFor('the ConfigMap to follow the update', async () => (await configMapData('w')) === '7');
    await widgets.delete({ namespace: NS, name: 'w' });
    await waitFor('the ConfigMap to go', async () => (await configMapData('w')) === undefined);
  });

  it('does not retry a TerminalError, but reconciles again when the object changes', async () => {
    await widgets.create(widget('unlucky', 13));
    await widgets.create(widget('fine', 2));
    await waitFor('the other object to converge', async () => (await configMapData('fine')) === '2');
    await waitFor('the terminal error', () => outcomes.includes('terminal_error'));
    const callsAfterError = reconciler.calls.get('unlucky');
    // Let retries happen if they (wrongly) would: the per-item backoff starts at 5 ms.
    const until = Date.now() + 500;
    await waitFor('half a second', () => Date.now() > until);
    assert.equal(reconciler.calls.get('unlucky'), callsAfterError, 'a TerminalError was retried');
    assert.equal(await configMapData('unlucky'), undefined);
    const w = await widgets.get({ namespace: NS, name: 'unlucky' });
    await widgets.replace({ ...w, spec: { size: 14 } });
    await waitFor('the fixed object to converge', async () => (await configMapData('unlucky')) === '14');
  });
});
