// What the workload controllers read from a pod template: its hash (the identity of a rollout) and the
// ConfigMaps its pods would use (for the simulator's content-aware fail switch, workload-faults.ts).
import { isObject, objectAt, stringAt, type JsonObject } from './json.js';

/** FNV-1a, 32 bits: the hash upstream's `controller.ComputeHash` runs over a pod template. */
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
/** `rand.SafeEncodeString`'s alphabet: no vowels, no confusable digits. */
const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** JSON with object keys sorted, so that equal templates hash equally whatever their key order. */
function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (isObject(v)) {
    const keys = Object.keys(v)
      .filter((k) => v[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/**
 * The short hash of a pod template, in the form upstream gives `pod-template-hash` and
 * ControllerRevision names (`5d59d67564`): FNV-1a of the template, its decimal digits mapped onto the
 * safe alphabet. Equal templates (key order aside) give equal hashes.
 */
export function templateHash(template: unknown): string {
  let h = FNV_OFFSET;
  for (const byte of Buffer.from(canonicalJson(template ?? {}), 'utf8')) {
    h ^= byte;
    h = Math.imul(h, FNV_PRIME) >>> 0;
  }
  return [...String(h)].map((c) => SAFE_ALPHABET[c.charCodeAt(0) % SAFE_ALPHABET.length]).join('');
}

function objects(v: unknown): JsonObject[] {
  return Array.isArray(v) ? v.filter(isObject) : [];
}

/**
 * The names of the ConfigMaps a pod template uses, sorted and without repeats: `volumes[].configMap`,
 * `volumes[].projected.sources[].configMap`, and in containers and initContainers `envFrom[].configMapRef`
 * and `env[].valueFrom.configMapKeyRef`.
 */
export function configMapsOfTemplate(template: unknown): string[] {
  const spec = isObject(template) ? (objectAt(template, 'spec') ?? {}) : {};
  const names = new Set<string>();
  const add = (name: string | undefined): void => {
    if (name !== undefined && name !== '') names.add(name);
  };
  for (const volume of objects(spec['volumes'])) {
    add(stringAt(objectAt(volume, 'configMap'), 'name'));
    for (const source of objects(objectAt(volume, 'projected')?.['sources'])) {
      add(stringAt(objectAt(source, 'configMap'), 'name'));
    }
  }
  for (const container of [...objects(spec['initContainers']), ...objects(spec['containers'])]) {
    for (const from of objects(container['envFrom'])) add(stringAt(objectAt(from, 'configMapRef'), 'name'));
    for (const env of objects(container['env'])) {
      add(stringAt(objectAt(objectAt(env, 'valueFrom') ?? {}, 'configMapKeyRef'), 'name'));
    }
  }
  return [...names].sort();
}
