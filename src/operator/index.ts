// The operator's wiring (DESIGN.md §2): the Manager (informers → controllers, gated by leader
// election; /metrics, /healthz, /readyz; orderly shutdown).
export { DEFAULT_LEASE_NAME, MANAGER_TRANSITIONS, Manager } from './manager.js';
export type { ManagerOptions, ManagerServices, ManagerState } from './manager.js';
export { HttpEndpoint, MIN_TLS_VERSION, parseBindAddress } from './http-endpoint.js';
export type {
  HttpAnswer,
  HttpEndpointOptions,
  Route,
  Routes,
  TlsMaterial,
  TlsSource,
} from './http-endpoint.js';
export {
  CERT_FILE,
  CertificateLoadError,
  CertificateWatcher,
  DEFAULT_CERT_POLL_INTERVAL_MS,
  KEY_FILE,
} from './certificate-watcher.js';
export type { CertificateWatcherOptions } from './certificate-watcher.js';
export { ExpiringCache } from './expiring-cache.js';
export type { ExpiringCacheOptions } from './expiring-cache.js';
export {
  DEFAULT_ALLOWED_TTL_MS,
  DEFAULT_AUTHENTICATED_TTL_MS,
  DEFAULT_DENIED_TTL_MS,
  DEFAULT_MAX_CACHE_ENTRIES,
  DEFAULT_MAX_PENDING_REVIEWS,
  DEFAULT_REVIEW_TIMEOUT_MS,
  DEFAULT_UNAUTHENTICATED_TTL_MS,
  MetricsAccessFilter,
  bearerToken,
  unavailableAnswer,
} from './metrics-access.js';
export type { AccessVerdict, MetricsAccessOptions, ReviewStage } from './metrics-access.js';
export { secureMetricsEndpoint } from './secure-metrics.js';
export type { MetricsSecurityOptions, SecureMetricsDeps } from './secure-metrics.js';
export { SELF_SIGNED_VALIDITY_MS, selfSignedCertificate } from './self-signed-certificate.js';
export type { SelfSignedOptions } from './self-signed-certificate.js';
export { OPERATOR_PERMISSIONS, UNREACHED_CALLS, scopedGrantsOf } from './permissions.js';
export type { PermissionMode, PermissionNeed, PermissionVerb, ScopedGrant } from './permissions.js';
