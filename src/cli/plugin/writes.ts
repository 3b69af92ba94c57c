// The plugin's writes: JSON merge patches of a PrefixSync, credited to the plugin in managedFields.
import { CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { FORCE_SYNC_ANNOTATION, GROUP, PREFIX_SYNC, VERSION } from '../../api/index.js';

/** The field manager of every write of the plugin (what `managedFields` shows). */
export const PLUGIN_FIELD_MANAGER = 'kubectl-etcdconfig';

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
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
}
