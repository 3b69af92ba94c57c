// A small pool of worker threads that render templates off the event loop the reconciles share. Each
// template runs with a capped heap and a hard wall-clock limit: a worker past it is terminated and
// replaced, so a runaway template costs one worker for at most that long and never the operator.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { TemplateModel, TemplateRenderResult } from '../../sync/index.js';
// This import is what puts template-worker.ts in tsconfig.build.json's program (only what src/main.ts
// reaches is built), so that dist/ holds the worker's entry: keep it.
import type { TemplateJob } from './template-worker.js';

/** Default workers: a runaway template holds one while the others keep rendering. */
export const DEFAULT_TEMPLATE_WORKERS = 2;
/** Default hard wall-clock limit of one template's render. */
export const DEFAULT_TEMPLATE_TIMEOUT_MS = 3_000;
/** Default heap of a worker (old generation). */
export const DEFAULT_TEMPLATE_HEAP_MB = 96;

/** Options of {@link TemplatePool}. */
export interface TemplatePoolOptions {
  /** Workers at most (started on first use). Default {@link DEFAULT_TEMPLATE_WORKERS}. */
  readonly workers?: number;
  /** Hard limit of one template (ms): the worker is terminated past it. Default {@link DEFAULT_TEMPLATE_TIMEOUT_MS}. */
  readonly timeoutMs?: number;
  /**
   * The engine's own time budget (ms), which stops a template gracefully with its line. Default 80%
   * of `timeoutMs`; a value at or above `timeoutMs` leaves only the hard limit (tests).
   */
  readonly engineLimitMs?: number;
  /** Worker heap (MiB). Default {@link DEFAULT_TEMPLATE_HEAP_MB}. */
  readonly heapMb?: number;
  /** Let the process exit while workers idle (a CLI's pool). Default false. */
  readonly unref?: boolean;
}

/** Thrown by {@link TemplatePool.render} after {@link TemplatePool.close}. */
export class TemplatePoolClosed extends Error {
  constructor() {
    super('template pool closed');
    this.name = 'TemplatePoolClosed';
  }
}

/** What a worker posts: that its entry loaded, or a job's result. */
type WorkerMessage =
  { readonly ready: true } | { readonly id: number; readonly result: TemplateRenderResult };

interface Pending {
  readonly job: TemplateJob;
  readonly resolve: (result: TemplateRenderResult) => void;
  readonly reject: (err: Error) => void;
}

/**
 * One worker. `starting` until its entry has loaded (start-up is not the template's time); `busy`
 * holds its job and the timer that ends it; `idle` holds neither.
 */
interface Slot {
  readonly worker: Worker;
  state: 'starting' | 'idle' | 'busy';
  current?: Pending & { readonly timer: NodeJS.Timeout };
}

// From dist/ the entry is template-worker.js. Under tsx (tests) it is .ts, and Node 20 does not apply
// the loader hooks of a worker's `--import tsx`: a small eval'd script loads it through tsx's API.
const IS_TYPESCRIPT = import.meta.url.endsWith('.ts');
const WORKER_ENTRY = new URL(
  IS_TYPESCRIPT ? './template-worker.ts' : './template-worker.js',
  import.meta.url,
);

function newWorker(options: ConstructorParameters<typeof Worker>[1]): Worker {
  if (!IS_TYPESCRIPT) return new Worker(WORKER_ENTRY, { ...options, execArgv: [] });
  // createRequire, not import.meta.resolve: tsx may load this module as CommonJS (mocha); that
  // resolves tsx's CommonJS build, whose register() cannot run in a worker, so take its ES build.
  const api = pathToFileURL(
    createRequire(import.meta.url)
      .resolve('tsx/esm/api')
      .replace(/\.cjs$/, '.mjs'),
  ).href;
  const script = `import(${JSON.stringify(api)}).then((tsx) => tsx.tsImport(${JSON.stringify(WORKER_ENTRY.href)}, ${JSON.stringify(import.meta.url)}))`;
  return new Worker(script, { ...options, eval: true });
}

/**
 * Renders templates on worker threads. Jobs queue when every worker is busy; results come back in
 * any order. {@link close} is idempotent, terminates every worker and fails queued jobs.
 */
export class TemplatePool {
  private readonly size: number;
  private readonly timeoutMs: number;
  private readonly engineLimitMs: number;
  private readonly heapMb: number;
  private readonly unref: boolean;
  /** Live workers, at most `size`. */
  private readonly slots = new Set<Slot>();
  /** Jobs waiting for an idle worker, oldest first. */
  private readonly queue: Pending[] = [];
  /** Workers being terminated (awaited by close). */
  private readonly ending = new Set<Promise<number>>();
  private nextId = 1;
  private closed = false;

  constructor(options: TemplatePoolOptions = {}) {
    this.size = Math.max(1, options.workers ?? DEFAULT_TEMPLATE_WORKERS);
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TEMPLATE_TIMEOUT_MS;
    this.engineLimitMs = options.engineLimitMs ?? Math.floor(this.timeoutMs * 0.8);
    this.heapMb = options.heapMb ?? DEFAULT_TEMPLATE_HEAP_MB;
    this.unref = options.unref ?? false;
  }

  /** The hard limit of one template (ms). */
  get templateTimeoutMs(): number {
    return this.timeoutMs;
  }

  /**
   * Renders each template (target key → text) from `model`, in key order, all together within
   * `maxOutputBytes`; stops at the first failure. A template past the time limit or out of heap is a
   * failed result (`limit: 'time'`, or the message says so), never a throw. Rejects only after close.
   */
  async render(
    templates: Readonly<Record<string, string>>,
    model: TemplateModel,
    maxOutputBytes: number,
  ): Promise<TemplateRenderResult> {
    const data = Object.create(null) as Record<string, string>;
    let budget = maxOutputBytes;
    for (const key of Object.keys(templates).sort()) {
      const result = await this.run({
        id: this.nextId++,
        key,
        template: templates[key] ?? '',
        model,
        limits: { renderLimitMs: this.engineLimitMs, maxOutputBytes: budget },
      });
      if (!result.ok) return result;
      const text = result.data[key] ?? '';
      data[key] = text;
      budget -= Buffer.byteLength(text, 'utf8');
    }
    return { ok: true, data };
  }

  /** Terminates every worker and fails queued jobs. Idempotent; resolves when every worker has exited. */
  async close(): Promise<void> {
    this.closed = true;
    for (const pending of this.queue.splice(0)) pending.reject(new TemplatePoolClosed());
    for (const slot of [...this.slots]) {
      if (slot.current) {
        clearTimeout(slot.current.timer);
        slot.current.reject(new TemplatePoolClosed());
      }
      this.retire(slot);
    }
    await Promise.all([...this.ending]);
  }

  private run(job: TemplateJob): Promise<TemplateRenderResult> {
    if (this.closed) return Promise.reject(new TemplatePoolClosed());
    return new Promise((resolve, reject) => {
      this.queue.push({ job, resolve, reject });
      this.dispatch();
    });
  }

  /** Hands queued jobs to idle workers, starting workers up to `size`. */
  private dispatch(): void {
    while (this.queue.length > 0) {
      const slot = [...this.slots].find((s) => s.state === 'idle');
      if (!slot) {
        // Start the whole pool at once (a replacement too): a worker is then ready for the next
        // template while a runaway holds another, instead of starting only when needed.
        while (this.slots.size < this.size) this.spawn();
        return;
      }
      const pending = this.queue.shift();
      if (!pending) return;
      this.start(slot, pending);
    }
  }

  private start(slot: Slot, pending: Pending): void {
    const timer = setTimeout(() => {
      // The engine's own budget did not stop it (or it is inside one long call): end the worker.
      slot.current = undefined;
      this.retire(slot);
      pending.resolve({
        ok: false,
        error: {
          templateKey: pending.job.key,
          phase: 'render',
          limit: 'time',
          message: `did not finish within ${this.timeoutMs} ms (stopped)`,
        },
      });
      if (!this.closed) this.dispatch();
    }, this.timeoutMs);
    slot.state = 'busy';
    slot.current = { ...pending, timer };
    if (this.unref) slot.worker.ref();
    slot.worker.postMessage(pending.job);
  }

  private spawn(): Slot {
    const worker = newWorker({
      resourceLimits: { maxOldGenerationSizeMb: this.heapMb, maxYoungGenerationSizeMb: 16, stackSizeMb: 4 },
    });
    const slot: Slot = { worker, state: 'starting' };
    if (this.unref) worker.unref();
    worker.on('message', (message: WorkerMessage) => {
      if ('ready' in message) {
        slot.state = 'idle';
        this.dispatch();
        return;
      }
      const current = slot.current;
      if (!current || current.job.id !== message.id) return;
      clearTimeout(current.timer);
      slot.current = undefined;
      slot.state = 'idle';
      if (this.unref) worker.unref();
      current.resolve(message.result);
      this.dispatch();
    });
    // ERR_WORKER_OUT_OF_MEMORY (heap limit) or a crash: the job fails, the worker is replaced.
    worker.on('error', (err: Error & { code?: string }) => {
      this.fail(
        slot,
        err.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? `ran out of memory (worker heap limit ${this.heapMb} MiB)`
          : `worker failed: ${err.message}`,
      );
    });
    worker.on('exit', () => this.fail(slot, 'worker exited'));
    this.slots.add(slot);
    return slot;
  }

  /**
   * Ends `slot`'s job with a failed render saying `message`, terminates the worker and lets a new one
   * take the queue. A worker that fails to start takes the oldest queued job down with it, so that a
   * broken entry file fails renders instead of respawning forever.
   */
  private fail(slot: Slot, message: string): void {
    if (!this.slots.has(slot)) return;
    const current = slot.current;
    slot.current = undefined;
    if (current) clearTimeout(current.timer);
    const failed = current ?? (slot.state === 'starting' ? this.queue.shift() : undefined);
    this.retire(slot);
    failed?.resolve({ ok: false, error: { templateKey: failed.job.key, phase: 'render', message } });
    if (!this.closed) this.dispatch();
  }

  private retire(slot: Slot): void {
    this.slots.delete(slot);
    const ended = slot.worker.terminate().catch(() => 0);
    this.ending.add(ended);
    void ended.finally(() => this.ending.delete(ended));
  }
}
