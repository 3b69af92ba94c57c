import { isObject, type JsonObject } from './json.js';
import type { ResourceType } from './resource-type.js';

type Precision = 'seconds' | 'micro';

/** Typed time fields of the built-in kinds: a real server re-serialises them (metav1.Time / MicroTime). */
const TIME_FIELDS: Record<string, Array<[string[], Precision]>> = {
  'coordination.k8s.io/leases': [
    [['spec', 'acquireTime'], 'micro'],
    [['spec', 'renewTime'], 'micro'],
  ],
  '/events': [
    [['eventTime'], 'micro'],
    [['firstTimestamp'], 'seconds'],
    [['lastTimestamp'], 'seconds'],
  ],
  'events.k8s.io/events': [
    [['eventTime'], 'micro'],
    [['series', 'lastObservedTime'], 'micro'],
    [['deprecatedFirstTimestamp'], 'seconds'],
    [['deprecatedLastTimestamp'], 'seconds'],
  ],
};

function format(value: string, precision: Precision): string | undefined {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(value);
  if (!m) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) return undefined;
  const utc = new Date(ms).toISOString().slice(0, 19);
  if (precision === 'seconds') return `${utc}Z`;
  const fraction = (m[2] ?? '').padEnd(6, '0').slice(0, 6);
  return `${utc}.${fraction}Z`;
}

/**
 * Rewrites the kind's typed time fields the way the apiserver's JSON serialiser does: metav1.Time in
 * whole seconds, MicroTime with six fractional digits, both in UTC. Returns an error message for an
 * unparsable value (the apiserver answers 400 on decode).
 */
export function normalizeTimes(type: ResourceType, obj: JsonObject): string | undefined {
  for (const [path, precision] of TIME_FIELDS[`${type.group}/${type.plural}`] ?? []) {
    let parent: unknown = obj;
    for (const p of path.slice(0, -1)) parent = isObject(parent) ? parent[p] : undefined;
    const key = path[path.length - 1] ?? '';
    if (!isObject(parent) || parent[key] === undefined || parent[key] === null) continue;
    const raw = parent[key];
    const fixed = typeof raw === 'string' ? format(raw, precision) : undefined;
    if (fixed === undefined)
      return `parsing time ${JSON.stringify(raw)} as "2006-01-02T15:04:05Z07:00": cannot parse`;
    parent[key] = fixed;
  }
  return undefined;
}
