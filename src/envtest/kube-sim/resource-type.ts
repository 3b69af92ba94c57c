import type { JsonObject } from './json.js';
import type { ResourceStrategy } from './strategy.js';

/** How a kind maintains `metadata.generation`, following each kind's registry strategy upstream. */
export type GenerationPolicy =
  /** never set (ConfigMap, Secret, Namespace, Lease, Event...) */
  | 'none'
  /** 1 on create, +1 when `spec` changes (StatefulSet, DaemonSet) */
  | 'spec'
  /** +1 when `spec` or `metadata.annotations` change (Deployment: annotations are copied to ReplicaSets) */
  | 'spec-or-annotations'
  /** custom resources and CRDs: +1 when anything but metadata changes; status counts only without a status subresource */
  | 'non-metadata';

/** One column of a Table (`kubectl get`), with the function that renders its cell. */
export interface TableColumn {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
  cell(obj: JsonObject, now: Date): unknown;
}

/** A field selector a kind supports beyond metadata.name/metadata.namespace. */
export type FieldGetter = (obj: JsonObject) => string;

/**
 * A resource as served at one group/version. Built-in kinds have one; a CRD yields one per served
 * version, all sharing storage (`storageKey`).
 */
export interface ResourceType {
  group: string;
  version: string;
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  verbs: string[];
  /** Has a `/status` subresource: the main endpoint keeps the old status, `/status` keeps all but status. */
  hasStatus: boolean;
  generation: GenerationPolicy;
  /** PUT without metadata.resourceVersion is allowed (false for CRs and CRDs: 422). */
  allowUnconditionalUpdate: boolean;
  /** PUT on a missing object creates it (Events). */
  allowCreateOnUpdate: boolean;
  /** DELETE answers with the object rather than a Success Status (pods, CRs, CRDs, namespaces). */
  returnDeletedObject: boolean;
  /** Strategic merge patch is accepted (built-in kinds only; a real server answers 415 for CRs). */
  strategicMerge: boolean;
  /** Extra field selectors, by field path. */
  fieldSelectors: Record<string, FieldGetter>;
  /** Table columns between Name and (for built-ins) the kind's own Age placement. */
  columns: TableColumn[];
  /** The kind's hooks into the generic CRUD (create/update preparation, deletion): see strategy.ts. */
  strategy: ResourceStrategy;
  /** Set for kinds a CRD defines: the CRD's name. */
  crdName?: string;
  /**
   * For a kind stored under another resource (events.k8s.io Events are core Events): that storage key
   * and the conversions between the served and the stored form.
   */
  storage?: {
    resource: string;
    toStorage(obj: JsonObject): JsonObject;
    fromStorage(obj: JsonObject): JsonObject;
  };
}

/** `group/plural`: the storage identity of a resource across its versions. */
export function storageKey(t: { group: string; plural: string; storage?: { resource: string } }): string {
  return t.storage?.resource ?? `${t.group}/${t.plural}`;
}

/** `v1` for the core group, otherwise `group/version`. */
export function apiVersionOf(t: { group: string; version: string }): string {
  return t.group === '' ? t.version : `${t.group}/${t.version}`;
}
