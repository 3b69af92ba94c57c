// Pure: a Secret target's values hidden as `kubectl diff` hides them, so that a preview printed in a CI
// log or a terminal shows which keys a Secret has and which would change, never what they hold.
import type { V1Secret } from '@kubernetes/client-node';
import type { ConfigMapData } from './render-diff.js';

/** What a masked value reads as (kubectl diff's marker). */
export const MASK = '***';

/** `secret` with every value of `data` replaced by {@link MASK} (keys kept); `stringData` dropped. */
export function maskedSecret(secret: V1Secret): V1Secret {
  const data = Object.fromEntries(Object.keys(secret.data ?? {}).map((k) => [k, MASK]));
  const { stringData: _dropped, ...rest } = secret;
  return { ...rest, data };
}

/**
 * Two Secrets' `data` (base64) for a diff that says only which keys differ: a value equal on both sides
 * reads `***` on both; otherwise the live side reads `*** (before)` and the rendered `*** (after)`, and a
 * key one side lacks stays absent there (added or removed).
 */
export function maskedDataPair(
  live: Record<string, string>,
  rendered: Record<string, string>,
): [ConfigMapData, ConfigMapData] {
  const before: Record<string, string> = {};
  const after: Record<string, string> = {};
  for (const key of new Set([...Object.keys(live), ...Object.keys(rendered)])) {
    const a = live[key];
    const b = rendered[key];
    const changed = a !== b;
    if (a !== undefined) before[key] = changed ? `${MASK} (before)` : MASK;
    if (b !== undefined) after[key] = changed ? `${MASK} (after)` : MASK;
  }
  return [{ data: before }, { data: after }];
}
