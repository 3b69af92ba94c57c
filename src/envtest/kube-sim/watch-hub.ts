import type { ServerResponse } from 'node:http';
import { objectAt, stringAt, type JsonObject } from './json.js';
import { jsonText } from './json-text.js';
import { namespaceOf } from './object-meta.js';
import { EXPIRED, type Change, type ObjectStore } from './object-store.js';
import { present } from './present.js';
import { apiVersionOf, storageKey, type ResourceType } from './resource-type.js';
import type { Predicate } from './selectors.js';
import { badRequest, gone } from './status-error.js';
import { toTable, type TableInclude } from './table.js';

/** What a watch request asked for, after parsing. */
export interface WatchSpec {
  type: ResourceType;
  /** '' watches every namespace */
  namespace: string;
  /** '' or '0': synthetic ADDED events for the current objects first */
  resourceVersion: string;
  matches: Predicate;
  asTable: boolean;
  /** What each Table row carries (with asTable); default Metadata. */
  tableInclude?: TableInclude;
  allowBookmarks: boolean;
  timeoutSeconds?: number;
}

/** One open watch stream. `close()` ends it; it also ends when the client goes away. */
interface OpenWatch {
  /** storage key of the watched resource */
  resource: string;
  close(): void;
}

/**
 * Serves watch streams: NDJSON events over a chunked 200 response whose headers are flushed at once,
 * held open until the client leaves, `timeoutSeconds` passes, or the simulator cuts it. A start
 * resourceVersion older than the kept history gets the real server's answer: 200, one ERROR event
 * carrying a 410 Expired Status, then the end of the stream.
 */
export class WatchHub {
  private readonly open = new Set<OpenWatch>();

  constructor(
    private readonly store: ObjectStore,
    private readonly bookmarkIntervalMs: number,
  ) {}

  get openCount(): number {
    return this.open.size;
  }

  /** Starts streaming; throws ApiError (before any header is sent) for a malformed resourceVersion. */
  serve(spec: WatchSpec, res: ServerResponse): void {
    if (spec.resourceVersion !== '' && !/^\d+$/.test(spec.resourceVersion)) {
      throw badRequest(`invalid resource version: ${JSON.stringify(spec.resourceVersion)}`);
    }
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
    res.flushHeaders();
    const resource = storageKey(spec.type);
    const send = (type: string, object: JsonObject): void => {
      // Byte for byte JSON.stringify({ type, object }); a stored version's text is shared by all watchers.
      res.write(`{"type":${JSON.stringify(type)},"object":${jsonText(object)}}\n`);
    };
    const render = (obj: JsonObject): JsonObject => {
      const shown = present(spec.type, obj);
      if (!spec.asTable) return shown;
      const rv = stringAt(objectAt(obj, 'metadata'), 'resourceVersion') ?? '';
      return toTable(spec.type, [shown], rv, spec.tableInclude);
    };
    const inScope = (o: JsonObject): boolean =>
      (spec.namespace === '' || namespaceOf(o) === spec.namespace) && spec.matches(o);

    const deliver = (c: Change): void => {
      if (c.resource !== resource) return;
      const now = inScope(c.object) && c.type !== 'DELETED';
      const before = c.prev !== undefined && inScope(c.prev);
      if (c.type === 'DELETED') {
        if (before || inScope(c.object)) send('DELETED', render(c.object));
      } else if (now && before) send('MODIFIED', render(c.object));
      else if (now) send('ADDED', render(c.object));
      else if (before && c.prev) {
        // Left the selector: the watch cache reports the previous state, at this change's version.
        const left = structuredClone(c.prev);
        const m = objectAt(left, 'metadata');
        if (m) m['resourceVersion'] = c.rv.toString();
        send('DELETED', render(left));
      }
    };

    let backlog: Change[] = [];
    /** Live changes at or below this version are not news to the client (a watch from a future rv). */
    let startAfter = -1n;
    if (spec.resourceVersion === '' || spec.resourceVersion === '0') {
      for (const o of this.store.list(resource, spec.namespace === '' ? undefined : spec.namespace)) {
        if (spec.matches(o)) send('ADDED', render(o));
      }
    } else {
      const from = BigInt(spec.resourceVersion);
      startAfter = from;
      const since = this.store.changesSince(resource, from);
      if (since === EXPIRED) {
        const err = gone(
          `too old resource version: ${spec.resourceVersion} (${this.store.oldestWatchableRv})`,
        );
        send('ERROR', err.toStatus());
        res.end();
        return;
      }
      backlog = since;
    }
    for (const c of backlog) deliver(c);
    const unsubscribe = this.store.subscribe((c) => {
      if (c.rv > startAfter) deliver(c);
    });

    const timers: NodeJS.Timeout[] = [];
    if (spec.allowBookmarks) {
      timers.push(
        setInterval(() => {
          send('BOOKMARK', {
            kind: spec.type.kind,
            apiVersion: apiVersionOf(spec.type),
            metadata: { resourceVersion: this.store.currentRv.toString() },
          });
        }, this.bookmarkIntervalMs),
      );
    }
    const watch: OpenWatch = {
      resource,
      close: () => {
        if (!this.open.delete(watch)) return;
        unsubscribe();
        for (const t of timers) clearTimeout(t);
        res.end();
      },
    };
    if (spec.timeoutSeconds !== undefined && spec.timeoutSeconds > 0) {
      timers.push(setTimeout(() => watch.close(), spec.timeoutSeconds * 1000));
    }
    this.open.add(watch);
    res.on('close', () => watch.close());
  }

  /** Ends the streams on one resource, as the apiserver does when a CRD's storage goes away. */
  cutResource(resource: string): void {
    for (const w of [...this.open]) if (w.resource === resource) w.close();
  }

  /** Ends every open stream cleanly (clients re-watch from their last resourceVersion). */
  cutAll(): void {
    for (const w of [...this.open]) w.close();
  }
}
