// Public surface of the etcd client (DESIGN.md §3).
export {
  EtcdClient,
  DEFAULT_WATCH_BACKOFF_INITIAL_DELAY_MS,
  DEFAULT_WATCH_BACKOFF_MAX_DELAY_MS,
  DEFAULT_WATCH_BUFFER_BYTES,
  DEFAULT_WATCH_BUFFER_MESSAGES,
} from './client.js';
export type { EtcdClientOptions, ProbeOptions } from './client.js';
export type { EtcdAuthOptions } from './connection.js';
export type { ConnectivityChange, EtcdTlsOptions } from './endpoint-channels.js';
export { EtcdConnectError, classifyConnectFailure, connectFailureMessage } from './connect-failure.js';
export type { ConnectFailure, ConnectFailureKind } from './connect-failure.js';
export { KV, DEFAULT_RANGE_PAGE_SIZE } from './kv.js';
export {
  DEFAULT_TARGET_PAGE_BYTES,
  FIRST_PAGE_KEYS,
  MAX_RANGE_RESTARTS,
  firstPageLimit,
  nextPageLimit,
} from './range-pages.js';
export type { PageSize } from './range-pages.js';
export { MAX_BATCHED_RANGE_KEYS, MAX_TXN_OPS } from './range-batcher.js';
export {
  DEFAULT_OVER_BOUND_RECHECK_MS,
  MirrorOverBoundError,
  OVER_BOUND_MIN_RECHECK_MS,
  PrefixMirror,
} from './prefix-mirror.js';
export type {
  MirrorContent,
  MirrorOverBound,
  MirrorSnapshot,
  MirrorUpdate,
  PrefixMirrorEvents,
  PrefixMirrorOptions,
} from './prefix-mirror.js';
export { MirrorBudgetExceededError, UNLIMITED_MIRROR_BUDGET } from './mirror-budget.js';
export type { MirrorBudget } from './mirror-budget.js';
export {
  LARGEST_KEYS_REPORTED,
  PrefixContent,
  SUMMARY_OVERHEAD_BYTES,
  VALUE_ENTRY_OVERHEAD_BYTES,
  loadPrefixContent,
  summaryBytes,
} from './prefix-content.js';
export type {
  KeySize,
  LoadPrefixContentOptions,
  LoadedPrefixContent,
  OverBoundSummary,
} from './prefix-content.js';
export { prefixRangeEnd } from './keys.js';
export { RawWatchEvents, newRawEventFields } from './raw-events.js';
export type { RawEventFields, RawInt64, RawKeyValueFields } from './raw-events.js';
export {
  EtcdError,
  UnavailableError,
  NoLeaderError,
  DeadlineExceededError,
  PermissionDeniedError,
  InvalidArgumentError,
  RequestTooLargeError,
  AuthTokenInvalidError,
  CompactedError,
  RevisionWentBackError,
  FutureRevisionError,
  WatchCanceledError,
  ClientClosedError,
  UnknownEtcdError,
  toEtcdError,
} from './errors.js';
export type {
  KeyLike,
  KeyValue,
  KeySelector,
  WatchEvent,
  WatchMessage,
  WatchOptions,
  RawWatchMessage,
  RawWatchOptions,
  Watch,
  WatchHandle,
  WatchSink,
  RangePageMessage,
  RangePagesRequest,
  RangeRequest,
  RangeResult,
  PutResult,
  DeleteResult,
  TxnCompare,
  TxnOp,
  TxnOpResult,
  TxnRequest,
  TxnResult,
  EtcdMemberInfo,
  EtcdStatus,
} from './types.js';
