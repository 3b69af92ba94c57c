// The operator's wiring (DESIGN.md §2): the Manager (informers → controllers, gated by leader
// election; /metrics, /healthz, /readyz; orderly shutdown).
export { DEFAULT_LEASE_NAME, MANAGER_TRANSITIONS, Manager } from './manager.js';
export type { ManagerOptions, ManagerServices, ManagerState } from './manager.js';
export { HttpEndpoint, parseBindAddress } from './http-endpoint.js';
export type { HttpAnswer, Routes } from './http-endpoint.js';
export { OPERATOR_PERMISSIONS, UNREACHED_CALLS } from './permissions.js';
export type { PermissionNeed, PermissionVerb } from './permissions.js';
