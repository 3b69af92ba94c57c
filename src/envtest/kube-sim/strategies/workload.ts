import type { ResourceStrategy } from '../strategy.js';

/**
 * Deployments, StatefulSets, DaemonSets (apps/v1), CronJobs and Jobs (batch/v1): a new object's status
 * is reset to empty.
 */
export const workloadStrategy: ResourceStrategy = {
  prepareForCreate(obj) {
    obj['status'] = {};
  },
};
