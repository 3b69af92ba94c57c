// Wire shapes of the Kubernetes metadata we use, declared here because this layer imports nothing.
// Timestamps are RFC 3339 strings, as on the wire (client-node's models use Date; kube/ converts).

/** A reference from an object to its owner (metav1.OwnerReference). */
export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** The part of metav1.ObjectMeta that the operator reads or writes. */
export interface ObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  /** Bumped by the API server on every spec change (never on status changes). */
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: OwnerReference[];
}

/** metav1.ListMeta. */
export interface ListMeta {
  resourceVersion?: string;
  continue?: string;
}

/** The status of a condition, as Kubernetes spells it. */
export type ConditionStatus = 'True' | 'False' | 'Unknown';

/** The values of {@link ConditionStatus}, for comparisons without string literals. */
export const ConditionStatus = {
  True: 'True',
  False: 'False',
  Unknown: 'Unknown',
} as const satisfies Record<ConditionStatus, ConditionStatus>;

/** A status condition in the shape of metav1.Condition; the CRDs list them keyed by `type`. */
export interface Condition {
  type: string;
  status: ConditionStatus;
  /** The metadata.generation the condition was computed for. */
  observedGeneration?: number;
  /** RFC 3339; changes only when `status` changes. */
  lastTransitionTime: string;
  /** CamelCase, one of the reason constants of this package. */
  reason: string;
  message: string;
}

/** The operator of a label selector requirement. */
export type LabelSelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';

/** Every {@link LabelSelectorOperator}, in the CRD's enum order. */
export const LABEL_SELECTOR_OPERATORS = [
  'In',
  'NotIn',
  'Exists',
  'DoesNotExist',
] as const satisfies readonly LabelSelectorOperator[];

/** One requirement of a label selector (metav1.LabelSelectorRequirement). */
export interface LabelSelectorRequirement {
  key: string;
  operator: LabelSelectorOperator;
  /** Non-empty for In and NotIn; empty or absent for Exists and DoesNotExist. */
  values?: string[];
}

/** metav1.LabelSelector: matchLabels and matchExpressions are ANDed; `{}` matches everything. */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}
