// The plugin's writes: JSON merge patches of a PrefixSync, credited to the plugin in managedFields and
// sent with its own User-Agent (audit logs tell them from the operator's).
import { CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { FORCE_SYNC_ANNOTATION, GROUP, PREFIX_SYNC, VERSION } from '../../api/index.js';
import { operatorUserAgent } from '../../kube/index.js';

/** The field manager of every write of the plugin (what `managedFields` shows). */
export const PLUGIN_FIELD_MANAGER = 'kubectl-etcdconfig';

/**
 * `kubectl-etcdconfig/<version> (<os>/<arch>; node <version>)`: the operator's User-Agent (the kube
 * layer's client-identity.ts) with the plugin's name as its first token.
 */
export function pluginUserAgent(): string {
  return operatorUserAgent().replace(/^[^/]*/, PLUGIN_FIELD_MANAGER);
}

/** The merge patch that forces a fresh etcd read and sync: a new value of the force-sync annotation. */
export function forceSyncPatch(now: Date): object {
  return { metadata: { annotations: { [FORCE_SYNC_ANNOTATION]: now.toISOString() } } };
}

/** The merge patch of `suspend`/`resume`. */
export function suspendPatch(isSuspended: boolean): object {
  return { spec: { suspend: isSuspended } };
}

/**
 * Applies `patch` to PrefixSync `namespace/name` as a JSON merge patch with field manager
 * {@link PLUGIN_FIELD_MANAGER}. Throws client-node's ApiException (404 when it does not exist).
 */
export async function patchPrefixSync(
  kubeConfig: KubeConfig,
  namespace: string,
  name: string,
  patch: object,
): Promise<void> {
  await kubeConfig.makeApiClient(CustomObjectsApi).patchNamespacedCustomObject(
    {
      group: GROUP,
      version: VERSION,
      plural: PREFIX_SYNC.plural,
      namespace,
      name,
      body: patch,
      fieldManager: PLUGIN_FIELD_MANAGER,
    },
    setHeaderOptions(
      'User-Agent',
      pluginUserAgent(),
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    ),
  );
}
