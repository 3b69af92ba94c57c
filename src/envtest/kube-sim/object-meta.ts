import { randomBytes, randomUUID } from 'node:crypto';
import type { OwnerReference } from '../../api/index.js';
import { objectAt, stringAt, type JsonObject } from './json.js';

/** The object's metadata, created empty when missing. */
export function meta(o: JsonObject): JsonObject {
  const m = objectAt(o, 'metadata');
  if (m) return m;
  const fresh: JsonObject = {};
  o['metadata'] = fresh;
  return fresh;
}

/** metadata.name, or '' when missing. */
export function nameOf(o: JsonObject): string {
  return stringAt(objectAt(o, 'metadata'), 'name') ?? '';
}

/** metadata.namespace, or '' (cluster-scoped or missing). */
export function namespaceOf(o: JsonObject): string {
  return stringAt(objectAt(o, 'metadata'), 'namespace') ?? '';
}

/** metadata.uid, or '' when missing. */
export function uidOf(o: JsonObject): string {
  return stringAt(objectAt(o, 'metadata'), 'uid') ?? '';
}

/** metadata.finalizers (strings only), empty when missing. */
export function finalizersOf(o: JsonObject): string[] {
  const f = objectAt(o, 'metadata')?.['finalizers'];
  return Array.isArray(f) ? f.filter((x): x is string => typeof x === 'string') : [];
}

/**
 * Drops empty `labels`, `annotations`, `finalizers` and `ownerReferences`: ObjectMeta marks them
 * `omitempty`, so a real server never returns `labels: {}` after the last label is removed (and a
 * Deployment whose annotations go from absent to `{}` has not changed).
 */
export function dropEmptyMetadata(o: JsonObject): void {
  const m = objectAt(o, 'metadata');
  if (!m) return;
  for (const k of ['labels', 'annotations']) {
    const v = m[k];
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0) delete m[k];
  }
  for (const k of ['finalizers', 'ownerReferences']) {
    const v = m[k];
    if (Array.isArray(v) && v.length === 0) delete m[k];
  }
}

/** Whether the object is marked for deletion (metadata.deletionTimestamp is set). */
export function isDeleting(o: JsonObject): boolean {
  return typeof objectAt(o, 'metadata')?.['deletionTimestamp'] === 'string';
}

/** The last whole second `timestamp()` formatted, and its text: most writes land in the same second. */
let lastSecond = Number.NaN;
let lastText = '';

/** RFC 3339 in whole seconds, as metav1.Time serialises; `now` defaults to the current time. */
export function timestamp(now?: Date): string {
  if (now) return now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const second = Math.floor(Date.now() / 1000);
  if (second !== lastSecond) {
    lastText = new Date(second * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    lastSecond = second;
  }
  return lastText;
}

/** A fresh metadata.uid (a random UUID, as the apiserver assigns). */
export function newUid(): string {
  return randomUUID();
}

const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const SUFFIX_LENGTH = 5;
/** Random bytes drawn in bulk (one `randomBytes` per 4 KiB, not one per generated name). */
let randomPool = Buffer.alloc(0);
let randomAt = 0;

/** Five characters from the apiserver's generateName alphabet (no vowels, no confusable digits). */
export function generatedSuffix(): string {
  if (randomAt + SUFFIX_LENGTH > randomPool.length) {
    randomPool = randomBytes(4096);
    randomAt = 0;
  }
  let out = '';
  for (let i = 0; i < SUFFIX_LENGTH; i++)
    out += SUFFIX_ALPHABET[randomPool[randomAt++]! % SUFFIX_ALPHABET.length];
  return out;
}

/** The well-formed ownerReferences of an object (malformed entries are skipped). */
export function ownerReferencesOf(o: JsonObject): OwnerReference[] {
  const refs = objectAt(o, 'metadata')?.['ownerReferences'];
  if (!Array.isArray(refs)) return [];
  return refs.filter(
    (r): r is OwnerReference =>
      typeof r === 'object' &&
      r !== null &&
      typeof (r as OwnerReference).uid === 'string' &&
      typeof (r as OwnerReference).kind === 'string' &&
      typeof (r as OwnerReference).apiVersion === 'string' &&
      typeof (r as OwnerReference).name === 'string',
  );
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** The apiserver's message when a name is not a DNS-1123 subdomain, or undefined when it is. */
export function subdomainError(name: string): string | undefined {
  if (name.length > 253) return 'must be no more than 253 characters';
  if (!DNS1123_SUBDOMAIN.test(name)) {
    return "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
  }
  return undefined;
}

/** The apiserver's message when a name is not a DNS-1123 label (namespaces), or undefined when it is. */
export function labelNameError(name: string): string | undefined {
  if (name.length > 63) return 'must be no more than 63 characters';
  if (!DNS1123_LABEL.test(name)) {
    return "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
  }
  return undefined;
}
