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
export { PrefixMirror } from './prefix-mirror.js';
export type {
  MirrorSnapshot,
  MirrorUpdate,
  PrefixMirrorEvents,
  PrefixMirrorOptions,
} from './prefix-mirror.js';
export { prefixRangeEnd } from './keys.js';
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
  Watch,
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
