// Who is calling, and may they? TokenReview (authentication.k8s.io/v1) turns a bearer token into a user;
// SubjectAccessReview (authorization.k8s.io/v1) asks the API server's authorizer (RBAC) whether that user
// may do something. The delegated authentication and authorization of Kubernetes components, as
// controller-runtime's metrics filter uses them.
import { AuthenticationV1Api, AuthorizationV1Api, type KubeConfig } from '@kubernetes/client-node';
import { makeApiClient } from './api-client.js';
import { translate } from './errors.js';
import { requestOptions, type CallOptions } from './request-options.js';

/** An authenticated identity, as a TokenReview reports it and a SubjectAccessReview takes it. */
export interface ReviewedUser {
  readonly username: string;
  /** Empty when the authenticator gives none. */
  readonly uid: string;
  readonly groups: readonly string[];
  readonly extra: Readonly<Record<string, readonly string[]>>;
}

/** A TokenReview's verdict: the token's user, or why it was not accepted. */
export type TokenReviewResult =
  | { readonly authenticated: true; readonly user: ReviewedUser }
  /** `reason`: the authenticator's error, for logs only (never for the caller). */
  | { readonly authenticated: false; readonly reason: string };

/** A request on a non-resource URL, e.g. `{path: '/metrics', verb: 'get'}`. */
export interface NonResourceAccess {
  readonly path: string;
  readonly verb: string;
}

/** A SubjectAccessReview's verdict. Anything but an explicit allow is not allowed. */
export interface AccessReviewResult {
  readonly allowed: boolean;
  /** The authorizer's reason (RBAC names the binding that allowed), for logs. */
  readonly reason: string;
}

/** The two reviews, as an interface apart from the client so a test can answer them. */
export interface AccessReviewer {
  /**
   * Asks the API server who `token` is. Throws a `KubeApiError` when the API cannot answer (or refuses
   * the review itself, e.g. 403 without `create` on tokenreviews); a token it rejects is a result, not
   * an error.
   */
  reviewToken(token: string, options?: CallOptions): Promise<TokenReviewResult>;
  /** Asks the API server whether `user` may make `access`. Throws a `KubeApiError` as above. */
  reviewAccess(
    user: ReviewedUser,
    access: NonResourceAccess,
    options?: CallOptions,
  ): Promise<AccessReviewResult>;
}

/**
 * TokenReviews and SubjectAccessReviews through client-node. Each call is one create that the API server
 * answers and does not store. Fails closed: a reply without a clear `authenticated: true` or
 * `allowed: true` is a rejection.
 */
export class AccessReviewClient implements AccessReviewer {
  /** Generated clients of the two groups. */
  private readonly authentication: AuthenticationV1Api;
  private readonly authorization: AuthorizationV1Api;

  constructor(kubeConfig: KubeConfig) {
    this.authentication = makeApiClient(kubeConfig, AuthenticationV1Api);
    this.authorization = makeApiClient(kubeConfig, AuthorizationV1Api);
  }

  async reviewToken(token: string, options: CallOptions = {}): Promise<TokenReviewResult> {
    const review = await translate('create tokenreview', () =>
      this.authentication.createTokenReview(
        { body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } } },
        requestOptions(options.signal),
      ),
    );
    const status = review.status;
    const username = status?.user?.username ?? '';
    if (status?.authenticated !== true || username === '') {
      return { authenticated: false, reason: status?.error || 'token not authenticated' };
    }
    return {
      authenticated: true,
      user: {
        username,
        uid: status.user?.uid ?? '',
        groups: status.user?.groups ?? [],
        extra: status.user?.extra ?? {},
      },
    };
  }

  async reviewAccess(
    user: ReviewedUser,
    access: NonResourceAccess,
    options: CallOptions = {},
  ): Promise<AccessReviewResult> {
    const review = await translate(`create subjectaccessreview for ${access.verb} ${access.path}`, () =>
      this.authorization.createSubjectAccessReview(
        {
          body: {
            apiVersion: 'authorization.k8s.io/v1',
            kind: 'SubjectAccessReview',
            spec: {
              user: user.username,
              ...(user.uid !== '' ? { uid: user.uid } : {}),
              groups: [...user.groups],
              extra: Object.fromEntries(Object.entries(user.extra).map(([k, v]) => [k, [...v]])),
              nonResourceAttributes: { path: access.path, verb: access.verb },
            },
          },
        },
        requestOptions(options.signal),
      ),
    );
    const status = review.status;
    return {
      allowed: status?.allowed === true && status.denied !== true,
      reason: status?.reason ?? status?.evaluationError ?? '',
    };
  }
}
