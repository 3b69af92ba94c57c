// Which workload kinds the operator rolls — the `apps` kinds always, CronJobs and Argo Rollouts only
// when enabled (their RBAC is granted only then) — and what a PrefixSync naming another kind is told.
import type { WorkloadKind } from '../../api/index.js';
import { DEFAULT_WORKLOAD_KINDS, WorkloadClient } from '../../kube/index.js';
import type { ControllerEnv } from '../shared/controller-env.js';

/** How to enable each opt-in kind: the operator flag, and the Helm value that also grants its RBAC. */
export const ENABLE_HINTS: Readonly<Partial<Record<WorkloadKind, string>>> = {
  CronJob:
    'start the operator with --rollout-cronjobs=true (Helm value rollout.cronJobs.enabled=true, which also grants access to cronjobs.batch)',
  Rollout:
    'start the operator with --rollout-argo-rollouts=true (Helm value rollout.argoRollouts.enabled=true, which also grants access to rollouts.argoproj.io)',
};

/** The kinds this operator rolls, watches and lists in mode auto. Default Deployment, StatefulSet, DaemonSet. */
export function rolloutKindsOf(env: ControllerEnv): readonly WorkloadKind[] {
  return env.rolloutKinds ?? DEFAULT_WORKLOAD_KINDS;
}

/**
 * The workload client of a rollout: it asks the API server only about the enabled kinds; a target of
 * another kind fails (RolloutFailed) with a message that says how to enable it.
 */
export function workloadClientFor(env: ControllerEnv): WorkloadClient {
  return new WorkloadClient(env.kubeConfig, { kinds: rolloutKindsOf(env), enableHints: ENABLE_HINTS });
}
