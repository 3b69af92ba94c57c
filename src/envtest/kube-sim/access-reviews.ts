// TokenReview (authentication.k8s.io/v1) and SubjectAccessReview (authorization.k8s.io/v1): create-only
// virtual resources, answered from a table of tokens and allow rules. As on kube-apiserver, a POST returns
// the review with `status` filled in and stores nothing.
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { clone, isObject, objectAt, stringAt, type JsonObject } from './json.js';
import { decodeBody } from './request-body.js';
import type { ResourceType } from './resource-type.js';
import { badRequest, invalid, type FieldError } from './status-error.js';

/** One authenticated identity, as a TokenReview reports it. */
export interface SimUser {
  readonly username: string;
  readonly uid?: string;
  /** `system:authenticated` is added to every authenticated user's groups, as a real server does. */
  readonly groups?: readonly string[];
  readonly extra?: Readonly<Record<string, readonly string[]>>;
}

/**
 * One allow rule: an RBAC PolicyRule together with the subjects it is bound to. `*` matches anything in
 * every list; a non-resource URL ending in `*` matches by prefix (as RBAC does). Nothing is allowed that
 * no rule allows.
 */
export interface SimAccessRule {
  /** User names the rule applies to. */
  readonly users?: readonly string[];
  /** Groups the rule applies to (any one of the user's groups). */
  readonly groups?: readonly string[];
  readonly verbs: readonly string[];
  /** Non-resource paths, e.g. `/metrics`. */
  readonly nonResourceURLs?: readonly string[];
  /** API groups of resource requests (`''` is the core group). */
  readonly apiGroups?: readonly string[];
  /** Resources of resource requests, `resource` or `resource/subresource`. */
  readonly resources?: readonly string[];
}

/** The table the simulator's reviews are answered from: bearer tokens, and who may do what. */
export interface SimAccess {
  /** Bearer token → the user it authenticates; any other token is not authenticated. */
  readonly tokens: Readonly<Record<string, SimUser>>;
  readonly rules: readonly SimAccessRule[];
}

/** The token `KubeSim.kubeConfig()` and `kubeconfigYaml()` authenticate with. */
export const KUBECONFIG_TOKEN = 'kube-sim';

/**
 * The default table: the kubeconfig's own token is an administrator (`system:masters`, allowed
 * everything); any other token is not authenticated.
 */
export const DEFAULT_SIM_ACCESS: SimAccess = Object.freeze({
  tokens: Object.freeze({
    [KUBECONFIG_TOKEN]: Object.freeze({
      username: 'kube-sim:admin',
      uid: 'kube-sim-admin',
      groups: Object.freeze(['system:masters']),
    }),
  }),
  rules: Object.freeze([
    Object.freeze({
      groups: Object.freeze(['system:masters']),
      verbs: Object.freeze(['*']),
      apiGroups: Object.freeze(['*']),
      resources: Object.freeze(['*']),
      nonResourceURLs: Object.freeze(['*']),
    }),
  ]),
});

const AUTHENTICATED_GROUP = 'system:authenticated';

function stringList(v: unknown, where: string): string[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string'))
    throw new TypeError(`${where} must be a list of strings`);
  return [...(v as string[])];
}

/**
 * Checks a table read from JSON or YAML (the `sim` command's `--access-file`) and returns it typed;
 * throws a TypeError that names the field at fault.
 */
export function parseSimAccess(value: unknown): SimAccess {
  if (!isObject(value)) throw new TypeError('the access table must be an object with tokens and rules');
  const tokensIn = value['tokens'] ?? {};
  if (!isObject(tokensIn)) throw new TypeError('tokens must map each token to a user');
  const tokens: Record<string, SimUser> = {};
  for (const [token, user] of Object.entries(tokensIn)) {
    const where = `tokens[${JSON.stringify(token)}]`;
    if (token === '') throw new TypeError('tokens: a token must not be empty');
    if (!isObject(user) || typeof user['username'] !== 'string' || user['username'] === '')
      throw new TypeError(`${where}.username must be a non-empty string`);
    if (user['uid'] !== undefined && typeof user['uid'] !== 'string')
      throw new TypeError(`${where}.uid must be a string`);
    const extraIn = user['extra'] ?? {};
    if (!isObject(extraIn)) throw new TypeError(`${where}.extra must map keys to lists of strings`);
    const extra: Record<string, string[]> = {};
    for (const [k, v] of Object.entries(extraIn)) extra[k] = stringList(v, `${where}.extra.${k}`) ?? [];
    tokens[token] = {
      username: user['username'],
      ...(typeof user['uid'] === 'string' ? { uid: user['uid'] } : {}),
      groups: stringList(user['groups'], `${where}.groups`) ?? [],
      ...(Object.keys(extra).length > 0 ? { extra } : {}),
    };
  }
  const rulesIn = value['rules'] ?? [];
  if (!Array.isArray(rulesIn)) throw new TypeError('rules must be a list');
  const rules = rulesIn.map((rule: unknown, i): SimAccessRule => {
    const where = `rules[${i}]`;
    if (!isObject(rule)) throw new TypeError(`${where} must be an object`);
    const verbs = stringList(rule['verbs'], `${where}.verbs`);
    if (!verbs || verbs.length === 0) throw new TypeError(`${where}.verbs must name at least one verb`);
    const out: Record<string, string[]> = { verbs };
    for (const key of ['users', 'groups', 'nonResourceURLs', 'apiGroups', 'resources'] as const) {
      const list = stringList(rule[key], `${where}.${key}`);
      if (list) out[key] = list;
    }
    if (!out['users'] && !out['groups']) throw new TypeError(`${where} must name users or groups`);
    return out as unknown as SimAccessRule;
  });
  return { tokens, rules };
}

/**
 * Reads an access table from a YAML or JSON file (`sim --access-file`). Throws a TypeError naming the
 * file and what is wrong with it (unreadable, not YAML, or a malformed table).
 */
export async function readSimAccessFile(path: string): Promise<SimAccess> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new TypeError(`${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  try {
    return parseSimAccess(parseYaml(text) as unknown);
  } catch (err) {
    throw new TypeError(`${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/** What a SubjectAccessReview asks: who, and either a resource or a non-resource request. */
interface AccessQuestion {
  readonly user: string;
  readonly groups: readonly string[];
  readonly verb: string;
  readonly path?: string;
  readonly apiGroup?: string;
  readonly resource?: string;
}

function anyMatch(list: readonly string[] | undefined, value: string): boolean {
  return list !== undefined && (list.includes('*') || list.includes(value));
}

function urlMatches(patterns: readonly string[] | undefined, path: string): boolean {
  return (patterns ?? []).some(
    (p) => p === '*' || p === path || (p.endsWith('*') && path.startsWith(p.slice(0, -1))),
  );
}

/** The index of the first rule that allows `q`, or -1. */
function allowingRule(rules: readonly SimAccessRule[], q: AccessQuestion): number {
  return rules.findIndex((r) => {
    const subject = anyMatch(r.users, q.user) || q.groups.some((g) => anyMatch(r.groups, g));
    if (!subject || !anyMatch(r.verbs, q.verb)) return false;
    if (q.path !== undefined) return urlMatches(r.nonResourceURLs, q.path);
    return anyMatch(r.apiGroups, q.apiGroup ?? '') && anyMatch(r.resources, q.resource ?? '');
  });
}

/** The two review kinds, by `group/plural`. */
const REVIEW_KINDS: Readonly<Record<string, 'TokenReview' | 'SubjectAccessReview'>> = {
  'authentication.k8s.io/tokenreviews': 'TokenReview',
  'authorization.k8s.io/subjectaccessreviews': 'SubjectAccessReview',
};

/**
 * Answers TokenReviews and SubjectAccessReviews from a {@link SimAccess} table that can be replaced
 * while the simulator runs. Stores nothing.
 */
export class AccessReviews {
  /** The table in force; replaced whole by `setAccess`. */
  private access: SimAccess;

  constructor(access: SimAccess = DEFAULT_SIM_ACCESS) {
    this.access = parseSimAccess(access);
  }

  /** Replaces the table (checked first: a TypeError leaves the old one in force). */
  setAccess(access: SimAccess): void {
    this.access = parseSimAccess(access);
  }

  /** Whether `type` is one of the review kinds (create-only, never stored). */
  handles(type: ResourceType): boolean {
    return REVIEW_KINDS[`${type.group}/${type.plural}`] !== undefined;
  }

  /** Answers a POST of a review (201 with the review and its status); throws ApiError for a bad body. */
  answer(type: ResourceType, body: unknown): JsonObject {
    const review = decodeBody(type, body);
    const spec = objectAt(review, 'spec') ?? {};
    const status =
      REVIEW_KINDS[`${type.group}/${type.plural}`] === 'TokenReview'
        ? this.tokenStatus(spec)
        : this.accessStatus(type, spec);
    return {
      kind: type.kind,
      apiVersion: review['apiVersion'],
      metadata: { ...objectAt(review, 'metadata'), creationTimestamp: null },
      spec,
      status,
    };
  }

  private tokenStatus(spec: JsonObject): JsonObject {
    const token = stringAt(spec, 'token') ?? '';
    if (token === '') throw badRequest('token is required for TokenReview in authentication');
    const user = Object.hasOwn(this.access.tokens, token) ? this.access.tokens[token] : undefined;
    if (!user) return { user: {}, error: 'invalid bearer token' };
    const groups = [...(user.groups ?? [])];
    if (!groups.includes(AUTHENTICATED_GROUP)) groups.push(AUTHENTICATED_GROUP);
    return {
      authenticated: true,
      user: {
        username: user.username,
        ...(user.uid !== undefined ? { uid: user.uid } : {}),
        groups,
        ...(user.extra ? { extra: clone(user.extra) } : {}),
      },
      ...(Array.isArray(spec['audiences']) ? { audiences: clone(spec['audiences']) } : {}),
    };
  }

  private accessStatus(type: ResourceType, spec: JsonObject): JsonObject {
    const resourceAttributes = objectAt(spec, 'resourceAttributes');
    const nonResourceAttributes = objectAt(spec, 'nonResourceAttributes');
    const user = stringAt(spec, 'user') ?? '';
    const groups = Array.isArray(spec['groups'])
      ? spec['groups'].filter((g): g is string => typeof g === 'string')
      : [];
    // The field checks of upstream ValidateSubjectAccessReviewSpec.
    const errors: FieldError[] = [];
    if (resourceAttributes && nonResourceAttributes)
      errors.push({
        field: 'spec.nonResourceAttributes',
        reason: 'FieldValueInvalid',
        message: 'Invalid value: "object": cannot be specified in combination with resourceAttributes',
      });
    if (!resourceAttributes && !nonResourceAttributes)
      errors.push({
        field: 'spec.resourceAttributes',
        reason: 'FieldValueInvalid',
        message:
          'Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified',
      });
    if (user === '' && groups.length === 0)
      errors.push({
        field: 'spec.user',
        reason: 'FieldValueInvalid',
        message: 'Invalid value: "": at least one of user or group must be specified',
      });
    if (errors.length > 0) throw invalid(type.kind, type.group, '', errors);
    const question: AccessQuestion = nonResourceAttributes
      ? {
          user,
          groups,
          verb: stringAt(nonResourceAttributes, 'verb') ?? '',
          path: stringAt(nonResourceAttributes, 'path') ?? '',
        }
      : {
          user,
          groups,
          verb: stringAt(resourceAttributes, 'verb') ?? '',
          apiGroup: stringAt(resourceAttributes, 'group') ?? '',
          resource: [stringAt(resourceAttributes, 'resource'), stringAt(resourceAttributes, 'subresource')]
            .filter((s) => s !== undefined && s !== '')
            .join('/'),
        };
    const rule = allowingRule(this.access.rules, question);
    // Like RBAC: an allow names what allowed it; anything else is "no opinion" (not allowed, not denied).
    return rule >= 0 ? { allowed: true, reason: `kube-sim: allowed by rules[${rule}]` } : { allowed: false };
  }
}
