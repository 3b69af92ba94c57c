import type { InvalidKeyReason } from './problems.js';

/** Longest ConfigMap key the API server accepts, in bytes (DNS-1123 subdomain length). */
export const CONFIGMAP_KEY_MAX_BYTES = 253;

// The API server's rule (k8s.io/apimachinery validation.IsConfigMapKey): `^[-._a-zA-Z0-9]+$`,
// at most 253 bytes, and not `.`, `..` or anything starting with `..`.
const CONFIGMAP_KEY_PATTERN = /^[-._a-zA-Z0-9]+$/;

/**
 * Why `key` is not a valid ConfigMap key — the API server's own checks, all that apply — or an empty
 * list when it is valid. An empty key fails `illegal-characters` (the pattern needs one character).
 */
export function configMapKeyProblems(key: string): InvalidKeyReason[] {
  const reasons: InvalidKeyReason[] = [];
  if (!CONFIGMAP_KEY_PATTERN.test(key)) reasons.push('illegal-characters');
  if (Buffer.byteLength(key, 'utf8') > CONFIGMAP_KEY_MAX_BYTES) reasons.push('too-long');
  if (key === '.' || key.startsWith('..')) reasons.push('dot-name');
  return reasons;
}

/** Whether the API server accepts `key` as a `data` / `binaryData` key. */
export function isConfigMapKey(key: string): boolean {
  return configMapKeyProblems(key).length === 0;
}
