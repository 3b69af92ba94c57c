// The JSON text of stored objects, serialized once per committed version: a write's response and the
// watch event every watcher gets carry the same object, and stringifying it for each of them was a
// large part of the simulator's cost per write.
import type { JsonObject } from './json.js';

/**
 * How many recently stored objects keep their text. A version is sent within the turn that commits
 * it (watch events, then the response), so a short memory catches nearly every reuse without holding
 * the text of the whole store.
 */
const MAX_REMEMBERED = 256;

/** Stored object → its JSON text ('' until first asked for), oldest first (Map insertion order). */
const remembered = new Map<JsonObject, string>();

/**
 * Declares `obj` immutable from now on (the store's committed versions), so that `jsonText` may
 * serialize it once and reuse the text. Never seal an object that anyone may still change.
 */
export function seal(obj: JsonObject): void {
  remembered.set(obj, '');
  if (remembered.size > MAX_REMEMBERED) {
    const oldest = remembered.keys().next();
    if (oldest.done !== true) remembered.delete(oldest.value);
  }
}

/** `JSON.stringify(value)`, served from the remembered text when `value` is a sealed object. */
export function jsonText(value: unknown): string {
  if (typeof value !== 'object' || value === null) return JSON.stringify(value);
  const known = remembered.get(value as JsonObject);
  if (known === undefined) return JSON.stringify(value);
  if (known !== '') return known;
  const text = JSON.stringify(value);
  remembered.set(value as JsonObject, text);
  return text;
}
