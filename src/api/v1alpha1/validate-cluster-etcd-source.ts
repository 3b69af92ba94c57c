// The ClusterEtcdSource rules the operator relies on (see validate-prefix-sync.ts for why both the CRD
// and this check them), plus what a schema cannot say: port ranges, one host:port spelt two ways.
import { REVOCATION_POLICIES, type ClusterEtcdSourceSpec } from './cluster-etcd-source-types.js';
import { withClusterEtcdSourceDefaults } from './defaults.js';
import type { DefaultedClusterEtcdSourceSpec } from './defaults.js';
import { endpointUsesTls, parseEndpoint } from './endpoint.js';
import { asRecord, optionalList, optionalRecord } from './field-error.js';
import type { FieldError } from './field-error.js';
import { validateLabelSelector } from './label-selector.js';
import { configMapKeyProblem, dns1123LabelProblem } from './names.js';
import { prefixProblem } from './prefix.js';
import { parseByteQuantity } from './quantity.js';
import { checkObjectName } from './validate-prefix-sync.js';
import type { ResolveResult } from './validate-prefix-sync.js';

/** Most entries in `spec.endpoints` (the CRD's maxItems). */
export const MAX_ENDPOINTS = 16;
/** Most rules in `spec.access` (the CRD's maxItems). */
export const MAX_ACCESS_RULES = 64;
/** Largest `spec.limits.maxMirrorBytes`: 1 TiB (the CRD's maximum for an integer). */
export const MAX_MIRROR_BYTES_LIMIT = 2 ** 40;

/** Every problem of a whole ClusterEtcdSource object (its spec; any DNS-1123 name will do). Never throws. */
export function validateClusterEtcdSource(object: unknown): FieldError[] {
  const o = asRecord(object);
  if (!o) return [{ path: '', message: 'must be an object' }];
  return validateClusterEtcdSourceSpec(o.spec);
}

/**
 * Every problem of a ClusterEtcdSource spec, as `{path, message}` with paths from the object root
 * (`spec.endpoints[0]`). An empty list means the spec is valid. Never throws, whatever the input.
 */
export function validateClusterEtcdSourceSpec(spec: unknown): FieldError[] {
  const s = asRecord(spec);
  if (!s) return [{ path: 'spec', message: spec === undefined ? 'is required' : 'must be an object' }];
  const errors: FieldError[] = [];
  const tls = optionalRecord(s.tls, 'spec.tls', errors);
  validateEndpoints(s.endpoints, tls !== undefined, errors);

  if (tls) {
    const ca = optionalRecord(tls.caSecretRef, 'spec.tls.caSecretRef', errors);
    if (ca) {
      checkObjectName(errors, 'spec.tls.caSecretRef.name', ca.name);
      if (ca.key !== undefined) {
        const problem = typeof ca.key === 'string' ? configMapKeyProblem(ca.key) : 'must be a string';
        if (problem)
          errors.push({ path: 'spec.tls.caSecretRef.key', message: `is not a valid Secret key: ${problem}` });
      }
    }
    const cert = optionalRecord(tls.certSecretRef, 'spec.tls.certSecretRef', errors);
    if (cert) checkObjectName(errors, 'spec.tls.certSecretRef.name', cert.name);
    const { serverName } = tls;
    if (
      serverName !== undefined &&
      (typeof serverName !== 'string' || serverName === '' || serverName.length > 253)
    ) {
      errors.push({ path: 'spec.tls.serverName', message: 'must be a host name of at most 253 characters' });
    }
  }
  const auth = optionalRecord(s.auth, 'spec.auth', errors);
  if (auth) checkObjectName(errors, 'spec.auth.secretRef.name', asRecord(auth.secretRef)?.name);

  const access = optionalList(s.access, 'spec.access', errors);
  if (access.length > MAX_ACCESS_RULES) {
    errors.push({ path: 'spec.access', message: `must have at most ${MAX_ACCESS_RULES} items` });
  }
  access.forEach((rule, i) => validateAccessRule(rule, `spec.access[${i}]`, errors));

  const limits = optionalRecord(s.limits, 'spec.limits', errors);
  if (limits?.maxMirrorBytes !== undefined) {
    const parsed = parseByteQuantity(limits.maxMirrorBytes, MAX_MIRROR_BYTES_LIMIT);
    if (!parsed.ok) errors.push({ path: 'spec.limits.maxMirrorBytes', message: parsed.message });
  }
  return errors;
}

function validateEndpoints(value: unknown, hasTls: boolean, errors: FieldError[]): void {
  const endpoints = optionalList(value, 'spec.endpoints', errors);
  if (endpoints.length === 0)
    errors.push({ path: 'spec.endpoints', message: 'must list at least one endpoint' });
  if (endpoints.length > MAX_ENDPOINTS) {
    errors.push({ path: 'spec.endpoints', message: `must have at most ${MAX_ENDPOINTS} items` });
  }
  const seen = new Map<string, number>();
  const tlsUse = new Set<boolean>();
  endpoints.forEach((text, i) => {
    const at = `spec.endpoints[${i}]`;
    const parsed = typeof text === 'string' ? parseEndpoint(text) : undefined;
    if (!parsed?.ok) {
      errors.push({ path: at, message: parsed?.message ?? 'must be a string' });
      return;
    }
    const { endpoint } = parsed;
    if (endpoint.scheme === 'http' && hasTls) {
      errors.push({
        path: at,
        message: 'uses http:// but tls is set; write it as host:port or https://host:port',
      });
    }
    tlsUse.add(endpointUsesTls(endpoint, hasTls));
    const id = `${endpoint.host.toLowerCase()}:${endpoint.port}`;
    const first = seen.get(id);
    if (first === undefined) seen.set(id, i);
    else errors.push({ path: at, message: `names the same host and port as endpoints[${first}]` });
  });
  if (tlsUse.size > 1 && !hasTls) {
    errors.push({
      path: 'spec.endpoints',
      message:
        'endpoints mix https:// and plaintext; use one scheme, or set tls to use TLS for every endpoint',
    });
  }
}

function validateAccessRule(value: unknown, at: string, errors: FieldError[]): void {
  const rule = asRecord(value);
  if (!rule) {
    errors.push({ path: at, message: 'must be an object' });
    return;
  }
  if ((rule.namespaces === undefined) === (rule.namespaceSelector === undefined)) {
    errors.push({ path: at, message: 'exactly one of namespaces or namespaceSelector must be set' });
  }
  if (rule.namespaces !== undefined) {
    const namespaces = optionalList(rule.namespaces, `${at}.namespaces`, errors);
    if (Array.isArray(rule.namespaces) && namespaces.length === 0) {
      errors.push({ path: `${at}.namespaces`, message: 'must not be empty' });
    }
    checkUniqueStrings(namespaces, `${at}.namespaces`, dns1123LabelProblem, errors);
  }
  if (rule.namespaceSelector !== undefined) {
    errors.push(...validateLabelSelector(rule.namespaceSelector, `${at}.namespaceSelector`));
  }
  const prefixes = optionalList(rule.prefixes, `${at}.prefixes`, errors);
  if (prefixes.length === 0)
    errors.push({ path: `${at}.prefixes`, message: 'must list at least one prefix' });
  checkUniqueStrings(prefixes, `${at}.prefixes`, prefixProblem, errors);
  if (rule.onRevoke !== undefined && !(REVOCATION_POLICIES as readonly unknown[]).includes(rule.onRevoke)) {
    errors.push({ path: `${at}.onRevoke`, message: `must be one of ${REVOCATION_POLICIES.join(', ')}` });
  }
}

function checkUniqueStrings(
  items: readonly unknown[],
  path: string,
  problemOf: (value: string) => string | undefined,
  errors: FieldError[],
): void {
  const seen = new Set<string>();
  items.forEach((item, j) => {
    const problem = typeof item === 'string' ? problemOf(item) : 'must be a string';
    if (problem) errors.push({ path: `${path}[${j}]`, message: problem });
    else if (seen.has(item as string))
      errors.push({ path: `${path}[${j}]`, message: `duplicates '${String(item)}'` });
    else seen.add(item as string);
  });
}

/** A valid ClusterEtcdSource spec with defaults applied and its quantities parsed. */
export interface ResolvedClusterEtcdSourceSpec extends DefaultedClusterEtcdSourceSpec {
  /** `limits.maxMirrorBytes` in bytes. */
  maxMirrorBytes: number;
}

/**
 * Validates a spec and, when valid, returns it with defaults applied: the one call a reconciler needs
 * before acting on a ClusterEtcdSource. Never throws.
 */
export function resolveClusterEtcdSourceSpec(spec: unknown): ResolveResult<ResolvedClusterEtcdSourceSpec> {
  const errors = validateClusterEtcdSourceSpec(spec);
  if (errors.length > 0) return { ok: false, errors };
  // Valid means every field is present with the type ClusterEtcdSourceSpec declares.
  const defaulted = withClusterEtcdSourceDefaults(spec as ClusterEtcdSourceSpec);
  const budget = parseByteQuantity(defaulted.limits.maxMirrorBytes, MAX_MIRROR_BYTES_LIMIT);
  return { ok: true, spec: { ...defaulted, maxMirrorBytes: budget.ok ? budget.bytes : 0 } };
}
