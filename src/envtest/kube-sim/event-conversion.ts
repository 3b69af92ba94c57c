import type { JsonObject } from './json.js';

/** events.k8s.io/v1 field ↔ core v1 field, as upstream's conversion (pkg/apis/events/v1) maps them. */
const RENAMES: Array<[events: string, core: string]> = [
  ['regarding', 'involvedObject'],
  ['note', 'message'],
  ['reportingController', 'reportingComponent'],
  ['deprecatedSource', 'source'],
  ['deprecatedFirstTimestamp', 'firstTimestamp'],
  ['deprecatedLastTimestamp', 'lastTimestamp'],
  ['deprecatedCount', 'count'],
];

function rename(obj: JsonObject, from: 0 | 1, apiVersion: string): JsonObject {
  const out: JsonObject = { ...obj, apiVersion, kind: 'Event' };
  for (const pair of RENAMES) {
    const src = pair[from];
    const dst = pair[from === 0 ? 1 : 0];
    delete out[src];
    if (obj[src] !== undefined) out[dst] = obj[src];
  }
  return out;
}

/** An events.k8s.io/v1 Event in core v1 form (the storage form: both APIs serve one set of Events). */
export function eventToCore(obj: JsonObject): JsonObject {
  return rename(obj, 0, 'v1');
}

/** A stored (core v1) Event as events.k8s.io/v1 serves it. */
export function eventFromCore(obj: JsonObject): JsonObject {
  return rename(obj, 1, 'events.k8s.io/v1');
}
