// Pure: the target a PrefixSync wants (a ConfigMap, or the ConfigMap view of a Secret target — see
// secret-view.ts), and what to do about the one that exists: create, replace, re-create (an immutable
// one whose content changes), adopt, or refuse.
import type { V1ConfigMap, V1OwnerReference } from '@kubernetes/client-node';
import {
  API_VERSION,
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
  PREFIX_SYNC,
  PREFIX_SYNC_LABEL,
  PREFIX_SYNC_UID_ANNOTATION,
  type PrefixSync,
  type TargetKind,
} from '../../api/index.js';
import type { RenderSuccess } from '../../sync/index.js';
import { VERSION_OF_LABEL } from './versions.js';

/** ConfigMap annotation: the content hash of `data` + `binaryData` (drift detection, like ESO's data hash). */
export const CONTENT_HASH_ANNOTATION = 'etcdconfig.dev/content-hash';
/** ConfigMap annotation: the etcd revision of the snapshot the content was written from (decimal). */
export const REVISION_ANNOTATION = 'etcdconfig.dev/revision';
/**
 * Target annotation: the keys of `spec.target.metadata` the operator set, as JSON
 * `{"labels":[…],"annotations":[…]}` — so that a key removed from the spec is removed from the target
 * while labels and annotations set by others stay. Absent when the spec sets none.
 */
export const TARGET_METADATA_ANNOTATION = 'etcdconfig.dev/target-metadata';

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

/** `spec.target.kind` as the API server defaults it (ConfigMap when absent). */
export function targetKindOf(psync: PrefixSync): TargetKind {
  return psync.spec?.target?.kind === 'Secret' ? 'Secret' : 'ConfigMap';
}

/** The user's `spec.target.metadata`, without any key of the operator's domain (the CRD refuses those). */
function userMetadata(psync: PrefixSync): {
  labels: Record<string, string>;
  annotations: Record<string, string>;
} {
  const own = (k: string): boolean => k.startsWith('etcdconfig.dev/') || k.includes('.etcdconfig.dev/');
  const pick = (r: Record<string, string> | undefined): Record<string, string> =>
    Object.fromEntries(Object.entries(r ?? {}).filter(([k, v]) => !own(k) && typeof v === 'string'));
  const metadata = psync.spec?.target?.metadata;
  return { labels: pick(metadata?.labels), annotations: pick(metadata?.annotations) };
}

/**
 * The target for rendered content at `revision`: labelled and owned by `psync`, annotated with the
 * content hash and revision, carrying `spec.target.metadata` (the operator's own labels and annotations
 * win) and `immutable` as the spec says; with `versionOf`, an immutable version of that target. Pure.
 */
export function desiredConfigMap(
  psync: PrefixSync,
  targetName: string,
  content: RenderSuccess,
  revision: bigint,
  versionOf?: string,
): V1ConfigMap {
  const user = userMetadata(psync);
  const tracked = trackedValue(user);
  const cm: V1ConfigMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: targetName,
      namespace: psync.metadata.namespace ?? '',
      labels: {
        ...user.labels,
        [MANAGED_BY_LABEL]: MANAGED_BY_VALUE,
        [PREFIX_SYNC_LABEL]: psync.metadata.name ?? '',
        ...(versionOf !== undefined ? { [VERSION_OF_LABEL]: versionOf } : {}),
      },
      annotations: {
        ...user.annotations,
        [CONTENT_HASH_ANNOTATION]: content.contentHash,
        [REVISION_ANNOTATION]: revision.toString(),
        [PREFIX_SYNC_UID_ANNOTATION]: psync.metadata.uid ?? '',
        ...(tracked !== undefined ? { [TARGET_METADATA_ANNOTATION]: tracked } : {}),
      },
      ownerReferences: [ownerReferenceTo(psync)],
    },
    data: { ...content.data },
  };
  if (Object.keys(content.binaryData).length > 0) cm.binaryData = { ...content.binaryData };
  // A version of a versioned target is written once, never changed, so pods see only their own.
  if (versionOf !== undefined || psync.spec?.target?.immutable === true) cm.immutable = true;
  return cm;
}

function trackedValue(user: { labels: Record<string, string>; annotations: Record<string, string> }) {
  const labels = Object.keys(user.labels).sort();
  const annotations = Object.keys(user.annotations).sort();
  if (labels.length === 0 && annotations.length === 0) return undefined;
  return JSON.stringify({ labels, annotations });
}

/** The keys the tracking annotation says the operator set; none when absent or unreadable. */
export function trackedKeys(annotations: Record<string, string> | undefined): {
  labels: string[];
  annotations: string[];
} {
  const none = { labels: [], annotations: [] };
  const raw = annotations?.[TARGET_METADATA_ANNOTATION];
  if (raw === undefined) return none;
  try {
    const parsed = JSON.parse(raw) as { labels?: unknown; annotations?: unknown };
    const strings = (v: unknown): string[] =>
      Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
    return { labels: strings(parsed.labels), annotations: strings(parsed.annotations) };
  } catch {
    // Someone edited it by hand: nothing is known to be ours, so nothing is removed.
    return none;
  }
}

/** Whose a ConfigMap is, from the PrefixSync's point of view. */
export type Ownership =
  | { kind: 'ours' }
  /**
   * No controller, labelled for this PrefixSync and annotated with its UID: one it wrote and let go of
   * (its target moved away and back, or a Retain release it now re-targets).
   */
  | { kind: 'adoptable' }
  /**
   * Someone else's. `unclaimed`: no controller owns it and the operator did not create it — the only
   * kind `spec.target.adopt` takes over.
   */
  | { kind: 'foreign'; owner: string; unclaimed?: true };

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
  if (manager === MANAGED_BY_VALUE || writer !== undefined) {
    return {
      kind: 'foreign',
      owner: `${MANAGED_BY_LABEL}=${manager ?? ''} (written by the operator for another PrefixSync)`,
    };
  }
  return {
    kind: 'foreign',
    owner: manager ? `${MANAGED_BY_LABEL}=${manager}` : 'no PrefixSync (created by someone else)',
    unclaimed: true,
  };
}

/** What to do to make the cluster hold `desired`. */
export type ConfigMapPlan =
  | { action: 'create'; body: V1ConfigMap }
  /** `adopted`: the former state of an unclaimed object `spec.target.adopt` takes over (for its Event). */
  | { action: 'replace'; body: V1ConfigMap; adopted?: string }
  /** An immutable target whose content (or immutability) changes: delete it, then create `body`. */
  | { action: 'recreate'; body: V1ConfigMap; adopted?: string }
  | { action: 'none' }
  | { action: 'conflict'; message: string };

function sameRecord(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  const ak = Object.keys(a ?? {});
  const bk = Object.keys(b ?? {});
  if (ak.length !== bk.length) return false;
  return ak.every((k) => Object.prototype.hasOwnProperty.call(b ?? {}, k) && a?.[k] === b?.[k]);
}

/** `have` without the keys we set before and set no more, then `want` on top (ours win). */
function merged(
  have: Record<string, string> | undefined,
  want: Record<string, string> | undefined,
  formerlyOurs: readonly string[],
): Record<string, string> {
  const out = { ...have };
  for (const k of formerlyOurs) if (!(k in (want ?? {}))) delete out[k];
  return { ...out, ...want };
}

/** The former state of an object about to be adopted, for the Adopted Event (names only, no values). */
function formerState(existing: V1ConfigMap, owner: string): string {
  const meta = existing.metadata ?? {};
  const names = (r: Record<string, string> | undefined): string =>
    Object.keys(r ?? {}).length > 0
      ? Object.keys(r ?? {})
          .sort()
          .join(', ')
      : 'none';
  const others = (meta.ownerReferences ?? []).map((r) => `${r.kind} ${r.name}`);
  return `owner: ${owner}${others.length > 0 ? ` (non-controller owners: ${others.join(', ')})` : ''}; labels: ${names(meta.labels)}; annotations: ${names(meta.annotations)}`;
}

/**
 * Compares the existing target (if any) with `desired`: create when absent; conflict when someone
 * else owns it (unless it is unclaimed and `spec.target.adopt` is set: then it is adopted); nothing
 * when content, hash, metadata, immutability and ownership already match (the revision annotation alone
 * never causes a write); a re-create when it is immutable and its content or immutability must change;
 * otherwise a replace that keeps others' labels, annotations and owners (removing only the
 * `spec.target.metadata` keys we set and the spec no longer has), carrying the read `resourceVersion`
 * for optimistic concurrency. `kind` only words the conflict message. Pure.
 */
export function planConfigMapWrite(
  existing: V1ConfigMap | undefined,
  desired: V1ConfigMap,
  psync: PrefixSync,
  kind: TargetKind = 'ConfigMap',
): ConfigMapPlan {
  if (!existing) return { action: 'create', body: desired };
  const ownership = ownershipOf(existing, psync);
  let adopted: string | undefined;
  if (ownership.kind === 'foreign') {
    if (ownership.unclaimed && psync.spec?.target?.adopt === true) {
      adopted = formerState(existing, ownership.owner);
    } else {
      const where = `${desired.metadata?.namespace ?? ''}/${desired.metadata?.name ?? ''}`;
      const hint = ownership.unclaimed
        ? 'set spec.target.adopt: true to take it over, choose another spec.target.name, or remove it'
        : 'choose another spec.target.name, or remove that object if it is no longer needed';
      return {
        action: 'conflict',
        message: `${kind} ${where} exists and is not managed by this PrefixSync (owner: ${ownership.owner}); it is left untouched: ${hint}`,
      };
    }
  }
  const meta = existing.metadata ?? {};
  const formerly = trackedKeys(meta.annotations);
  const labels = merged(meta.labels, desired.metadata?.labels, formerly.labels);
  const annotations = merged(meta.annotations, desired.metadata?.annotations, [
    ...formerly.annotations,
    TARGET_METADATA_ANNOTATION,
  ]);
  const sameContent =
    sameRecord(existing.data, desired.data) && sameRecord(existing.binaryData, desired.binaryData);
  const wantImmutable = desired.immutable === true;
  const haveImmutable = existing.immutable === true;
  const withoutRevision = (r: Record<string, string> | undefined): Record<string, string> => {
    const out = { ...r };
    delete out[REVISION_ANNOTATION];
    return out;
  };
  const upToDate =
    ownership.kind === 'ours' &&
    sameContent &&
    wantImmutable === haveImmutable &&
    sameRecord(meta.labels, labels) &&
    sameRecord(withoutRevision(meta.annotations), withoutRevision(annotations));
  if (upToDate) return { action: 'none' };
  const ours = ownerReferenceTo(psync);
  const body: V1ConfigMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      ...meta,
      labels,
      annotations,
      ownerReferences: [...(meta.ownerReferences ?? []).filter((r) => r.uid !== ours.uid), ours],
    },
    data: desired.data ?? {},
  };
  if (desired.binaryData) body.binaryData = desired.binaryData;
  if (wantImmutable) body.immutable = true;
  // An immutable object's data cannot change, nor can it become mutable again: only a new one can.
  if (haveImmutable && (!sameContent || !wantImmutable)) {
    const {
      resourceVersion: _rv,
      uid: _uid,
      creationTimestamp: _ct,
      managedFields: _mf,
      ...fresh
    } = body.metadata ?? {};
    return {
      action: 'recreate',
      body: { ...body, metadata: fresh },
      ...(adopted !== undefined ? { adopted } : {}),
    };
  }
  return { action: 'replace', body, ...(adopted !== undefined ? { adopted } : {}) };
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
