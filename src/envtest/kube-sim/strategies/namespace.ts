import { clone, objectAt, type JsonObject } from '../json.js';
import { labelNameError, meta, nameOf } from '../object-meta.js';
import type { ResourceStrategy } from '../strategy.js';

/**
 * Namespaces (upstream pkg/registry/core/namespace/strategy.go): the name is a DNS-1123 label; a new
 * namespace gets the `kubernetes` finalizer, phase Active and its name label; the main endpoint never
 * changes the status; DELETE always marks it Terminating, and it stays until the namespace controller
 * has emptied it and removed spec.finalizers.
 */
export const namespaceStrategy: ResourceStrategy = {
  validateName: labelNameError,
  prepareForCreate(obj) {
    const m = meta(obj);
    obj['spec'] = { finalizers: ['kubernetes'] };
    obj['status'] = { phase: 'Active' };
    m['labels'] = { ...(objectAt(m, 'labels') ?? {}), 'kubernetes.io/metadata.name': nameOf(obj) };
  },
  prepareForUpdate(next, old) {
    next['status'] = clone(old['status']);
  },
  markDeleting(obj) {
    obj['status'] = { ...(objectAt(obj, 'status') ?? {}), phase: 'Terminating' };
  },
  holdsDeletion(obj: JsonObject) {
    const f = objectAt(obj, 'spec')?.['finalizers'];
    return Array.isArray(f) && f.length > 0;
  },
};
