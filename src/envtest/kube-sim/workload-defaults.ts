import { isObject, objectAt, type JsonObject } from './json.js';
import type { ResourceType } from './resource-type.js';

/** Go's zero value of an optional field: absent, null or an empty string. */
function isUnset(v: unknown): boolean {
  return v === undefined || v === null || v === '';
}

function child(parent: JsonObject, key: string): JsonObject {
  const v = parent[key];
  if (isObject(v)) return v;
  const fresh: JsonObject = {};
  parent[key] = fresh;
  return fresh;
}

/**
 * The apiserver's defaults of apps/v1 workload specs (`SetDefaults_Deployment`, `_StatefulSet`,
 * `_DaemonSet`), filled in on every create and update so that clients and the workload controllers see
 * what a real cluster shows: Deployment replicas 1, RollingUpdate 25%/25%, revisionHistoryLimit 10,
 * progressDeadlineSeconds 600; StatefulSet replicas 1, OrderedReady, RollingUpdate with partition 0,
 * PVC retention Retain/Retain, revisionHistoryLimit 10; DaemonSet RollingUpdate maxUnavailable 1,
 * maxSurge 0, revisionHistoryLimit 10. The pod template's own defaults are not filled in. Mutates `obj`;
 * other kinds are left alone.
 */
export function applyWorkloadDefaults(type: ResourceType, obj: JsonObject): void {
  if (type.group !== 'apps' || !isObject(obj['spec'])) return;
  const spec = obj['spec'];
  switch (type.plural) {
    case 'deployments': {
      spec['replicas'] ??= 1;
      const strategy = child(spec, 'strategy');
      if (isUnset(strategy['type'])) strategy['type'] = 'RollingUpdate';
      if (strategy['type'] === 'RollingUpdate') {
        const rolling = child(strategy, 'rollingUpdate');
        rolling['maxUnavailable'] ??= '25%';
        rolling['maxSurge'] ??= '25%';
      }
      spec['revisionHistoryLimit'] ??= 10;
      spec['progressDeadlineSeconds'] ??= 600;
      return;
    }
    case 'statefulsets': {
      if (isUnset(spec['podManagementPolicy'])) spec['podManagementPolicy'] = 'OrderedReady';
      const strategy = child(spec, 'updateStrategy');
      if (isUnset(strategy['type'])) {
        strategy['type'] = 'RollingUpdate';
        child(strategy, 'rollingUpdate');
      }
      const rolling = objectAt(strategy, 'rollingUpdate');
      if (strategy['type'] === 'RollingUpdate' && rolling) rolling['partition'] ??= 0;
      const retention = child(spec, 'persistentVolumeClaimRetentionPolicy');
      if (isUnset(retention['whenDeleted'])) retention['whenDeleted'] = 'Retain';
      if (isUnset(retention['whenScaled'])) retention['whenScaled'] = 'Retain';
      spec['replicas'] ??= 1;
      spec['revisionHistoryLimit'] ??= 10;
      return;
    }
    case 'daemonsets': {
      const strategy = child(spec, 'updateStrategy');
      if (isUnset(strategy['type'])) strategy['type'] = 'RollingUpdate';
      if (strategy['type'] === 'RollingUpdate') {
        const rolling = child(strategy, 'rollingUpdate');
        rolling['maxUnavailable'] ??= 1;
        rolling['maxSurge'] ??= 0;
      }
      spec['revisionHistoryLimit'] ??= 10;
      return;
    }
  }
}
