// Who may read /metrics: the caller's bearer token goes to a TokenReview, the user it names to a
// SubjectAccessReview on the non-resource URL, as controller-runtime's
// filters.WithAuthenticationAndAuthorization does (Kubernetes' delegated authentication and
// authorization). 401 without a token or with one the API server does not accept; 403 when RBAC does not
// allow it; 503/500 when the API cannot answer, with no detail for the caller.
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { realClock, type Clock } from '../base/index.js';
import {
  isRetryable,
  type AccessReviewResult,
  type AccessReviewer,
  type NonResourceAccess,
  type ReviewedUser,
  type TokenReviewResult,
} from '../kube/index.js';
import { silentLogger, type Logger } from '../observability/index.js';
import { ExpiringCache } from './expiring-cache.js';
import type { HttpAnswer, Route } from './http-endpoint.js';

/** How long an accepted token's user is reused (controller-runtime's token cache: 1 min). */
export const DEFAULT_AUTHENTICATED_TTL_MS = 60_000;
/** How long a rejected token stays rejected without asking again. */
export const DEFAULT_UNAUTHENTICATED_TTL_MS = 10_000;
/** How long an allow is reused: a revoked ClusterRoleBinding stops scrapes within this. */
export const DEFAULT_ALLOWED_TTL_MS = 60_000;
/** How long a refusal is reused: a new binding takes effect within this. */
export const DEFAULT_DENIED_TTL_MS = 10_000;
/** Entries each cache keeps at most (least recently used go first). */
export const DEFAULT_MAX_CACHE_ENTRIES = 1_024;
/** Reviews waiting for the API server at most; past it a request gets 503 without asking. */
export const DEFAULT_MAX_PENDING_REVIEWS = 64;
/** A review the API server has not answered in this long fails its request with 503. */
export const DEFAULT_REVIEW_TIMEOUT_MS = 10_000;

/** Options of {@link MetricsAccessFilter}; TTLs and limits have the defaults above. */
export interface MetricsAccessOptions {
  /** Answers TokenReviews and SubjectAccessReviews (the kube layer's AccessReviewClient). Required. */
  reviewer: AccessReviewer;
  /** Default the wall clock. */
  clock?: Clock;
  /** Default silent. */
  logger?: Logger;
  authenticatedTtlMs?: number;
  unauthenticatedTtlMs?: number;
  allowedTtlMs?: number;
  deniedTtlMs?: number;
  maxCacheEntries?: number;
  maxPendingReviews?: number;
  reviewTimeoutMs?: number;
}

/** The filter's verdict on one request. */
export type AccessVerdict =
  | { readonly allowed: true; readonly user: string }
  | { readonly allowed: false; readonly answer: HttpAnswer };

/** Which review could not be had. */
export type ReviewStage = 'authentication' | 'authorization';

/** A review that got no verdict: the API failed, timed out, or too many were pending. */
class ReviewUnavailable extends Error {
  override readonly name = 'ReviewUnavailable';
  constructor(
    readonly stage: ReviewStage,
    /** Whether asking again later may work (API down, throttled, timed out, too many pending). */
    readonly isTransient: boolean,
    options?: { cause?: unknown },
  ) {
    super(`${stage} review unavailable`, options);
  }
}

/**
 * The bearer token of an `Authorization` header (`Bearer <token>`, scheme case-insensitive), or
 * undefined when there is none. Pure.
 */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? '');
  return match?.[1];
}

const UNAUTHORIZED: HttpAnswer = {
  status: 401,
  headers: { 'WWW-Authenticate': 'Bearer' },
  body: 'Unauthorized\n',
};

/**
 * The answer to a request whose review got no verdict: 503 (try again) when it may heal, 500 otherwise
 * (e.g. the operator may not create reviews). Never says why: that goes to the operator's log. Pure.
 */
export function unavailableAnswer(stage: ReviewStage, isTransient: boolean): HttpAnswer {
  const what = stage === 'authentication' ? 'Authentication' : 'Authorization';
  return isTransient
    ? { status: 503, headers: { 'Retry-After': '5' }, body: `${what} unavailable, retry later\n` }
    : { status: 500, body: `${what} failed\n` };
}

/** The verb a request method asks for (HEAD reads what GET reads). */
function verbOf(method: string | undefined): string {
  return method === 'HEAD' ? 'get' : (method ?? 'GET').toLowerCase();
}

function tokenKey(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function accessKey(user: ReviewedUser, access: NonResourceAccess): string {
  const extra = Object.entries(user.extra)
    .map(([k, v]) => [k, [...v].sort()] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([user.username, user.uid, [...user.groups].sort(), extra, access.path, access.verb]);
}

/**
 * Decides who may read a path: authenticates the bearer token with a TokenReview, authorizes the user
 * with a SubjectAccessReview (`nonResourceAttributes: {path, verb}`). Verdicts are cached (accepts and
 * rejections, each with its TTL, bounded in size); failures are not. Concurrent requests with the same
 * token share one review. A review is bounded in time and in number, so a flood of made-up tokens
 * neither piles up requests to the API server nor holds the process. `close()` aborts pending reviews.
 */
export class MetricsAccessFilter {
  /** Asks the API server; the only way a verdict is made. */
  private readonly reviewer: AccessReviewer;
  /** Expiry of cached verdicts and the review timeout. */
  private readonly clock: Clock;
  private readonly logger: Logger;
  /** How long each kind of verdict is reused (ms, >= 0; 0: not cached). */
  private readonly ttl: { authenticated: number; unauthenticated: number; allowed: number; denied: number };
  /** `pending.size` never exceeds this. */
  private readonly maxPendingReviews: number;
  /** A review is aborted this long after it started. */
  private readonly reviewTimeoutMs: number;
  /** sha256(token) → TokenReview verdict. Tokens themselves are never kept. */
  private readonly tokens: ExpiringCache<TokenReviewResult>;
  /** user + path + verb → SubjectAccessReview verdict. */
  private readonly decisions: ExpiringCache<AccessReviewResult>;
  /** Reviews in flight by cache key: a second asker waits for the same answer. */
  private readonly pending = new Map<string, Promise<TokenReviewResult | AccessReviewResult>>();
  /** Aborted by close(): ends every pending review. */
  private readonly lifetime = new AbortController();

  constructor(options: MetricsAccessOptions) {
    if (!options.reviewer) throw new TypeError('MetricsAccessFilter: set options.reviewer');
    this.reviewer = options.reviewer;
    this.clock = options.clock ?? realClock;
    this.logger = options.logger ?? silentLogger;
    this.ttl = {
      authenticated: options.authenticatedTtlMs ?? DEFAULT_AUTHENTICATED_TTL_MS,
      unauthenticated: options.unauthenticatedTtlMs ?? DEFAULT_UNAUTHENTICATED_TTL_MS,
      allowed: options.allowedTtlMs ?? DEFAULT_ALLOWED_TTL_MS,
      denied: options.deniedTtlMs ?? DEFAULT_DENIED_TTL_MS,
    };
    for (const [name, ms] of Object.entries(this.ttl))
      if (!(ms >= 0)) throw new RangeError(`MetricsAccessFilter: the ${name} TTL must be >= 0`);
    this.maxPendingReviews = options.maxPendingReviews ?? DEFAULT_MAX_PENDING_REVIEWS;
    this.reviewTimeoutMs = options.reviewTimeoutMs ?? DEFAULT_REVIEW_TIMEOUT_MS;
    if (!(this.maxPendingReviews >= 1))
      throw new RangeError('MetricsAccessFilter: maxPendingReviews must be >= 1');
    if (!(this.reviewTimeoutMs > 0)) throw new RangeError('MetricsAccessFilter: reviewTimeoutMs must be > 0');
    const maxEntries = options.maxCacheEntries ?? DEFAULT_MAX_CACHE_ENTRIES;
    this.tokens = new ExpiringCache({ maxEntries, clock: this.clock });
    this.decisions = new ExpiringCache({ maxEntries, clock: this.clock });
  }

  /** Wraps `route`: it runs only for a request the filter allows; others get the filter's answer. */
  guard(route: Route): Route {
    return async (req) => {
      const verdict = await this.check(req);
      return verdict.allowed ? route(req) : verdict.answer;
    };
  }

  /** The verdict on one request: its `Authorization` header, method and path. Never throws. */
  async check(req: Pick<IncomingMessage, 'headers' | 'method' | 'url'>): Promise<AccessVerdict> {
    const token = bearerToken(req.headers.authorization);
    if (token === undefined) return { allowed: false, answer: UNAUTHORIZED };
    const access: NonResourceAccess = {
      path: (req.url ?? '/').split('?')[0] ?? '/',
      verb: verbOf(req.method),
    };
    try {
      const identity = await this.authenticate(token);
      if (!identity.authenticated) {
        this.logger.debug('metrics request unauthenticated', { reason: identity.reason });
        return { allowed: false, answer: UNAUTHORIZED };
      }
      const decision = await this.authorize(identity.user, access);
      if (!decision.allowed) {
        this.logger.debug('metrics request forbidden', { user: identity.user.username, path: access.path });
        return {
          allowed: false,
          answer: {
            status: 403,
            body: `Authorization denied for user ${identity.user.username} (${access.verb} ${access.path})\n`,
          },
        };
      }
      return { allowed: true, user: identity.user.username };
    } catch (err) {
      const failure =
        err instanceof ReviewUnavailable
          ? err
          : new ReviewUnavailable('authorization', false, { cause: err });
      const cause = failure.cause instanceof Error ? failure.cause : failure;
      this.logger.error('metrics access review failed', {
        stage: failure.stage,
        transient: failure.isTransient,
        error: cause.message,
      });
      return { allowed: false, answer: unavailableAnswer(failure.stage, failure.isTransient) };
    }
  }

  /** Ends pending reviews (their requests get 503). Idempotent. */
  close(): void {
    this.lifetime.abort();
  }

  private async authenticate(token: string): Promise<TokenReviewResult> {
    const key = `t:${tokenKey(token)}`;
    const cached = this.tokens.get(key);
    if (cached) return cached;
    const result = await this.review('authentication', key, (signal) =>
      this.reviewer.reviewToken(token, { signal }),
    );
    this.tokens.set(key, result, result.authenticated ? this.ttl.authenticated : this.ttl.unauthenticated);
    return result;
  }

  private async authorize(user: ReviewedUser, access: NonResourceAccess): Promise<AccessReviewResult> {
    const key = `a:${accessKey(user, access)}`;
    const cached = this.decisions.get(key);
    if (cached) return cached;
    const result = await this.review('authorization', key, (signal) =>
      this.reviewer.reviewAccess(user, access, { signal }),
    );
    this.decisions.set(key, result, result.allowed ? this.ttl.allowed : this.ttl.denied);
    return result;
  }

  /**
   * Runs one review under `key`, or joins the one already pending under it; bounded by the pending
   * limit and the timeout. Throws {@link ReviewUnavailable} when there is no verdict.
   */
  private review<T extends TokenReviewResult | AccessReviewResult>(
    stage: ReviewStage,
    key: string,
    call: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const joined = this.pending.get(key) as Promise<T> | undefined;
    if (joined) return joined;
    if (this.lifetime.signal.aborted) return Promise.reject(new ReviewUnavailable(stage, true));
    if (this.pending.size >= this.maxPendingReviews) {
      return Promise.reject(
        new ReviewUnavailable(stage, true, { cause: new Error('too many access reviews pending') }),
      );
    }
    // Started on the next microtask, so that it is in `pending` before it can end.
    const run = Promise.resolve()
      .then(() => this.timedReview(stage, call))
      .finally(() => this.pending.delete(key));
    this.pending.set(key, run);
    return run;
  }

  /** One review with the timeout; a failure becomes {@link ReviewUnavailable}. */
  private async timedReview<T>(stage: ReviewStage, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const timeout = new AbortController();
    const cancelTimer = this.clock.setTimer(
      () => timeout.abort(new Error(`no answer within ${this.reviewTimeoutMs} ms`)),
      this.reviewTimeoutMs,
    );
    const signal = AbortSignal.any([timeout.signal, this.lifetime.signal]);
    try {
      return await call(signal);
    } catch (err) {
      throw new ReviewUnavailable(stage, signal.aborted || isRetryable(err), { cause: err });
    } finally {
      cancelTimer();
    }
  }
}
