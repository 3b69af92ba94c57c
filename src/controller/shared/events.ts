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
