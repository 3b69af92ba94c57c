// Why an endpoint could not be reached — refused, DNS, timeout, TLS handshake — told apart in this one
// place. grpc-js reports every failure to connect as Unavailable and keeps the cause only in the status
// details ("No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:2379.
// Resolution note: ", "Name resolution failed for target dns:host:2379"), with no code or field for
// it; so, as errors.ts does where gRPC gives no other signal, the details text is read here and nowhere
// else. A deadline is told by its status code. grpc-js drops the resolver's own error, so a DNS failure
// cannot say whether the name does not exist (ENOTFOUND) or the lookup failed (EAI_AGAIN).
import { status as GrpcStatus } from '@grpc/grpc-js';
import { UnavailableError } from './errors.js';

/** How a connection attempt failed. */
export type ConnectFailureKind =
  /** Nothing listens at the address (the member is stopped, or the port is wrong). */
  | 'refused'
  /** The host name does not resolve. */
  | 'dns'
  /** No answer before the deadline (a frozen member, a blackholed link, a firewall dropping packets). */
  | 'timeout'
  /** The TLS handshake failed (unknown CA, wrong server name, expired or rejected certificate). */
  | 'tls'
  /** An established connection was closed by the peer (the member stopped while a request ran). */
  | 'dropped'
  /**
   * Any other transport failure; `detail` has grpc's text, "" when grpc gave no cause (a new channel
   * that shares another channel's failed connection fails once with "Last error: null").
   */
  | 'other';

/** One endpoint's failed attempt. */
export interface ConnectFailure {
  readonly endpoint: string;
  readonly kind: ConnectFailureKind;
  /** The cause as the transport reported it, without grpc's wrapping ("" for a timeout). */
  readonly detail: string;
}

/** Node's and OpenSSL's wording of a failed handshake or certificate check. */
const TLS_PATTERNS: readonly RegExp[] = [
  /certificate/i, // unable to verify the first certificate, self-signed certificate…, certificate has expired
  /altnames/i, // Hostname/IP does not match certificate's altnames
  /\bERR_TLS_/, // Node's TLS error codes, e.g. "Error [ERR_TLS_CERT_ALTNAME_INVALID]: …"
  /secure TLS connection/i, // Client network socket disconnected before secure TLS connection was established
  /SSL routines|\b(ssl|tls)v\d+ alert\b|wrong version number|handshake/i,
];

/**
 * The kind and cause of a failed attempt from a gRPC status code and its details, or undefined when
 * the status is not about connecting (etcd answered, e.g. "etcdserver: no leader"). Pure.
 */
export function classifyConnectFailure(
  code: GrpcStatus | undefined,
  details: string,
): { kind: ConnectFailureKind; detail: string } | undefined {
  if (code === GrpcStatus.DEADLINE_EXCEEDED) return { kind: 'timeout', detail: '' };
  if (code !== GrpcStatus.UNAVAILABLE) return undefined;
  if (details.startsWith('etcdserver:')) return undefined;
  if (/^Name resolution failed|ENOTFOUND|EAI_AGAIN|EAI_NONAME/.test(details)) {
    return { kind: 'dns', detail: '' };
  }
  const detail = causeOf(details);
  if (/ECONNREFUSED/.test(detail)) return { kind: 'refused', detail };
  if (/ETIMEDOUT/.test(detail)) return { kind: 'timeout', detail };
  if (TLS_PATTERNS.some((p) => p.test(detail))) return { kind: 'tls', detail };
  if (/^Connection dropped|ECONNRESET|EPIPE|GOAWAY|Connection closed/i.test(detail)) {
    return { kind: 'dropped', detail };
  }
  return { kind: 'other', detail };
}

/**
 * The cause inside grpc-js's wrapping: "No connection established. Last error: Error [CODE]: text.
 * Resolution note: …" → "text"; a timestamp grpc adds ("Failed to connect (2026-…Z)") is dropped so
 * that the same failure reads the same every time.
 */
function causeOf(details: string): string {
  let text = details;
  const last = /Last error: ([\s\S]*?)(?:\. Resolution note:[\s\S]*)?$/.exec(text);
  if (last?.[1] !== undefined) text = last[1];
  text = text
    .replace(/^(?:\w*Error)(?: \[[A-Z0-9_]+\])?: /, '')
    .replace(/\s*\(\d{4}-\d\d-\d\dT[\d:.]+Z\)/g, '')
    .trim();
  return text === 'null' ? '' : text;
}

/** The phrase for failures of one kind at `endpoints`, e.g. "connection refused by 127.0.0.1:2379". */
function describe(kind: ConnectFailureKind, detail: string, endpoints: string, timeoutMs: number): string {
  switch (kind) {
    case 'refused':
      return `connection refused by ${endpoints}`;
    case 'dns':
      return `cannot resolve the host name of ${endpoints} (DNS lookup failed)`;
    case 'timeout':
      return `no answer from ${endpoints} within ${formatSeconds(timeoutMs)} (timeout)`;
    case 'tls':
      return `TLS handshake with ${endpoints} failed: ${detail}`;
    case 'dropped':
      return `connection to ${endpoints} dropped: ${detail}`;
    case 'other':
      return detail ? `cannot connect to ${endpoints}: ${detail}` : `cannot connect to ${endpoints}`;
  }
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/**
 * No endpoint could be reached; `failures` says why for each one (in failover order). Its message
 * names every endpoint by kind, endpoints failing the same way together: "connection refused by
 * 127.0.0.1:2379, 127.0.0.1:2380; cannot resolve the host name of etcd-2:2379 (DNS lookup failed)".
 * An {@link UnavailableError}: whatever retries on Unavailable retries on it.
 */
export class EtcdConnectError extends UnavailableError {
  constructor(
    readonly failures: readonly ConnectFailure[],
    /** The deadline the attempts had, for the wording of timeouts. */
    readonly timeoutMs: number,
    options: { cause?: unknown } = {},
  ) {
    super(connectFailureMessage(failures, timeoutMs), options, GrpcStatus.UNAVAILABLE);
  }

  /** Whether some endpoint failed the TLS handshake (a configuration problem rather than an outage). */
  get isTlsFailure(): boolean {
    return this.failures.some((f) => f.kind === 'tls');
  }
}

/**
 * Whether a failure says nothing yet about reaching the endpoint now — a connection dropped under a
 * request (the member stopping, or a keepalive timeout), or a failure without a cause — so that a new
 * attempt is worth making before reporting it.
 */
export function isWorthAnotherAttempt(failure: { kind: ConnectFailureKind; detail: string }): boolean {
  return failure.kind === 'dropped' || (failure.kind === 'other' && failure.detail === '');
}

/** The message of an {@link EtcdConnectError}. Pure. */
export function connectFailureMessage(failures: readonly ConnectFailure[], timeoutMs: number): string {
  const groups = new Map<string, { kind: ConnectFailureKind; detail: string; endpoints: string[] }>();
  for (const f of failures) {
    const key = `${f.kind}\0${f.kind === 'timeout' || f.kind === 'refused' || f.kind === 'dns' ? '' : f.detail}`;
    const group = groups.get(key);
    if (group) group.endpoints.push(f.endpoint);
    else groups.set(key, { kind: f.kind, detail: f.detail, endpoints: [f.endpoint] });
  }
  return [...groups.values()]
    .map((g) => describe(g.kind, g.detail, g.endpoints.join(', '), timeoutMs))
    .join('; ');
}
