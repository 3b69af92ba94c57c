// The manager's informers, one per key, shared by the controllers that read the same objects
// (controller-runtime's shared cache): started, awaited and closed together.
import type { InformerRegistry, ManagedInformer } from './controller-setup.js';

/** Every informer that the controllers of one manager asked for, keyed as they asked. */
export class SharedInformers implements InformerRegistry {
  private readonly informers = new Map<string, ManagedInformer>();
  private started = false;

  informer<T extends ManagedInformer>(key: string, create: () => T): T {
    const existing = this.informers.get(key);
    // One key, one kind of informer: the controllers asking for a key agree on what it holds.
    if (existing) return existing as T;
    // Handlers are added before the first list so that none misses the initial adds.
    if (this.started) throw new Error(`informer ${key} requested after the informers started`);
    const made = create();
    this.informers.set(key, made);
    return made;
  }

  /** Whether every informer has listed once. */
  hasSynced(): boolean {
    return [...this.informers.values()].every((i) => i.hasSynced());
  }

  /** The keys of the informers that have not listed yet (for a clear "are the CRDs installed?"). */
  unsynced(): string[] {
    return [...this.informers].filter(([, i]) => !i.hasSynced()).map(([key]) => key);
  }

  start(): void {
    this.started = true;
    for (const i of this.informers.values()) i.start();
  }

  /** Resolves once every informer has synced, or when `signal` aborts (never rejects). */
  async waitForSync(signal: AbortSignal): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.waitForSync(signal).catch(() => undefined)));
  }

  async close(): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.close()));
  }
}
