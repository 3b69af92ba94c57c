import type { JsonObject } from './json.js';

/**
 * The kind-specific rules of the generic CRUD (`ResourceApi`), as kube-apiserver keeps them in each
 * kind's registry strategy (`rest.RESTCreateStrategy`: PrepareForCreate, Validate;
 * `rest.RESTUpdateStrategy`: PrepareForUpdate; `rest.RESTDeleteStrategy` and the kind's BeforeDelete).
 * Every hook is optional: a kind without any is stored as sent. Declarative rules stay on the
 * ResourceType (`generation`, `hasStatus`, `allowUnconditionalUpdate`, ...); schema and field validation
 * are the `Admission`'s (builtin-validation.ts, crd-manager.ts). The kinds' strategies are in strategies/.
 */
export interface ResourceStrategy {
  /** While decoding a body: folds write-only fields into the stored ones (Secret: stringData → data). */
  decode?(obj: JsonObject): void;
  /** The rule for metadata.name on create; returns the error text. Default: a DNS-1123 subdomain. */
  validateName?(name: string): string | undefined;
  /** PrepareForCreate: the kind's own fields of a new object, after the server has set its metadata. */
  prepareForCreate?(obj: JsonObject): void;
  /**
   * PrepareForUpdate on the main endpoint: what the kind keeps from the stored object, after the
   * generic rules (server-owned metadata, and status when the kind has a status subresource).
   */
  prepareForUpdate?(next: JsonObject, old: JsonObject): void;
  /** A write to `/status` goes through admission (custom resources: the status is checked against the schema). */
  admitStatusUpdates?: boolean;
  /** Finalizers every DELETE adds (CRD: customresourcecleanup.apiextensions.k8s.io). */
  deletionFinalizers?: readonly string[];
  /**
   * BeforeDelete of a kind whose deletion is always graceful, even without finalizers: marks the object
   * being deleted (Namespace: phase Terminating). Unset: without finalizers DELETE removes at once.
   */
  markDeleting?(obj: JsonObject): void;
  /** The object stays after its last metadata finalizer is gone while this holds (Namespace: spec.finalizers). */
  holdsDeletion?(obj: JsonObject): boolean;
}

/** The strategy of a kind without rules of its own. */
export const PLAIN_STRATEGY: ResourceStrategy = Object.freeze({});
