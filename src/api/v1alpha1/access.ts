// What a ClusterEtcdSource's access rules mean: nothing is allowed unless a rule allows it.
import type { AccessRule } from './cluster-etcd-source-types.js';
import { labelSelectorMatches } from './label-selector.js';
import { isPrefixWithin } from './prefix.js';

/** The namespace asking for access: its name, and its labels for namespaceSelector rules. */
export interface NamespaceIdentity {
  name: string;
  labels: Readonly<Record<string, string>>;
}

/** The outcome of {@link checkAccess}; when allowed, which rule and which of its prefixes allowed it. */
export type AccessDecision = { allowed: true; ruleIndex: number; grantedPrefix: string } | { allowed: false };

/**
 * Whether `namespace` may mirror `prefix` (in normal form) under these rules: some rule must match the
 * namespace (by name, or by selector on its labels) and list a prefix at or above `prefix`. Pure;
 * assumes rules that passed validation.
 */
export function checkAccess(
  access: readonly AccessRule[],
  namespace: NamespaceIdentity,
  prefix: string,
): AccessDecision {
  for (const [ruleIndex, rule] of access.entries()) {
    const matches =
      rule.namespaces !== undefined
        ? rule.namespaces.includes(namespace.name)
        : rule.namespaceSelector !== undefined &&
          labelSelectorMatches(rule.namespaceSelector, namespace.labels);
    if (!matches) continue;
    const grantedPrefix = rule.prefixes.find((granted) => isPrefixWithin(prefix, granted));
    if (grantedPrefix !== undefined) return { allowed: true, ruleIndex, grantedPrefix };
  }
  return { allowed: false };
}
