// The informer handlers every watch of a controller uses: an add, a delete and an update that
// matters each call one mapping (controller-runtime's EnqueueRequestsFromMapFunc with a predicate).
import type { KubernetesObject } from '@kubernetes/client-node';
import type { InformerHandlers } from '../../kube/index.js';

/**
 * Handlers that call `onEvent` for every add and delete, and for an update only when `changed(old,
 * current)` says it matters (default: every update). `onEvent` gets the current object.
 */
export function onEveryChange<T extends KubernetesObject>(
  onEvent: (obj: T) => void,
  changed: (old: T, current: T) => boolean = () => true,
): InformerHandlers<T> {
  return {
    onAdd: onEvent,
    onUpdate: (old, current) => {
      if (changed(old, current)) onEvent(current);
    },
    onDelete: onEvent,
  };
}
