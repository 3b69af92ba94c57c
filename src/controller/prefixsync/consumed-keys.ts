// Key-aware restarts (rollout mode auto): which keys of the target ConfigMap or Secret a pod template
// consumes, and the hash its pod template carries for them — so that a change to other keys restarts nothing.
import { createHash } from 'node:crypto';
import type { V1Container, V1PodSpec } from '@kubernetes/client-node';
import type { TargetKind } from '../../api/index.js';
import { contentHash } from '../../sync/index.js';

/** The target's content as published: ConfigMap `data` and `binaryData`. */
export interface RolloutContent {
  readonly data: Readonly<Record<string, string>>;
  readonly binaryData: Readonly<Record<string, string>>;
}

/**
 * What a pod spec takes from ConfigMap (or Secret) `name`: the whole of it (`envFrom`, a volume or
 * projected source without `items` — whatever subPath a container mounts — so any change may matter),
 * or only the keys named by `env[].valueFrom.configMapKeyRef.key` (`secretKeyRef.key`) and volume /
 * projected `items[].key`.
 */
export type ConsumedKeys =
  { readonly whole: true } | { readonly whole: false; readonly keys: ReadonlySet<string> };

function containerKeys(container: V1Container, name: string, kind: TargetKind, keys: Set<string>): boolean {
  const whole = (container.envFrom ?? []).some(
    (source) => (kind === 'Secret' ? source.secretRef : source.configMapRef)?.name === name,
  );
  for (const env of container.env ?? []) {
    const ref = kind === 'Secret' ? env.valueFrom?.secretKeyRef : env.valueFrom?.configMapKeyRef;
    if (ref?.name === name) keys.add(ref.key);
  }
  return whole;
}

/** A volume or projected source of the target: its name (a secret volume says `secretName`) and items. */
interface VolumeSource {
  readonly name: string | undefined;
  readonly items: readonly { readonly key: string }[] | undefined;
}

function volumeSources(spec: V1PodSpec, kind: TargetKind): VolumeSource[] {
  const volumes = spec.volumes ?? [];
  const projected = volumes.flatMap((v) => v.projected?.sources ?? []);
  if (kind === 'Secret') {
    return [
      ...volumes.flatMap((v) => (v.secret ? [{ name: v.secret.secretName, items: v.secret.items }] : [])),
      ...projected.flatMap((s) => (s.secret ? [{ name: s.secret.name, items: s.secret.items }] : [])),
    ];
  }
  return [
    ...volumes.flatMap((v) => (v.configMap ? [{ name: v.configMap.name, items: v.configMap.items }] : [])),
    ...projected.flatMap((s) => (s.configMap ? [{ name: s.configMap.name, items: s.configMap.items }] : [])),
  ];
}

/**
 * The keys of ConfigMap `name` (of Secret `name` with `kind` Secret) that `spec` consumes, in
 * containers and init containers; `undefined` when it consumes none (it does not reference the
 * target). Pure.
 */
export function consumedKeys(
  spec: V1PodSpec | undefined,
  name: string,
  kind: TargetKind = 'ConfigMap',
): ConsumedKeys | undefined {
  if (!spec) return undefined;
  const keys = new Set<string>();
  let whole = false;
  let uses = false;
  for (const source of volumeSources(spec, kind)) {
    if (source.name !== name) continue;
    uses = true;
    if (source.items === undefined || source.items.length === 0) whole = true;
    else for (const item of source.items) keys.add(item.key);
  }
  for (const container of [...spec.containers, ...(spec.initContainers ?? [])]) {
    if (containerKeys(container, name, kind, keys)) whole = true;
  }
  if (whole) return { whole: true };
  if (keys.size > 0) return { whole: false, keys };
  return uses ? { whole: true } : undefined;
}

/** Hex digits of a key hash (after its `keys-` prefix). */
const KEYS_HASH_HEX_LENGTH = 32;

/**
 * The hash of the values of `keys` in `content`: it changes exactly when one of them changes, appears
 * or disappears, or when the set of keys changes (a workload that starts consuming another key is rolled
 * once, at the next content change). Written `keys-<hex>`, so a reader tells it from a content hash. Pure.
 */
export function keysHash(keys: ReadonlySet<string>, content: RolloutContent): string {
  const digest = createHash('sha256');
  for (const key of [...keys].sort()) {
    // Length-prefixed fields: no two different inputs give the same bytes.
    const value = Object.hasOwn(content.data, key)
      ? `d${content.data[key]!.length}:${content.data[key]!}`
      : Object.hasOwn(content.binaryData, key)
        ? `b${content.binaryData[key]!.length}:${content.binaryData[key]!}`
        : '-';
    digest.update(`${key.length}:${key}=${value}\n`);
  }
  return `keys-${digest.digest('hex').slice(0, KEYS_HASH_HEX_LENGTH)}`;
}

/**
 * The hash the pod template of a workload consuming ConfigMap (or, with `kind` Secret, Secret) `name`
 * should carry for content `contentHash`: the content hash when it consumes the whole target (or when
 * `content` is not known, as for a rollback's restored content), else the {@link keysHash} of the keys
 * it consumes. Pure.
 */
export function workloadHash(
  spec: V1PodSpec | undefined,
  name: string,
  contentHash: string,
  content: RolloutContent | undefined,
  kind: TargetKind = 'ConfigMap',
): string {
  const consumed = consumedKeys(spec, name, kind);
  if (content === undefined || consumed === undefined || consumed.whole) return contentHash;
  return keysHash(consumed.keys, content);
}

/** Whether a hash in `status.rolledOut` is a {@link keysHash} (a workload that consumes only some keys). */
export function isKeysHash(hash: string): boolean {
  return hash.startsWith('keys-');
}

/**
 * Whether a workload that consumes only some keys, and carries no key hash yet (it predates its first
 * key-aware rollout: created before the content changed, or rolled by an older release), runs values of
 * its keys that `content` leaves as they were in `previous` — the content it was started or rolled with.
 * Such a workload is not restarted. False when `previous` is unknown: restarting is then the safe side.
 */
export function isUnaffected(
  spec: V1PodSpec | undefined,
  name: string,
  carried: string | undefined,
  content: RolloutContent,
  previous: RolloutContent | undefined,
  kind: TargetKind = 'ConfigMap',
): boolean {
  const consumed = consumedKeys(spec, name, kind);
  if (previous === undefined || consumed === undefined || consumed.whole) return false;
  if (carried !== undefined && isKeysHash(carried)) return false; // its own hash tells
  return keysHash(consumed.keys, previous) === keysHash(consumed.keys, content);
}

/**
 * The content the workloads run, to judge which keys changed: `published` (what the ConfigMap held
 * before this write) when it is the content of `statusHash` (the one they were rolled to), else
 * undefined — after a delayed or retried rollout the ConfigMap already holds the new content. Pure.
 */
export function runningContent(
  published: RolloutContent | undefined,
  statusHash: string | undefined,
): RolloutContent | undefined {
  if (published === undefined || !statusHash) return undefined;
  return contentHash(published.data, published.binaryData) === statusHash ? published : undefined;
}
