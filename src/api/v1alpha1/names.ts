// Kubernetes' name and key rules (k8s.io/apimachinery/pkg/util/validation), as pure checks that return a
// problem description instead of throwing: `undefined` means valid.

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const CONFIGMAP_KEY = /^[-._a-zA-Z0-9]+$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

/** Longest DNS-1123 label (namespace names, label names). */
export const DNS1123_LABEL_MAX_LENGTH = 63;
/** Longest DNS-1123 subdomain (most object names, ConfigMap keys). */
export const DNS1123_SUBDOMAIN_MAX_LENGTH = 253;

/** Why `value` is not a DNS-1123 label (e.g. a namespace name), or undefined when it is one. */
export function dns1123LabelProblem(value: string): string | undefined {
  if (value.length === 0) return 'must not be empty';
  if (value.length > DNS1123_LABEL_MAX_LENGTH)
    return `must be at most ${DNS1123_LABEL_MAX_LENGTH} characters`;
  if (!DNS1123_LABEL.test(value)) {
    return "must consist of lower-case letters, digits and '-', and start and end with a letter or digit";
  }
  return undefined;
}

/** Why `value` is not a DNS-1123 subdomain (a ConfigMap, Secret or workload name), or undefined. */
export function dns1123SubdomainProblem(value: string): string | undefined {
  if (value.length === 0) return 'must not be empty';
  if (value.length > DNS1123_SUBDOMAIN_MAX_LENGTH) {
    return `must be at most ${DNS1123_SUBDOMAIN_MAX_LENGTH} characters`;
  }
  if (!DNS1123_SUBDOMAIN.test(value)) {
    return "must consist of lower-case letters, digits, '-' and '.', and start and end with a letter or digit";
  }
  return undefined;
}

/**
 * Why `key` cannot be a ConfigMap (or Secret) data key, or undefined when it can: at most 253 characters
 * of `[-._a-zA-Z0-9]`, not `.`, not `..` and not starting with `..` (the API server's IsConfigMapKey).
 */
export function configMapKeyProblem(key: string): string | undefined {
  if (key.length === 0) return 'must not be empty';
  if (key.length > DNS1123_SUBDOMAIN_MAX_LENGTH) {
    return `must be at most ${DNS1123_SUBDOMAIN_MAX_LENGTH} characters`;
  }
  if (!CONFIGMAP_KEY.test(key)) return "must consist of letters, digits, '-', '_' and '.'";
  if (key === '.') return "must not be '.'";
  if (key === '..') return "must not be '..'";
  if (key.startsWith('..')) return "must not start with '..'";
  return undefined;
}

/** Why `key` is not a label key (`[prefix/]name`), or undefined when it is one. */
export function labelKeyProblem(key: string): string | undefined {
  const slash = key.indexOf('/');
  const name = slash < 0 ? key : key.slice(slash + 1);
  if (slash >= 0) {
    const prefixProblem = dns1123SubdomainProblem(key.slice(0, slash));
    if (prefixProblem) return `prefix ${prefixProblem}`;
  }
  if (name.length === 0) return 'name must not be empty';
  if (name.length > 63) return 'name must be at most 63 characters';
  if (!QUALIFIED_NAME.test(name)) {
    return "name must consist of letters, digits, '-', '_' and '.', and start and end with a letter or digit";
  }
  return undefined;
}

/** Why `value` is not a label value, or undefined when it is one (the empty string is one). */
export function labelValueProblem(value: string): string | undefined {
  if (value.length > 63) return 'must be at most 63 characters';
  if (value.length > 0 && !QUALIFIED_NAME.test(value)) {
    return "must consist of letters, digits, '-', '_' and '.', and start and end with a letter or digit";
  }
  return undefined;
}
