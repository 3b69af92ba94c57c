import { Watch, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';

/** One change of the recorded object, as a watch delivered it. */
export interface RecordedChange<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: T;
  resourceVersion: string;
}

/**
 * Records every change of one object by a client-node watch on its collection (from "now"): how a user
 * counts the writes the operator made. Each MODIFIED event is one write the API server accepted.
 */
export class ObjectRecorder<T extends KubernetesObject> {
  readonly changes: RecordedChange<T>[] = [];
  /** Called synchronously for every recorded change. */
  private readonly listeners = new Set<(c: RecordedChange<T>) => void>();
  private abort: AbortController | undefined;
  private error: unknown;

  private constructor(private readonly name: string) {}

  /**
   * Starts watching `collectionPath` (e.g. `/api/v1/namespaces/ns/configmaps`) for the object `name`,
   * from `resourceVersion` when given (so that no change after a read is missed).
   */
  static async start<T extends KubernetesObject>(
    kc: KubeConfig,
    collectionPath: string,
    name: string,
    resourceVersion?: string,
  ): Promise<ObjectRecorder<T>> {
    const rec = new ObjectRecorder<T>(name);
    const query: Record<string, string | boolean> = { allowWatchBookmarks: false };
    if (resourceVersion !== undefined) query['resourceVersion'] = resourceVersion;
    rec.abort = await new Watch(kc).watch(
      collectionPath,
      query,
      (type: string, obj: T) => {
        if (obj.metadata?.name !== rec.name) return;
        if (type !== 'ADDED' && type !== 'MODIFIED' && type !== 'DELETED') return;
        const change = { type, object: obj, resourceVersion: obj.metadata.resourceVersion ?? '' } as const;
        rec.changes.push(change);
        for (const l of rec.listeners) l(change);
      },
      (err: unknown) => {
        // A watch that ends on its own (not through stop()) would silently undercount: remember it.
        if (rec.abort && !rec.abort.signal.aborted) rec.error = err ?? new Error('watch ended');
      },
    );
    return rec;
  }

  /** Number of MODIFIED events: writes to the object after the watch started. Throws if the watch broke. */
  get writes(): number {
    this.check();
    return this.changes.filter((c) => c.type === 'MODIFIED').length;
  }

  /** The last object seen. */
  get last(): T | undefined {
    return this.changes[this.changes.length - 1]?.object;
  }

  private check(): void {
    if (this.error !== undefined) {
      throw new Error(
        `the watch on ${this.name} ended early: ${this.error instanceof Error ? this.error.message : JSON.stringify(this.error)}`,
        { cause: this.error },
      );
    }
  }

  /** Resolves with the first change from now on that satisfies `predicate` (no timeout: race it). */
  next(predicate: (c: RecordedChange<T>) => boolean): Promise<RecordedChange<T>> {
    return new Promise((resolve) => {
      const l = (c: RecordedChange<T>): void => {
        if (!predicate(c)) return;
        this.listeners.delete(l);
        resolve(c);
      };
      this.listeners.add(l);
    });
  }

  /** Ends the watch. Idempotent. */
  stop(): void {
    this.abort?.abort();
  }
}
