// The typed Kubernetes layer (DESIGN.md §2): typed clients, self-restarting informers, the Event recorder,
// and the typed errors every call throws. The per-object calls and the watches go over a lean JSON
// transport (transport.ts); the rest over @kubernetes/client-node's generated clients (api-client.ts).
export { AccessReviewClient } from './access-reviews.js';
export { ARGO_ROLLOUT_RESOURCE, ArgoRolloutClient, ArgoRolloutsNotServedError } from './argo-rollouts.js';
export type { ArgoRollout, ArgoRolloutCondition } from './argo-rollouts.js';
export type {
  AccessReviewResult,
  AccessReviewer,
  NonResourceAccess,
  ReviewedUser,
  TokenReviewResult,
} from './access-reviews.js';
export { makeApiClient } from './api-client.js';
export { operatorUserAgent } from './client-identity.js';
export { ObjectCache } from './cache.js';
export type { ObjectStore, ReplaceDelta } from './cache.js';
export { ConfigMapClient } from './config-maps.js';
export { SecretClient } from './secrets.js';
export { ControllerRevisionClient } from './controller-revisions.js';
export { NamespaceSource, SecretSource } from './core-sources.js';
export { CustomResourceClient } from './custom-resources.js';
export type { CustomResourceType } from './custom-resources.js';
export {
  AlreadyExistsError,
  BadRequestError,
  ConflictError,
  ForbiddenError,
  GoneError,
  InvalidError,
  KubeApiError,
  NotFoundError,
  ServerError,
  TooManyRequestsError,
  TransportError,
  UnauthorizedError,
  isRetryable,
  toKubeError,
} from './errors.js';
export type { StatusBody, StatusCause } from './errors.js';
export { EventRecorder, eventSubject } from './event-recorder.js';
export type { EventRecorderOptions, EventSubject, EventType } from './event-recorder.js';
export { EventClient, toKubeTime } from './events.js';
export type { EventRepeat, EventSink } from './events.js';
export { Informer } from './informer.js';
export type { InformerHandlers, InformerOptions, InformerState } from './informer.js';
export { LeaseClient } from './leases.js';
export { MultiNamespaceInformer } from './multi-namespace-informer.js';
export type { KindInformer } from './multi-namespace-informer.js';
export type { CallOptions } from './request-options.js';
export { objectKey, parseObjectKey } from './types.js';
export type { ListOptions, ListResult, ListWatchSource, ObjectKey } from './types.js';
export {
  DEFAULT_WORKLOAD_KINDS,
  UnsupportedWorkloadError,
  WORKLOAD_KINDS,
  WorkloadClient,
  WorkloadKindDisabledError,
  podTemplateOf,
} from './workloads.js';
export type { Workload, WorkloadClientOptions, WorkloadKind, WorkloadRef } from './workloads.js';
