// The PrefixSync finalizer, added before the first write and removed once its ConfigMap is deleted or
// released, with optimistic concurrency (a stale resourceVersion is a conflict, retried).
import { PREFIX_SYNC_FINALIZER, type PrefixSync } from '../../api/index.js';
import type { ResourceApi } from '../shared/resources.js';

/** Adds the finalizer if missing; returns the PrefixSync as it now is. */
export async function ensureFinalizer(
  api: ResourceApi<PrefixSync>,
  psync: PrefixSync,
  signal: AbortSignal,
): Promise<PrefixSync> {
  const finalizers = psync.metadata.finalizers ?? [];
  if (finalizers.includes(PREFIX_SYNC_FINALIZER)) return psync;
  return setFinalizers(api, psync, [...finalizers, PREFIX_SYNC_FINALIZER], signal);
}

/** Whether the PrefixSync still carries the finalizer (its ConfigMap still needs handling). */
export function hasFinalizer(psync: PrefixSync): boolean {
  return (psync.metadata.finalizers ?? []).includes(PREFIX_SYNC_FINALIZER);
}

/** Removes the finalizer: the PrefixSync may now go. */
export async function removeFinalizer(
  api: ResourceApi<PrefixSync>,
  psync: PrefixSync,
  signal: AbortSignal,
): Promise<void> {
  const finalizers = (psync.metadata.finalizers ?? []).filter((f) => f !== PREFIX_SYNC_FINALIZER);
  await setFinalizers(api, psync, finalizers, signal);
}

function setFinalizers(
  api: ResourceApi<PrefixSync>,
  psync: PrefixSync,
  finalizers: string[],
  signal: AbortSignal,
): Promise<PrefixSync> {
  return api.patchMerge(
    { namespace: psync.metadata.namespace ?? '', name: psync.metadata.name ?? '' },
    { metadata: { finalizers, resourceVersion: psync.metadata.resourceVersion } },
    { signal },
  );
}
