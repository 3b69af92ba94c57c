// One watch request of an informer, from the moment it is sent until it ends, reduced to one value: how
// it ended. A watch (WatchClient, with client-node's `Watch.watch` contract) reports an end in several
// ways (the request's rejection, the done callback, an ERROR event in the stream, an HTTP status) and
// gives no handle before the headers arrive;
// this module settles each request exactly once and leaves "relist, back off or rewatch?" to the loop.
import type { KubernetesObject } from '@kubernetes/client-node';
import { GoneError, toKubeError, type KubeApiError } from './errors.js';

/** How one watch request ended; `delivered` says whether it brought at least one object change. */
export type WatchEnd =
  | { kind: 'closed'; delivered: boolean }
  | { kind: 'gone'; delivered: boolean }
  | { kind: 'failed'; error: KubeApiError; delivered: boolean };

/** The event types that carry an object; a BOOKMARK carries only a `resourceVersion`. */
export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';

/**
 * Opens watch requests, with the contract of client-node's `Watch.watch`: resolves (or rejects) once
 * connected, with a controller that ends the stream; `onDone` reports the end, once. `WatchClient`
 * implements it; tests pass a fake.
 */
export interface WatchOpener {
  watch(
    path: string,
    params: Readonly<Record<string, string | boolean>>,
    onEvent: (type: string, object: unknown) => void,
    onDone: (err: unknown) => void,
  ): Promise<AbortController>;
}

/** What to watch and where to deliver the events of one request. */
export interface WatchRequest<T extends KubernetesObject> {
  /** Opens the request: a `WatchClient`, or a fake in tests. */
  watcher: WatchOpener;
  /** The watch path of the resource (`ListWatchSource.watchPath`). */
  path: string;
  /** Query parameters (resourceVersion, selectors, allowWatchBookmarks). */
  params: Record<string, string | boolean>;
  /** The resource's name, for error messages. */
  resource: string;
  /** Ends the request (as `closed`) when aborted, even while it is still connecting. */
  signal: AbortSignal;
  /** Called synchronously for each event of a known type, in stream order, until the request ends. */
  onEvent(type: WatchEventType, object: T): void;
}

/** A started request: `ended` never rejects; `connecting` settles once the request has connected or failed. */
export interface StartedWatch {
  readonly ended: Promise<WatchEnd>;
  readonly connecting: Promise<unknown>;
}

/** Starts one watch request; see {@link WatchRequest} for how its events and its end are reported. */
export function startWatch<T extends KubernetesObject>(req: WatchRequest<T>): StartedWatch {
  let connecting: Promise<unknown> = Promise.resolve();
  const ended = new Promise<WatchEnd>((resolve) => {
    let delivered = false;
    let gone = false;
    let settled = false;
    let controller: AbortController | undefined;
    const { signal } = req;
    const onStop = (): void => finish({ kind: 'closed', delivered });
    const finish = (end: WatchEnd): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onStop);
      controller?.abort();
      resolve(end);
    };
    const onEvent = (type: string, obj: unknown): void => {
      if (settled || signal.aborted) return;
      if (type === 'ERROR') {
        // A Status in the stream: 410 means our resourceVersion is too old. Either way this stream is
        // done; end it ourselves instead of trusting the server to close it.
        const code = (obj as { code?: unknown } | null)?.code;
        if (code === 410) {
          gone = true;
          finish({ kind: 'gone', delivered });
        } else {
          const error = toKubeError(
            Object.assign(new Error('watch error event'), { statusCode: code ?? 500 }),
          );
          finish({ kind: 'failed', error, delivered });
        }
        return;
      }
      switch (type) {
        case 'ADDED':
        case 'MODIFIED':
        case 'DELETED':
          delivered = true;
          req.onEvent(type, obj as T);
          break;
        case 'BOOKMARK':
          req.onEvent(type, obj as T);
          break;
        default:
          return;
      }
    };
    const onDone = (err: unknown): void => {
      if (gone || settled) return finish({ kind: 'gone', delivered });
      if (!err) return finish({ kind: 'closed', delivered });
      const error = toKubeError(err, `watch ${req.resource}`);
      if (error instanceof GoneError) return finish({ kind: 'gone', delivered });
      finish({ kind: 'failed', error, delivered });
    };
    const request = req.watcher.watch(req.path, req.params, onEvent, onDone);
    connecting = request.catch(() => undefined);
    request.then(
      (ctrl) => {
        controller = ctrl;
        if (settled || signal.aborted) {
          ctrl.abort();
          finish({ kind: 'closed', delivered });
        }
      },
      (err: unknown) => onDone(err ?? new Error('watch failed')),
    );
    // Aborting the signal ends the request: the stream if connected, our wait if still connecting.
    signal.addEventListener('abort', onStop, { once: true });
  });
  return { ended, connecting };
}
