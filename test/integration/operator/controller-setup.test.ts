// The manager is generic: it runs whatever ControllerSetups it is given — shared informers, handlers
// registered once, controllers and shared session state made per leadership session — and names none.
import { strict as assert } from 'node:assert';
import type { V1ConfigMap } from '@kubernetes/client-node';
import { ConfigMapClient, Informer } from '../../../src/kube/index.js';
import type { ManagerServices } from '../../../src/operator/index.js';
import {
  Controller,
  type ControllerSetup,
  type InformerRegistry,
  type Request,
  type SessionQueue,
  type SessionScope,
} from '../../../src/runtime/index.js';
import type { TestEnv } from '../controller/support.js';
import { useTestEnv, waitFor } from '../controller/support.js';

/** What the recording setups saw, in order. */
interface Journal {
  readonly informers: Informer<V1ConfigMap>[];
  readonly reconciled: string[];
  readonly log: string[];
}

/** A ConfigMap controller that records its reconciles and its session's lifecycle. */
class RecordingSetup implements ControllerSetup {
  private informer: Informer<V1ConfigMap> | undefined;

  constructor(
    readonly name: string,
    private readonly env: TestEnv,
    private readonly journal: Journal,
  ) {}

  watch(informers: InformerRegistry, queue: SessionQueue): void {
    this.informer = informers.informer(
      'configmaps',
      () => new Informer({ source: new ConfigMapClient(this.env.kc), kubeConfig: this.env.kc }),
    );
    this.journal.informers.push(this.informer);
    const enqueue = (cm: V1ConfigMap): void =>
      queue.enqueue({ namespace: cm.metadata?.namespace ?? '', name: cm.metadata?.name ?? '' });
    this.informer.addHandlers({ onAdd: enqueue, onUpdate: (_, cur) => enqueue(cur), onDelete: enqueue });
  }

  build(session: SessionScope): Controller {
    const shared = session.shared('shared-state', () => {
      this.journal.log.push(`made by ${this.name}`);
      return {
        close: () => {
          this.journal.log.push('shared state closed');
          return Promise.resolve();
        },
      };
    });
    assert.ok(shared);
    return new Controller({
      name: this.name,
      reconciler: {
        reconcile: (request: Request) => {
          this.journal.reconciled.push(`${this.name}:${request.namespace}/${request.name}`);
          return Promise.resolve({});
        },
      },
    });
  }

  initialRequests(): Request[] {
    return (this.informer?.store.list() ?? []).map((cm) => ({
      namespace: cm.metadata?.namespace ?? '',
      name: cm.metadata?.name ?? '',
    }));
  }
}

describe('Manager with any ControllerSetups (simulator)', function () {
  this.timeout(60_000);
  let env: TestEnv;
  useTestEnv((e) => {
    env = e;
  });

  it('shares informers by key, queues every object at session start, then follows changes; closes the session state when the session ends', async () => {
    const ns = await env.namespace();
    await env.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'before' } } });
    const journal: Journal = { informers: [], reconciled: [], log: [] };
    let services: ManagerServices | undefined;
    const manager = await env.startManager({
      controllers: (s) => {
        services = s;
        return [new RecordingSetup('first', env, journal), new RecordingSetup('second', env, journal)];
      },
    });
    assert.ok(services?.events && services.metrics, 'the setups get the manager services');
    assert.equal(journal.informers.length, 2);
    assert.equal(journal.informers[0], journal.informers[1], 'one informer per key, shared');

    await waitFor('initial requests of both controllers', () =>
      ['first', 'second'].every((c) => journal.reconciled.includes(`${c}:${ns}/before`)),
    );
    await env.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'after' } } });
    await waitFor('a change reaches both controllers', () =>
      ['first', 'second'].every((c) => journal.reconciled.includes(`${c}:${ns}/after`)),
    );
    assert.deepEqual(journal.log, ['made by first'], 'the shared state is made once per session');

    await manager.close();
    assert.deepEqual(journal.log, ['made by first', 'shared state closed']);
  });

  it('refuses two controllers of one name', async () => {
    const journal: Journal = { informers: [], reconciled: [], log: [] };
    await assert.rejects(
      env.startManager({
        controllers: () => [
          new RecordingSetup('same', env, journal),
          new RecordingSetup('same', env, journal),
        ],
      }),
      /controller names must be unique/,
    );
  });
});
