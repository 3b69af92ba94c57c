/**
 * The strict Kubernetes API-server simulator (DESIGN.md §6): an HTTP server that the real
 * `@kubernetes/client-node` and kubectl talk to, for tests, benchmarks and `demo`.
 */
export { KubeSim, type KubeSimOptions } from './kube-sim.js';
export {
  DEFAULT_ROLLOUT_STEP_MS,
  DEFAULT_SIMULATED_NODES,
  type WorkloadSimOptions,
} from './workload-status.js';
export { FAIL_ROLLOUTS_ANNOTATION, FAIL_WHEN_ANNOTATION } from './workload-faults.js';
export {
  DEFAULT_SIM_ACCESS,
  KUBECONFIG_TOKEN,
  parseSimAccess,
  readSimAccessFile,
  type SimAccess,
  type SimAccessRule,
  type SimUser,
} from './access-reviews.js';
export type { SimFaults, FailNextOptions, DelayOptions, FaultTarget, Verb } from './faults.js';
export { installCrds, REPOSITORY_CRDS_DIR, type InstallCrdsOptions } from './install-crds.js';
