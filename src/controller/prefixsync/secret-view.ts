// A Secret target seen as a ConfigMap, so that planning, guards and releases stay one code path: the
// view's `data` holds the values that are UTF-8 text and `binaryData` the others (base64), exactly as
// a render puts them; the Secret itself is `type: Opaque` with every value base64-encoded in `data`.
import type { V1ConfigMap, V1Secret } from '@kubernetes/client-node';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE, PREFIX_SYNC_LABEL, type PrefixSync } from '../../api/index.js';
import type { CallOptions, ListOptions, ListResult, ObjectKey } from '../../kube/index.js';
import type { ConfigMapApi } from '../shared/resources.js';

/** The Secret calls a Secret target needs (the kube layer's SecretClient). */
export interface SecretApi {
  get(key: ObjectKey, options?: CallOptions): Promise<V1Secret>;
  list(options: ListOptions & { namespace: string }): Promise<ListResult<V1Secret>>;
  create(secret: V1Secret, options?: CallOptions): Promise<V1Secret>;
  replace(secret: V1Secret, options?: CallOptions): Promise<V1Secret>;
  delete(key: ObjectKey, options?: CallOptions): Promise<void>;
}

/** Secret targets through their ConfigMap view, and the managed ones of a PrefixSync. */
export interface SecretTargetApi extends ConfigMapApi {
  /** The Secrets labelled as written by the operator for `psync`, as views. */
  listManaged(psync: PrefixSync, signal: AbortSignal): Promise<V1ConfigMap[]>;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** The `type` of the Secret each view was read from (weakly held: it goes with the view). */
const SECRET_TYPES = new WeakMap<V1ConfigMap, string>();

/**
 * The `type` of the Secret `view` was read from (`Opaque` when it had none), undefined for a view not
 * read from a Secret. A Secret's type cannot change, so a Secret target never takes over another type.
 */
export function secretTypeOf(view: V1ConfigMap): string | undefined {
  return SECRET_TYPES.get(view);
}

/** The Secret for a view: Opaque, `data` and `binaryData` together in `data`, base64. Pure. */
export function toSecret(view: V1ConfigMap): V1Secret {
  const data: Record<string, string> = {};
  for (const [k, v] of Object.entries(view.data ?? {})) data[k] = Buffer.from(v, 'utf8').toString('base64');
  for (const [k, v] of Object.entries(view.binaryData ?? {})) data[k] = v;
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    ...(view.metadata ? { metadata: view.metadata } : {}),
    data,
    ...(view.immutable !== undefined ? { immutable: view.immutable } : {}),
  };
}

/** The view of a Secret: UTF-8 values in `data`, others in `binaryData` (base64). Pure. */
export function fromSecret(secret: V1Secret): V1ConfigMap {
  const data: Record<string, string> = {};
  const binaryData: Record<string, string> = {};
  for (const [k, v] of Object.entries(secret.data ?? {})) {
    const bytes = Buffer.from(v, 'base64');
    try {
      data[k] = UTF8.decode(bytes);
    } catch {
      binaryData[k] = v;
    }
  }
  for (const [k, v] of Object.entries(secret.stringData ?? {})) data[k] = v;
  const view: V1ConfigMap = { apiVersion: 'v1', kind: 'ConfigMap', data };
  if (secret.metadata) view.metadata = secret.metadata;
  if (Object.keys(binaryData).length > 0) view.binaryData = binaryData;
  if (secret.immutable !== undefined) view.immutable = secret.immutable;
  SECRET_TYPES.set(view, secret.type ?? 'Opaque');
  return view;
}

/** Secret targets over `api`: each call converts between the Secret and its view. */
export function secretTargetApi(api: SecretApi): SecretTargetApi {
  return {
    get: async (key, options) => fromSecret(await api.get(key, options)),
    create: async (view, options) => fromSecret(await api.create(toSecret(view), options)),
    replace: async (view, options) => fromSecret(await api.replace(toSecret(view), options)),
    delete: (key, options) => api.delete(key, options),
    listManaged: async (psync, signal) => {
      const list = await api.list({
        namespace: psync.metadata.namespace ?? '',
        labelSelector: `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE},${PREFIX_SYNC_LABEL}=${psync.metadata.name ?? ''}`,
        signal,
      });
      return list.items.map(fromSecret);
    },
  };
}
