// Typed shapes of the etcd wire messages as @grpc/proto-loader produces them with our options
// (keepCase, longs as decimal strings, bytes as Buffer, enums as names, defaults, oneofs). Only the
// fields this client reads or writes are listed. int64/uint64 fields are decimal strings on the wire
// side and become bigint as soon as they cross into our own types.

/** mvccpb.KeyValue. */
export interface RawKeyValue {
  key: Buffer;
  create_revision: string;
  mod_revision: string;
  version: string;
  value: Buffer;
  lease: string;
}

/** mvccpb.Event. */
export interface RawEvent {
  type: 'PUT' | 'DELETE';
  kv: RawKeyValue | null;
  prev_kv: RawKeyValue | null;
}

/** etcdserverpb.ResponseHeader. */
export interface RawResponseHeader {
  cluster_id: string;
  member_id: string;
  revision: string;
  raft_term: string;
}

export interface RawRangeRequest {
  key: Buffer;
  range_end?: Buffer;
  limit?: string;
  revision?: string;
  serializable?: boolean;
  keys_only?: boolean;
  count_only?: boolean;
  sort_order?: 'NONE' | 'ASCEND' | 'DESCEND';
  sort_target?: 'KEY' | 'VERSION' | 'CREATE' | 'MOD' | 'VALUE';
}

export interface RawRangeResponse {
  header: RawResponseHeader | null;
  kvs: RawKeyValue[];
  more: boolean;
  count: string;
}

export interface RawPutRequest {
  key: Buffer;
  value: Buffer;
  lease?: string;
  prev_kv?: boolean;
}

export interface RawPutResponse {
  header: RawResponseHeader | null;
  prev_kv: RawKeyValue | null;
}

export interface RawDeleteRangeRequest {
  key: Buffer;
  range_end?: Buffer;
  prev_kv?: boolean;
}

export interface RawDeleteRangeResponse {
  header: RawResponseHeader | null;
  deleted: string;
  prev_kvs: RawKeyValue[];
}

export interface RawRequestOp {
  request_range?: RawRangeRequest;
  request_put?: RawPutRequest;
  request_delete_range?: RawDeleteRangeRequest;
}

export interface RawResponseOp {
  response?: 'response_range' | 'response_put' | 'response_delete_range' | 'response_txn';
  response_range?: RawRangeResponse | null;
  response_put?: RawPutResponse | null;
  response_delete_range?: RawDeleteRangeResponse | null;
}

export interface RawCompare {
  result: 'EQUAL' | 'GREATER' | 'LESS' | 'NOT_EQUAL';
  target: 'VERSION' | 'CREATE' | 'MOD' | 'VALUE' | 'LEASE';
  key: Buffer;
  range_end?: Buffer;
  version?: string;
  create_revision?: string;
  mod_revision?: string;
  value?: Buffer;
  lease?: string;
}

export interface RawTxnRequest {
  compare: RawCompare[];
  success: RawRequestOp[];
  failure: RawRequestOp[];
}

export interface RawTxnResponse {
  header: RawResponseHeader | null;
  succeeded: boolean;
  responses: RawResponseOp[];
}

export interface RawCompactionRequest {
  revision: string;
  physical?: boolean;
}

export interface RawCompactionResponse {
  header: RawResponseHeader | null;
}

export interface RawWatchCreateRequest {
  key: Buffer;
  range_end?: Buffer;
  start_revision?: string;
  progress_notify?: boolean;
  filters?: ('NOPUT' | 'NODELETE')[];
  prev_kv?: boolean;
  fragment?: boolean;
}

export interface RawWatchRequest {
  create_request?: RawWatchCreateRequest;
  cancel_request?: { watch_id: string };
  progress_request?: Record<string, never>;
}

export interface RawWatchResponse {
  header: RawResponseHeader | null;
  watch_id: string;
  created: boolean;
  canceled: boolean;
  compact_revision: string;
  cancel_reason: string;
  fragment: boolean;
  events: RawEvent[];
}

export interface RawMember {
  ID: string;
  name: string;
  peerURLs: string[];
  clientURLs: string[];
  isLearner: boolean;
}

export interface RawMemberListResponse {
  header: RawResponseHeader | null;
  members: RawMember[];
}

export interface RawStatusResponse {
  header: RawResponseHeader | null;
  version: string;
  dbSize: string;
  leader: string;
  raftIndex: string;
  raftTerm: string;
}

export interface RawAuthenticateRequest {
  name: string;
  password: string;
}

export interface RawAuthenticateResponse {
  header: RawResponseHeader | null;
  token: string;
}
