// Pure: the ConfigMap a PrefixSync wants, and what to do about the one that exists.
import type { V1ConfigMap, V1OwnerReference } from '@kubernetes/client-node';
import {
  API_VERSION,
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
  PREFIX_SYNC,
  PREFIX_SYNC_LABEL,
  PREFIX_SYNC_UID_ANNOTATION,
  type PrefixSync,
} from '../../api/index.js';
import type { RenderSuccess } from '../../sync/index.js';
import { VERSION_OF_LABEL } from './versions.js';

/** ConfigMap annotation: the content hash of `data` + `binaryData` (drift detection, like ESO's data hash). */
export const CONTENT_HASH_ANNOTATION = 'etcdconfig.dev/content-hash';
/** ConfigMap annotation: the etcd revision of the snapshot the content was written from (decimal). */
export const REVISION_ANNOTATION = 'etcdconfig.dev/revision';

/** The ownerReference that makes the PrefixSync the ConfigMap's controller (GC deletes it with the PrefixSync). */
export function ownerReferenceTo(psync: PrefixSync): V1OwnerReference {
  return {
    apiVersion: API_VERSION,
    kind: PREFIX_SYNC.kind,
    name: psync.metadata.name ?? '',
    uid: psync.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/**
 * The ConfigMap for rendered content at `revision`: labelled and owned by `psync`, annotated with the
 * content hash and revision; with `versionOf`, an immutable version of that target. Pure.
 */
export function desiredConfigMap(
  psync: PrefixSync,
  targetName: string,
  content: RenderSuccess,
  revision: bigint,
  versionOf?: string,
): V1ConfigMap {
  const cm: V1ConfigMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: targetName,
      namespace: psync.metadata.namespace ?? '',
      labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [PREFIX_SYNC_LABEL]: psync.metadata.name ?? '' },
      annotations: {
        [CONTENT_HASH_ANNOTATION]: content.contentHash,
        [REVISION_ANNOTATION]: revision.toString(),
        [PREFIX_SYNC_UID_ANNOTATION]: psync.metadata.uid ?? '',
      },
      ownerReferences: [ownerReferenceTo(psync)],
    },
    data: { ...content.data },
  };
  if (Object.keys(content.binaryData).length > 0) cm.binaryData = { ...content.binaryData };
  if (versionOf !== undefined) {
    // A version of a versioned target: written once, never changed, so pods see only their own.
    cm.immutable = true;
    cm.metadata = { ...cm.metadata, labels: { ...cm.metadata?.labels, [VERSION_OF_LABEL]: versionOf } };
  }
  return cm;
}

/** Whose a ConfigMap is, from the PrefixSync's point of view. */
export type Ownership =
  | { kind: 'ours' }
  /**
   * No controller, labelled for this PrefixSync and annotated with its UID: one it wrote and let go of
   * (its target moved away and back, or a Retain release it now re-targets).
   */
  | { kind: 'adoptable' }
  | { kind: 'foreign'; owner: string };

/** Decides whether `psync` may write `existing`. Pure. */
export function ownershipOf(existing: V1ConfigMap, psync: PrefixSync): Ownership {
  const refs = existing.metadata?.ownerReferences ?? [];
  if (refs.some((r) => r.uid === psync.metadata.uid)) return { kind: 'ours' };
  const controller = refs.find((r) => r.controller === true);
  if (controller) return { kind: 'foreign', owner: `${controller.kind} ${controller.name}` };
  const labels = existing.metadata?.labels ?? {};
  const writer = existing.metadata?.annotations?.[PREFIX_SYNC_UID_ANNOTATION];
  if (labels[MANAGED_BY_LABEL] === MANAGED_BY_VALUE && labels[PREFIX_SYNC_LABEL] === psync.metadata.name) {
    if (writer !== undefined && writer === psync.metadata.uid) return { kind: 'adoptable' };
    // Same name, another PrefixSync (deleted under Retain, or never): adopting by name would let anyone
    // who may create a PrefixSync take over a ConfigMap without the right to write ConfigMaps.
    return {
      kind: 'foreign',
      owner: `a former PrefixSync named ${labels[PREFIX_SYNC_LABEL]}${writer ? ` (uid ${writer})` : ''}, retained`,
    };
  }
  const manager = labels[MANAGED_BY_LABEL];
  return {
    kind: 'foreign',
    owner: manager ? `${MANAGED_BY_LABEL}=${manager}` : 'no PrefixSync (created by someone else)',
  };
}

/** What to do to make the cluster hold `desired`. */
export type ConfigMapPlan =
  | { action: 'create'; body: V1ConfigMap }
  | { action: 'replace'; body: V1ConfigMap }
  | { action: 'none' }
  | { action: 'conflict'; message: string };

function sameRecord(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  const ak = Object.keys(a ?? {});
  const bk = Object.keys(b ?? {});
  if (ak.length !== bk.length) return false;
  return ak.every((k) => Object.prototype.hasOwnProperty.call(b ?? {}, k) && a?.[k] === b?.[k]);
}

function includes(
  have: Record<string, string> | undefined,
  want: Record<string, string> | undefined,
): boolean {
  return Object.entries(want ?? {}).every(([k, v]) => have?.[k] === v);
}

/**
 * Compares the existing ConfigMap (if any) with `desired`: create when absent; conflict when someone
 * else owns it; nothing when content, hash, labels and ownership already match (the revision
 * annotation alone never causes a write); otherwise a replace that keeps others' labels, annotations
 * and owners, carrying the read `resourceVersion` for optimistic concurrency. Pure.
 */
export function planConfigMapWrite(
  existing: V1ConfigMap | undefined,
  desired: V1ConfigMap,
  psync: PrefixSync,
): ConfigMapPlan {
  if (!existing) return { action: 'create', body: desired };
  const ownership = ownershipOf(existing, psync);
  if (ownership.kind === 'foreign') {
    const where = `${desired.metadata?.namespace ?? ''}/${desired.metadata?.name ?? ''}`;
    return {
      action: 'conflict',
      message: `ConfigMap ${where} exists and is not managed by this PrefixSync (owner: ${ownership.owner}); it is left untouched: choose another spec.target.name, or remove that ConfigMap if it is no longer needed`,
    };
  }
  const meta = existing.metadata ?? {};
  const hash = desired.metadata?.annotations?.[CONTENT_HASH_ANNOTATION];
  const upToDate =
    ownership.kind === 'ours' &&
    sameRecord(existing.data, desired.data) &&
    sameRecord(existing.binaryData, desired.binaryData) &&
    includes(meta.labels, desired.metadata?.labels) &&
    meta.annotations?.[CONTENT_HASH_ANNOTATION] === hash;
  if (upToDate) return { action: 'none' };
  const ours = ownerReferenceTo(psync);
  const body: V1ConfigMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      ...meta,
      labels: { ...meta.labels, ...desired.metadata?.labels },
      annotations: { ...meta.annotations, ...desired.metadata?.annotations },
      ownerReferences: [...(meta.ownerReferences ?? []).filter((r) => r.uid !== ours.uid), ours],
    },
    data: desired.data ?? {},
  };
  if (desired.binaryData) body.binaryData = desired.binaryData;
  if (desired.immutable === true || existing.immutable === true) body.immutable = true;
  return { action: 'replace', body };
}

/**
 * The existing ConfigMap without `psync`'s ownerReference (deletionPolicy Retain: the garbage collector
 * then leaves it), or undefined when it carries none. Pure.
 */
export function withoutOwner(existing: V1ConfigMap, psync: PrefixSync): V1ConfigMap | undefined {
  const refs = existing.metadata?.ownerReferences ?? [];
  if (!refs.some((r) => r.uid === psync.metadata.uid)) return undefined;
  const remaining = refs.filter((r) => r.uid !== psync.metadata.uid);
  const metadata = { ...existing.metadata };
  if (remaining.length > 0) metadata.ownerReferences = remaining;
  else delete metadata.ownerReferences;
  return { ...existing, metadata };
}
