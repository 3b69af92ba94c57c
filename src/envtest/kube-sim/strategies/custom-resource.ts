import type { ResourceStrategy } from '../strategy.js';

/**
 * CustomResourceDefinitions: DELETE always adds the customresourcecleanup finalizer, which the CRD
 * cleanup (controllers.ts) removes once every custom resource of the CRD is gone.
 */
export const crdStrategy: ResourceStrategy = {
  deletionFinalizers: ['customresourcecleanup.apiextensions.k8s.io'],
};

/**
 * Custom resources (upstream apiextensions-apiserver's customResourceStrategy): with a status
 * subresource a create drops the status; a write to `/status` is admitted against the schema too.
 */
export function customResourceStrategy(hasStatus: boolean): ResourceStrategy {
  return {
    ...(hasStatus
      ? {
          prepareForCreate(obj) {
            delete obj['status'];
          },
        }
      : {}),
    admitStatusUpdates: true,
  };
}
