import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { stringify as toYaml } from 'yaml';
import { AccessReviews, type SimAccess } from './access-reviews.js';
import { builtinTypes } from './builtin-types.js';
import { Controllers } from './controllers.js';
import { CrdManager } from './crd-manager.js';
import { FaultBook, type DelayOptions, type FailNextOptions, type SimFaults } from './faults.js';
import { HttpHandler } from './http-handler.js';
import { ObjectStore } from './object-store.js';
import { OpenApiDocs } from './openapi.js';
import { ResourceRegistry } from './registry.js';
import { storageKey } from './resource-type.js';
import { ResourceApi, type Admission } from './resource-api.js';
import { BuiltinValidation } from './builtin-validation.js';
import { ServiceDefaults } from './service-defaults.js';
import { WatchHub } from './watch-hub.js';
import { applyWorkloadDefaults } from './workload-defaults.js';
import { failSwitchErrors } from './workload-faults.js';
import { WorkloadStatusController, type WorkloadSimOptions } from './workload-status.js';
import { invalid } from './status-error.js';
import { nameOf } from './object-meta.js';

/** Options of `KubeSim.start`. */
export interface KubeSimOptions {
  /** TCP port; 0 (the default) asks the OS for a free one. */
  port?: number;
  /** Listen address; default 127.0.0.1. */
  host?: string;
  /**
   * How many changes the watch history keeps (default 10,000). A watch or an Exact list from a
   * resourceVersion whose changes have left it gets 410 Gone.
   */
  historyLimit?: number;
  /** Interval of BOOKMARK events on watches that allow them (default 1,000 ms; real servers: ~1 min). */
  bookmarkIntervalMs?: number;
  /**
   * Who TokenReviews authenticate and what SubjectAccessReviews allow (access-reviews.ts); replace it
   * later with `setAccess`. Default: the kubeconfig's token is an administrator allowed everything, any
   * other token is not authenticated.
   */
  access?: SimAccess;
  /**
   * The workload controllers that move the status of Deployments, StatefulSets and DaemonSets as
   * kube-controller-manager does (workload-status.ts): rollout step delay (default 250 ms) and simulated
   * node count (default 1). `false`: none, as in controller-runtime's envtest — status stays what
   * clients write.
   */
  workloads?: WorkloadSimOptions | false;
}

const DEFAULT_HISTORY_LIMIT = 10_000;
/** The kinds the workload controllers move and the fail switch annotations apply to. */
const WORKLOAD_RESOURCES = new Set(['apps/deployments', 'apps/statefulsets', 'apps/daemonsets']);
const DEFAULT_BOOKMARK_INTERVAL_MS = 1_000;
const CONTEXT = 'kube-sim';

type State = 'running' | 'closing' | 'closed';

/**
 * A strict in-process Kubernetes API server for tests and demos, spoken to over HTTP by the real
 * `@kubernetes/client-node` and kubectl. It holds objects in memory; see DESIGN.md §6 for what it
 * honours. Start with `KubeSim.start()`; `close()` ends open watches and the listener, and is idempotent.
 */
export class KubeSim {
  /** Fault injection: failures, latency, cut watches, compacted history. */
  readonly faults: SimFaults;
  /** `http://host:port` */
  readonly url: string;
  /**
   * Every distinct User-Agent header the simulator has been sent (a missing one as ''), in order of
   * first arrival: for tests of who a client says it is (its writes' managedFields name the manager).
   */
  readonly userAgents: ReadonlySet<string>;

  private state: State = 'running';
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly server: Server,
    private readonly sockets: Set<Socket>,
    private readonly watches: WatchHub,
    private readonly controllers: Controllers,
    /** Moves workload status; undefined when `workloads: false`. */
    private readonly workloads: WorkloadStatusController | undefined,
    private readonly crds: CrdManager,
    /** Aborted by close(): ends waits and injected delays of requests in flight. */
    private readonly lifetime: AbortController,
    /** Answers TokenReviews and SubjectAccessReviews. */
    private readonly reviews: AccessReviews,
    store: ObjectStore,
    book: FaultBook,
    url: string,
    userAgents: ReadonlySet<string>,
  ) {
    this.url = url;
    this.userAgents = userAgents;
    this.faults = {
      failNext: (o: FailNextOptions) => book.failNext(o),
      delay: (o: DelayOptions) => book.delay(o),
      cutWatches: () => watches.cutAll(),
      compactHistory: () => store.compact(),
      clear: () => book.clear(),
    };
  }

  /** Starts a simulator with the namespaces `default` and `kube-system`; resolves once it listens. */
  static async start(options: KubeSimOptions = {}): Promise<KubeSim> {
    const host = options.host ?? '127.0.0.1';
    const historyLimit = options.historyLimit ?? DEFAULT_HISTORY_LIMIT;
    if (!Number.isInteger(historyLimit) || historyLimit < 1)
      throw new RangeError('historyLimit must be a positive integer');
    const store = new ObjectStore(historyLimit);
    const registry = new ResourceRegistry(builtinTypes());
    const openapi = new OpenApiDocs(registry);
    const crds = new CrdManager(registry, store);
    openapi.useCrdSchemas(crds);
    const controllers: Controllers = new Controllers(store, registry, () => api);
    const workloads =
      options.workloads === false
        ? undefined
        : new WorkloadStatusController(store, registry, () => api, options.workloads);
    const builtinValidation = new BuiltinValidation();
    const serviceDefaults = new ServiceDefaults();
    const admission: Admission = {
      admit: (type, obj, old, fieldValidation) => {
        serviceDefaults.apply(type, obj, old);
        applyWorkloadDefaults(type, obj);
        const warnings = [
          ...builtinValidation.admit(type, obj, old),
          ...crds.admit(type, obj, old, fieldValidation),
        ];
        const switchErrors = WORKLOAD_RESOURCES.has(storageKey(type)) ? failSwitchErrors(obj) : [];
        if (switchErrors.length > 0) throw invalid(type.kind, type.group, nameOf(obj), switchErrors);
        return warnings;
      },
      checkCreatable: (type) => crds.checkCreatable(type),
    };
    const lifetime = new AbortController();
    const api: ResourceApi = new ResourceApi(store, admission, () => controllers.kick(), lifetime.signal);
    const watches = new WatchHub(store, options.bookmarkIntervalMs ?? DEFAULT_BOOKMARK_INTERVAL_MS);
    crds.onCrdRemoved((resource) => watches.cutResource(resource));
    const book = new FaultBook();
    const reviews = new AccessReviews(options.access);
    let address = '';
    const userAgents = new Set<string>();
    const handler = new HttpHandler({
      registry,
      store,
      api,
      watches,
      faults: book,
      openapi,
      reviews,
      address: () => address,
      signal: lifetime.signal,
      userAgents,
    });
    const sockets = new Set<Socket>();
    const server = createServer((req, res) => void handler.handle(req, res));
    server.on('connection', (s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const bound = server.address();
    if (bound === null || typeof bound === 'string') throw new Error('kube-sim: no TCP address');
    address = `${host}:${bound.port}`;
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${bound.port}`;
    const sim = new KubeSim(
      server,
      sockets,
      watches,
      controllers,
      workloads,
      crds,
      lifetime,
      reviews,
      store,
      book,
      url,
      userAgents,
    );
    for (const name of ['default', 'kube-system', 'kube-public']) {
      api.create(
        {
          type: registry.lookup('', 'v1', 'namespaces')!,
          namespace: '',
          query: new URLSearchParams(),
          userAgent: 'kube-apiserver/v1.33.0 (linux/amd64) kubernetes/sim',
        },
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
      );
    }
    return sim;
  }

  /** A client-node KubeConfig for this server (insecure-skip-tls-verify, as client-node needs for http). */
  kubeConfig(namespace = 'default'): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: CONTEXT, server: this.url, skipTLSVerify: true }],
      users: [{ name: CONTEXT, token: 'kube-sim' }],
      contexts: [{ name: CONTEXT, cluster: CONTEXT, user: CONTEXT, namespace }],
      currentContext: CONTEXT,
    });
    return kc;
  }

  /** The kubeconfig YAML that kubectl and client-node accept for this server. */
  kubeconfigYaml(namespace = 'default'): string {
    return toYaml({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: CONTEXT, cluster: { server: this.url, 'insecure-skip-tls-verify': true } }],
      users: [{ name: CONTEXT, user: { token: 'kube-sim' } }],
      contexts: [{ name: CONTEXT, context: { cluster: CONTEXT, user: CONTEXT, namespace } }],
      'current-context': CONTEXT,
      preferences: {},
    });
  }

  /** Writes `kubeconfigYaml()` to `path` (mode 0600). */
  async writeKubeconfig(path: string, namespace = 'default'): Promise<void> {
    await writeFile(path, this.kubeconfigYaml(namespace), { mode: 0o600 });
  }

  /**
   * Replaces the table TokenReviews and SubjectAccessReviews are answered from; takes effect for the
   * next review. Throws a TypeError (and keeps the old table) when the table is malformed.
   */
  setAccess(access: SimAccess): void {
    this.reviews.setAccess(access);
  }

  /** Number of watch streams currently open (for tests of clients that must not leak watches). */
  get openWatchCount(): number {
    return this.watches.openCount;
  }

  /** Ends every watch, stops background work and the listener. Idempotent; resolves when all is closed. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.state = 'closing';
    this.closing = (async () => {
      this.lifetime.abort();
      this.controllers.close();
      this.workloads?.close();
      this.crds.close();
      this.watches.cutAll();
      const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
      this.server.closeIdleConnections();
      // Any request still in flight is cut, like a server going away.
      for (const s of this.sockets) s.destroy();
      await closed;
      this.state = 'closed';
    })();
    return this.closing;
  }

  get isClosed(): boolean {
    return this.state === 'closed';
  }
}
