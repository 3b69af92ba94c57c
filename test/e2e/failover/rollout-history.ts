import type { V1Deployment } from '@kubernetes/client-node';
import { CONFIG_HASH_ANNOTATION } from '../../../src/api/index.js';
import type { ObjectRecorder } from '../support/object-recorder.js';

/**
 * The rollouts a Deployment went through, as a user watching it sees them: each time the pod
 * template's config-hash annotation takes a new value, the Deployment controller would start a new
 * ReplicaSet. Consecutive writes with the same value are one rollout (a no-op for Kubernetes).
 */
export function rolloutHashes(recorder: ObjectRecorder<V1Deployment>): string[] {
  const rollouts: string[] = [];
  let current: string | undefined;
  for (const change of recorder.changes) {
    const hash = change.object.spec?.template.metadata?.annotations?.[CONFIG_HASH_ANNOTATION];
    if (hash !== undefined && hash !== current) rollouts.push(hash);
    current = hash;
  }
  return rollouts;
}

/** Hash values that started a rollout more than once, with how many times. */
export function repeatedRollouts(hashes: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const h of hashes) counts.set(h, (counts.get(h) ?? 0) + 1);
  return new Map([...counts].filter(([, n]) => n > 1));
}
