import { displayBytes } from './bytes.js';

/**
 * Why an etcd key cannot become a name in the ConfigMap.
 * - `outside-prefix`: the key does not start with the snapshot's prefix.
 * - `equals-prefix`: the key is the prefix itself, so there is no path to name it by.
 * - `empty-segment`: the path below the prefix has an empty segment — it starts or ends with `/`, or
 *   holds `//`. Empty segments are refused, not collapsed, so `a//b` never silently shadows `a/b`.
 * - `not-utf8`: the key is not valid UTF-8, and every name we produce is text.
 * - `illegal-characters`: (`files`) the ConfigMap key has characters outside `[-._a-zA-Z0-9]`.
 * - `too-long`: (`files`) the ConfigMap key is longer than 253 bytes.
 * - `dot-name`: (`files`) the ConfigMap key is `.` or `..` or starts with `..` (the kubelet would write
 *   it as a file name, so Kubernetes forbids these).
 * - `too-deep`: (`yaml`, `json`) the path has more than `MAX_TREE_DEPTH` segments; readers limit nesting
 *   (PyYAML and others recurse per level), and no real configuration nests that deep.
 */
export type InvalidKeyReason =
  | 'outside-prefix'
  | 'equals-prefix'
  | 'empty-segment'
  | 'not-utf8'
  | 'illegal-characters'
  | 'too-long'
  | 'dot-name'
  | 'too-deep';

/** An etcd key that cannot be mapped to a name. */
export interface InvalidKeyProblem {
  readonly kind: 'InvalidKey';
  readonly etcdKey: Buffer;
  /** Every reason that applies, in the order of {@link InvalidKeyReason}'s list. Never empty. */
  readonly reasons: readonly InvalidKeyReason[];
  /** The name the key mapped to, when mapping got that far (the `files` checks). */
  readonly mappedKey?: string;
}

/** Two or more etcd keys that map to the same name (e.g. `a/b` and `a.b` with separator `.`). */
export interface KeyCollisionProblem {
  readonly kind: 'KeyCollision';
  /** The shared name: a ConfigMap key, a properties key, an env name, or a tree path joined by `/`. */
  readonly mappedKey: string;
  /** All of the etcd keys that map to it, sorted by bytes. At least two. */
  readonly etcdKeys: readonly Buffer[];
}

/**
 * (`yaml`, `json`) A key holds a value and is also the parent of other keys (`a` and `a/b`): a tree
 * node cannot be both a string and an object. Reported as its own kind, naming the leaf and every key
 * below it, because the fix differs from a collision (move the value, not rename a key).
 */
export interface TreeConflictProblem {
  readonly kind: 'TreeConflict';
  /** The key that holds a value where the tree needs an object. */
  readonly etcdKey: Buffer;
  /** Every key below it, sorted by bytes. At least one. */
  readonly descendants: readonly Buffer[];
}

/** Why a value cannot be written in a rendered format. */
export type InvalidValueReason = 'not-utf8' | 'contains-nul' | 'not-json' | 'json-too-deep';

/**
 * A value a rendered format cannot carry: `not-utf8` (yaml, json, properties, env are text documents;
 * only `files` has `binaryData`), `contains-nul` (env: a process environment cannot hold NUL),
 * `not-json` / `json-too-deep` (yaml, json with `values: json`: not one JSON document — duplicate
 * member names and lone surrogates included — or nested deeper than `MAX_JSON_DEPTH`).
 */
export interface InvalidValueProblem {
  readonly kind: 'InvalidValue';
  readonly etcdKey: Buffer;
  readonly reason: InvalidValueReason;
}

/** (`env`) A mapped name that is not a portable environment variable name `[A-Za-z_][A-Za-z0-9_]*`. */
export interface InvalidEnvNameProblem {
  readonly kind: 'InvalidEnvName';
  readonly etcdKey: Buffer;
  readonly name: string;
}

/** The result is bigger than the ConfigMap may be; refused whole. */
export interface TooLargeProblem {
  readonly kind: 'TooLarge';
  /** The size as the API server counts it (see `RenderSuccess.byteCount`). */
  readonly byteCount: number;
  /** The limit that was exceeded (`RenderOptions.maxBytes`). */
  readonly limitBytes: number;
}

/** A render option that is missing or invalid — a spec problem, not a data problem. */
export interface InvalidOptionProblem {
  readonly kind: 'InvalidOption';
  readonly option: 'format' | 'key' | 'separator' | 'maxBytes' | 'values' | 'keyCase' | 'rewrite';
  readonly message: string;
}

/** Everything that can stop a snapshot from becoming a ConfigMap; branch on `kind`. */
export type Problem =
  | InvalidKeyProblem
  | KeyCollisionProblem
  | TreeConflictProblem
  | InvalidValueProblem
  | InvalidEnvNameProblem
  | TooLargeProblem
  | InvalidOptionProblem;

/** Every {@link Problem} `kind`, in the order `renderConfigMap` reports them. */
export const PROBLEM_KINDS = [
  'InvalidOption',
  'InvalidKey',
  'KeyCollision',
  'TreeConflict',
  'InvalidEnvName',
  'InvalidValue',
  'TooLarge',
] as const satisfies readonly Problem['kind'][];

/** A one-line, human-readable account of a problem, for condition messages, Events and logs. */
export function describeProblem(problem: Problem): string {
  switch (problem.kind) {
    case 'InvalidKey': {
      const mapped = problem.mappedKey === undefined ? '' : ` (as ${JSON.stringify(problem.mappedKey)})`;
      return `invalid key ${displayBytes(problem.etcdKey)}${mapped}: ${problem.reasons.join(', ')}`;
    }
    case 'KeyCollision':
      return `keys ${problem.etcdKeys.map(displayBytes).join(', ')} all map to ${JSON.stringify(problem.mappedKey)}`;
    case 'TreeConflict':
      return `key ${displayBytes(problem.etcdKey)} has a value and also keys below it: ${problem.descendants.map(displayBytes).join(', ')}`;
    case 'InvalidValue':
      return `value of ${displayBytes(problem.etcdKey)} cannot be rendered: ${problem.reason}`;
    case 'InvalidEnvName':
      return `key ${displayBytes(problem.etcdKey)} maps to ${JSON.stringify(problem.name)}, not a valid environment variable name`;
    case 'TooLarge':
      return `content is ${problem.byteCount} bytes, over the limit of ${problem.limitBytes} bytes`;
    case 'InvalidOption':
      return `invalid option ${problem.option}: ${problem.message}`;
  }
}

/**
 * All problems as one message of at most `maxChars` characters (Kubernetes caps condition messages at
 * 32768): as many whole descriptions as fit, then `… and N more`.
 */
export function summarizeProblems(problems: readonly Problem[], maxChars = 1024): string {
  let out = '';
  for (let i = 0; i < problems.length; i++) {
    const text = describeProblem(problems[i]!);
    const candidate = out === '' ? text : `${out}; ${text}`;
    const remaining = problems.length - i - 1;
    const suffix = remaining > 0 ? `; … and ${remaining} more` : '';
    if (candidate.length + suffix.length <= maxChars) {
      out = candidate;
      continue;
    }
    const more = `… and ${problems.length - i} more`;
    if (out === '') {
      // Not even one description fits whole: cut the first one short rather than say nothing.
      const room = Math.max(0, maxChars - more.length - 3);
      return `${text.slice(0, room)}…; ${more}`.slice(0, maxChars);
    }
    return `${out}; ${more}`.slice(0, maxChars);
  }
  return out;
}
