// The watch requests of the informers, over transport.ts instead of client-node's `Watch` (node-fetch
// and readline per stream): a streaming GET with `watch=true` whose body is split into lines
// (line-splitter.ts), each line one JSON event, parsed once.
import type { KubeConfig } from '@kubernetes/client-node';
import { errorForStatus } from './errors.js';
import { LineSplitter } from './line-splitter.js';
import { KubeTransport, type OpenResponse } from './transport.js';
import type { WatchOpener } from './watch-request.js';

/** How often TCP keep-alive probes an idle watch connection (client-node's value). */
const WATCH_KEEPALIVE_MS = 30_000;

/** Reads a short body (a non-200 answer's Status) as text; '' if it breaks off. */
function readText(res: OpenResponse): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    res.body.setEncoding('utf8');
    res.body.on('data', (chunk: string) => (text += chunk));
    res.body.on('end', () => resolve(text));
    res.body.on('error', () => resolve(text));
  });
}

/**
 * Opens watch requests on the current cluster of a kubeconfig, with its authentication, keep-alive
 * agents and the operator's User-Agent (transport.ts). `watch` has the contract of client-node's
 * `Watch.watch`, which the informers relied on: see {@link WatchClient.watch}.
 */
export class WatchClient implements WatchOpener {
  private readonly transport: KubeTransport;

  constructor(kubeConfig: KubeConfig) {
    this.transport = KubeTransport.for(kubeConfig);
  }

  /**
   * Watches `path` (`watch=true` plus `params`). Resolves once the answer's headers arrived (or the
   * request failed) with a controller whose `abort()` ends the stream. `onEvent` runs synchronously
   * for each event line, in order (a line that is not JSON is skipped, as client-node does). `onDone`
   * runs exactly once: `undefined` when the stream ends or is aborted through the controller; a
   * `KubeApiError` for an answer other than 200 (its status and Status reason: 410 is a `GoneError`),
   * for no answer (`TransportError`), for a stream that breaks off, or with what `onEvent` threw (the
   * stream is then ended).
   */
  async watch(
    path: string,
    params: Readonly<Record<string, string | boolean>>,
    onEvent: (type: string, object: unknown) => void,
    onDone: (err: unknown) => void,
  ): Promise<AbortController> {
    const controller = new AbortController();
    let done = false;
    const finish = (err: unknown): void => {
      if (done) return;
      done = true;
      // The owner's abort is a clean end, whatever error it made the stream emit.
      const aborted = controller.signal.aborted;
      controller.abort();
      onDone(aborted ? undefined : err);
    };
    // The owner's abort ends the watch even when the stream has nothing more to say about it.
    controller.signal.addEventListener('abort', () => finish(undefined), { once: true });
    const what = `watch ${path}`;
    let res: OpenResponse;
    try {
      res = await this.transport.open('GET', path, {
        query: { ...params, watch: true },
        signal: controller.signal,
        what,
      });
    } catch (err) {
      finish(err);
      return controller;
    }
    if (res.status !== 200) {
      finish(errorForStatus(res.status, await readText(res), what));
      return controller;
    }
    // A watch can stay silent for minutes: TCP keep-alive notices a peer that vanished.
    res.body.socket?.setKeepAlive(true, WATCH_KEEPALIVE_MS);
    const lines = new LineSplitter((line) => {
      let event: { type?: unknown; object?: unknown } | null;
      try {
        event = JSON.parse(line) as { type?: unknown; object?: unknown } | null;
      } catch {
        return;
      }
      if (typeof event?.type !== 'string') return;
      try {
        onEvent(event.type, event.object);
      } catch (err) {
        finish(err);
      }
    });
    res.body.on('data', (chunk: Buffer) => {
      if (!done) lines.push(chunk);
    });
    res.body.on('end', () => {
      if (!done) lines.end();
      finish(undefined);
    });
    res.body.on('error', finish);
    res.body.on('close', () => {
      if (!res.body.complete) finish(new Error(`${what}: the stream broke off`));
    });
    return controller;
  }
}
