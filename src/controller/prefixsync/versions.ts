// Versioned ConfigMaps (`target.versioned`): each content is written once as an immutable ConfigMap
// `<name>-<first 10 hex of its hash>`, and a rollout points the workloads' references at it — so pods
// never see content before their own rollout, and `kubectl rollout undo` finds the old version. Pure
// helpers for the names and for rewriting a pod spec's references.
import type { V1Container, V1PodSpec } from '@kubernetes/client-node';

/** ConfigMap label on a version: the target name it is a version of. */
export const VERSION_OF_LABEL = 'etcdconfig.dev/version-of';

/** Hex digits of the content hash in a version's name. */
const VERSION_HASH_DIGITS = 10;

/** The ConfigMap name of the version of `base` holding content `hash`. */
export function versionName(base: string, hash: string): string {
  return `${base}-${hash.slice(0, VERSION_HASH_DIGITS)}`;
}

/** Whether ConfigMap `name` is `base` itself or one of its versions (`<base>-<10 hex>`). */
export function isBaseOrVersion(name: string | undefined, base: string): boolean {
  if (name === undefined) return false;
  if (name === base) return true;
  const suffix = name.slice(base.length);
  return name.startsWith(base) && /^-[0-9a-f]{10}$/.test(suffix);
}

/** The ConfigMap names a pod spec references: volumes (plain, projected), envFrom, env valueFrom. */
export function referencedConfigMaps(spec: V1PodSpec | undefined): Set<string> {
  const names = new Set<string>();
  if (!spec) return names;
  for (const v of spec.volumes ?? []) {
    if (v.configMap?.name) names.add(v.configMap.name);
    for (const source of v.projected?.sources ?? [])
      if (source.configMap?.name) names.add(source.configMap.name);
  }
  for (const c of [...spec.containers, ...(spec.initContainers ?? [])]) {
    for (const from of c.envFrom ?? []) if (from.configMapRef?.name) names.add(from.configMapRef.name);
    for (const env of c.env ?? []) {
      const ref = env.valueFrom?.configMapKeyRef?.name;
      if (ref) names.add(ref);
    }
  }
  return names;
}

/**
 * The Secret names a pod spec references: secret volumes, projected secrets, envFrom secretRef, env
 * valueFrom secretKeyRef, in containers and init containers (what a Secret target's consumers use).
 */
export function referencedSecrets(spec: V1PodSpec | undefined): Set<string> {
  const names = new Set<string>();
  if (!spec) return names;
  for (const v of spec.volumes ?? []) {
    if (v.secret?.secretName) names.add(v.secret.secretName);
    for (const source of v.projected?.sources ?? []) if (source.secret?.name) names.add(source.secret.name);
  }
  for (const c of [...spec.containers, ...(spec.initContainers ?? [])]) {
    for (const from of c.envFrom ?? []) if (from.secretRef?.name) names.add(from.secretRef.name);
    for (const env of c.env ?? []) {
      const ref = env.valueFrom?.secretKeyRef?.name;
      if (ref) names.add(ref);
    }
  }
  return names;
}

/**
 * The pod spec fields to patch so that every reference to `base` or one of its versions names `to`
 * instead (whole lists, as a merge patch replaces them), or undefined when every one already does.
 * Pure: `spec` is not modified.
 */
export function retargetReferences(
  spec: V1PodSpec | undefined,
  base: string,
  to: string,
): Pick<V1PodSpec, 'volumes' | 'containers' | 'initContainers'> | undefined {
  if (!spec) return undefined;
  let changed = false;
  const swap = (name: string | undefined): string | undefined => {
    if (name !== to && isBaseOrVersion(name, base)) {
      changed = true;
      return to;
    }
    return name;
  };
  const volumes = spec.volumes?.map((v) => {
    const out = structuredClone(v);
    if (out.configMap) out.configMap.name = swap(out.configMap.name) ?? '';
    for (const source of out.projected?.sources ?? []) {
      if (source.configMap) source.configMap.name = swap(source.configMap.name) ?? '';
    }
    return out;
  });
  const retarget = (c: V1Container): V1Container => {
    const out = structuredClone(c);
    for (const from of out.envFrom ?? []) {
      if (from.configMapRef) from.configMapRef.name = swap(from.configMapRef.name) ?? '';
    }
    for (const env of out.env ?? []) {
      const ref = env.valueFrom?.configMapKeyRef;
      if (ref) ref.name = swap(ref.name) ?? '';
    }
    return out;
  };
  const containers = spec.containers.map(retarget);
  const initContainers = spec.initContainers?.map(retarget);
  if (!changed) return undefined;
  return {
    containers,
    ...(volumes ? { volumes } : {}),
    ...(initContainers ? { initContainers } : {}),
  };
}
