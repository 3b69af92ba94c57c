import { API_VERSION } from '../../api/index.js';
import type { EventSubject, EventType } from '../../kube/index.js';

/** Where reconcilers send Kubernetes Events (the kube layer's EventRecorder; never throws or waits). */
export interface EventSink {
  record(subject: EventSubject, type: EventType, reason: string, message: string): void;
}

/** The Event subject of one of our custom resources. */
export function subjectOf(
  obj: { metadata: { name?: string; namespace?: string; uid?: string } },
  kind: 'PrefixSync' | 'ClusterEtcdSource',
): EventSubject {
  return {
    apiVersion: API_VERSION,
    kind,
    name: obj.metadata.name ?? '',
    ...(obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {}),
    ...(obj.metadata.uid ? { uid: obj.metadata.uid } : {}),
  };
}

/**
 * Warning Event reason, on a PrefixSync and on its ClusterEtcdSource: etcd answered below a revision
 * already seen (restored from a backup, wiped, or another cluster behind the address). The message
 * names both revisions; the ConfigMaps take the restored content.
 */
export const REVISION_WENT_BACK_EVENT = 'EtcdRevisionWentBack';
