import { Watch, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';

/** Pause before re-watching after the watch ended on its own (not a sync wait: a retry pace). */
const REWATCH_PAUSE_MS = 200;

/** One change of one object of the recorded collection, in the API server's order. */
export interface ClusterChange<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  namespace: string;
  name: string;
  /** The simulator's resourceVersion: one global counter, so it orders changes across kinds. */
  resourceVersion: bigint;
  object: T;
}

/**
 * Records every change of every object of one collection (e.g. `/api/v1/configmaps`, all
 * namespaces) by a client-node watch, from the collection's creation on: what a user auditing the
 * cluster would see. A watch that ends is resumed from the last resourceVersion seen, so nothing is
 * missed; if the API server says that version has expired (410), the recording has a gap, and
 * {@link gap} says so — a checker must then not trust it. `stop()` ends it.
 */
export class ClusterRecorder<T extends KubernetesObject> {
  readonly changes: ClusterChange<T>[] = [];
  /** Why the recording is incomplete, if it is. */
  gap: string | undefined;
  /** The last resourceVersion seen (the resume point). */
  private resourceVersion: string | undefined;
  private abort: AbortController | undefined;
  private isStopped = false;

  private constructor(
    private readonly kc: KubeConfig,
    readonly path: string,
    private readonly accept: (obj: T) => boolean,
  ) {}

  /**
   * Starts watching `path` (from the beginning: existing objects arrive as ADDED); only objects that
   * `accept` are kept.
   */
  static async start<T extends KubernetesObject>(
    kc: KubeConfig,
    path: string,
    accept: (obj: T) => boolean = () => true,
  ): Promise<ClusterRecorder<T>> {
    const rec = new ClusterRecorder<T>(kc, path, accept);
    await rec.watch();
    return rec;
  }

  private async watch(): Promise<void> {
    if (this.isStopped) return;
    const query: Record<string, string | boolean> = { allowWatchBookmarks: true };
    if (this.resourceVersion !== undefined) query['resourceVersion'] = this.resourceVersion;
    this.abort = await new Watch(this.kc).watch(
      this.path,
      query,
      (type: string, obj: T) => this.onEvent(type, obj),
      () => {
        if (this.isStopped || this.gap !== undefined) return;
        setTimeout(() => {
          this.watch().catch((err: unknown) => {
            this.gap = `re-watch of ${this.path} failed: ${String(err)}`;
          });
        }, REWATCH_PAUSE_MS);
      },
    );
  }

  private onEvent(type: string, obj: T): void {
    if (type === 'ERROR') {
      const status = obj as unknown as { code?: number; message?: string };
      this.gap = `watch of ${this.path} from ${this.resourceVersion}: ${status.code} ${status.message}`;
      return;
    }
    const rv = obj.metadata?.resourceVersion;
    if (rv !== undefined) this.resourceVersion = rv;
    if (type === 'BOOKMARK') return;
    if (type !== 'ADDED' && type !== 'MODIFIED' && type !== 'DELETED') return;
    if (!this.accept(obj)) return;
    this.changes.push({
      type,
      namespace: obj.metadata?.namespace ?? '',
      name: obj.metadata?.name ?? '',
      resourceVersion: BigInt(rv ?? '0'),
      object: obj,
    });
  }

  /** Ends the recording. Idempotent. */
  stop(): void {
    this.isStopped = true;
    this.abort?.abort();
  }
}
