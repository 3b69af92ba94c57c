// How a controller plugs into a manager (controller-runtime's SetupWithManager): each controller
// declares the informers it reads, its event handlers and its per-session parts; the manager runs any
// list of them and knows none by name.
import type { Controller } from './controller.js';
import type { Request } from './reconciler.js';

/**
 * What the manager needs of an informer (the kube layer's Informer has it): the engine stays free of
 * any particular client.
 */
export interface ManagedInformer {
  start(): void;
  hasSynced(): boolean;
  waitForSync(signal?: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

/**
 * The informers of one manager, one per key, shared by every controller that asks for the same key
 * (as controller-runtime's shared cache). The manager starts them, waits for their sync before a
 * session's controllers start, and closes them.
 */
export interface InformerRegistry {
  /** The informer registered as `key`; `create` makes it on the first request for that key. */
  informer<T extends ManagedInformer>(key: string, create: () => T): T;
}

/** Something that lives for one session and ends with it. */
export interface SessionResource {
  close(): Promise<void>;
}

/**
 * One session: a leadership term, or the process's life without leader election. Everything that acts
 * (controllers, etcd connections, writes) exists only within one.
 */
export interface SessionScope {
  /** Aborts when the session ends (lease lost, shutdown). */
  readonly signal: AbortSignal;
  /**
   * The one object of this session under `key`, made by `create` on first use: how controllers share
   * live state (e.g. etcd connections) without the manager knowing what it is. Closed after every
   * controller of the session has stopped, the last made first.
   */
  shared<T extends SessionResource>(key: string, create: () => T): T;
}

/**
 * The queue of one controller in the current session. Event handlers are registered once, when the
 * manager is made; they enqueue through this, which drops requests while no session runs (a standby
 * does not act; the next session starts with every object queued).
 */
export interface SessionQueue {
  enqueue(request: Request): void;
  enqueueAfter(request: Request, delayMs: number): void;
}

/** One controller, as a manager runs it. */
export interface ControllerSetup {
  /** As in logs and metrics, e.g. `prefixsync`. Unique within a manager. */
  readonly name: string;
  /** Once, when the manager is made: take the informers this controller reads and add its handlers. */
  watch(informers: InformerRegistry, queue: SessionQueue): void;
  /** At the start of every session: the controller (not yet started) and the session parts it uses. */
  build(session: SessionScope, queue: SessionQueue): Controller;
  /** Once the informers have synced and the controller started: what to reconcile first (every object). */
  initialRequests(): Request[];
}
