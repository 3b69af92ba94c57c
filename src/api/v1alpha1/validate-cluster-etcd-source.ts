// The ClusterEtcdSource rules the operator relies on (see validate-prefix-sync.ts for why both the CRD
// and this check them), plus what a schema cannot say: port ranges, duplicate endpoints and namespaces.
import type { ClusterEtcdSourceSpec } from './cluster-etcd-source-types.js';
import { withClusterEtcdSourceDefaults } from './defaults.js';
import type { DefaultedClusterEtcdSourceSpec } from './defaults.js';
import { endpointUsesTls, parseEndpoint } from './endpoint.js';
import type { FieldError, Loose } from './field-error.js';
import { validateLabelSelector } from './label-selector.js';
import { configMapKeyProblem, dns1123LabelProblem, dns1123SubdomainProblem } from './names.js';
import { prefixProblem } from './prefix.js';
import type { ResolveResult } from './validate-prefix-sync.js';

/** Most entries in `spec.endpoints` (the CRD's maxItems). */
export const MAX_ENDPOINTS = 16;
/** Most rules in `spec.access` (the CRD's maxItems). */
export const MAX_ACCESS_RULES = 64;

function checkSecretName(errors: FieldError[], path: string, value: unknown): void {
  if (typeof value !== 'string' || value === '') {
    errors.push({ path, message: 'is required' });
    return;
  }
  const problem = dns1123SubdomainProblem(value);
  if (problem) errors.push({ path, message: problem });
}

/**
 * Every problem of a ClusterEtcdSource spec, as `{path, message}` with paths from the object root
 * (`spec.endpoints[0]`). An empty list means the spec is valid. Never throws, whatever the input.
 */
export function validateClusterEtcdSourceSpec(spec: Loose<ClusterEtcdSourceSpec> | undefined): FieldError[] {
  if (spec === undefined || spec === null || typeof spec !== 'object') {
    return [{ path: 'spec', message: 'is required' }];
  }
  const errors: FieldError[] = [];
  const hasTls = spec.tls !== undefined;
  const endpoints = spec.endpoints ?? [];
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

  if (spec.tls !== undefined) {
    const { caSecretRef, certSecretRef, serverName } = spec.tls;
    if (caSecretRef !== undefined) {
      checkSecretName(errors, 'spec.tls.caSecretRef.name', caSecretRef.name);
      if (caSecretRef.key !== undefined) {
        const problem =
          typeof caSecretRef.key === 'string' ? configMapKeyProblem(caSecretRef.key) : 'must be a string';
        if (problem)
          errors.push({ path: 'spec.tls.caSecretRef.key', message: `is not a valid Secret key: ${problem}` });
      }
    }
    if (certSecretRef !== undefined)
      checkSecretName(errors, 'spec.tls.certSecretRef.name', certSecretRef.name);
    if (
      serverName !== undefined &&
      (typeof serverName !== 'string' || serverName === '' || serverName.length > 253)
    ) {
      errors.push({ path: 'spec.tls.serverName', message: 'must be a host name of at most 253 characters' });
    }
  }
  if (spec.auth !== undefined) checkSecretName(errors, 'spec.auth.secretRef.name', spec.auth.secretRef?.name);

  const access = spec.access ?? [];
  if (access.length > MAX_ACCESS_RULES) {
    errors.push({ path: 'spec.access', message: `must have at most ${MAX_ACCESS_RULES} items` });
  }
  access.forEach((rule, i) => errors.push(...validateAccessRule(rule, `spec.access[${i}]`)));
  return errors;
}

function validateAccessRule(
  rule: Loose<NonNullable<ClusterEtcdSourceSpec['access']>[number]>,
  at: string,
): FieldError[] {
  const errors: FieldError[] = [];
  if ((rule.namespaces === undefined) === (rule.namespaceSelector === undefined)) {
    errors.push({ path: at, message: 'exactly one of namespaces or namespaceSelector must be set' });
  }
  if (rule.namespaces !== undefined) {
    if (rule.namespaces.length === 0) errors.push({ path: `${at}.namespaces`, message: 'must not be empty' });
    const seen = new Set<string>();
    rule.namespaces.forEach((ns, j) => {
      const problem = typeof ns === 'string' ? dns1123LabelProblem(ns) : 'must be a string';
      if (problem) errors.push({ path: `${at}.namespaces[${j}]`, message: problem });
      else if (seen.has(ns)) errors.push({ path: `${at}.namespaces[${j}]`, message: `duplicates '${ns}'` });
      seen.add(ns);
    });
  }
  if (rule.namespaceSelector !== undefined) {
    errors.push(...validateLabelSelector(rule.namespaceSelector, `${at}.namespaceSelector`));
  }
  const prefixes = rule.prefixes ?? [];
  if (prefixes.length === 0)
    errors.push({ path: `${at}.prefixes`, message: 'must list at least one prefix' });
  const seen = new Set<string>();
  prefixes.forEach((p, j) => {
    const problem = typeof p === 'string' ? prefixProblem(p) : 'must be a string';
    if (problem) errors.push({ path: `${at}.prefixes[${j}]`, message: problem });
    else if (seen.has(p)) errors.push({ path: `${at}.prefixes[${j}]`, message: `duplicates '${p}'` });
    seen.add(p);
  });
  return errors;
}

/**
 * Validates a spec and, when valid, returns it with defaults applied: the one call a reconciler needs
 * before acting on a ClusterEtcdSource. Never throws.
 */
export function resolveClusterEtcdSourceSpec(
  spec: ClusterEtcdSourceSpec | Loose<ClusterEtcdSourceSpec> | undefined,
): ResolveResult<DefaultedClusterEtcdSourceSpec> {
  const errors = validateClusterEtcdSourceSpec(spec);
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, spec: withClusterEtcdSourceDefaults(spec as ClusterEtcdSourceSpec) };
}
