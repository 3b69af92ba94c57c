// What a user can do about render problems: the condition message names the keys (src/sync), this
// says how to fix them, so `kubectl describe psync` is enough to act on.
import type { Problem } from '../../sync/index.js';

/** How to fix one kind of problem; undefined when the problem's own text says it all. */
function hintFor(problem: Problem): string | undefined {
  switch (problem.kind) {
    case 'InvalidKey':
      return problem.reasons.includes('illegal-characters') ||
        problem.reasons.includes('too-long') ||
        problem.reasons.includes('dot-name')
        ? 'a ConfigMap key may hold only letters, digits, "-", "_" and "." (at most 253 characters): rename or delete that key in etcd'
        : 'rename or delete that key in etcd';
    case 'KeyCollision':
      return 'rename one of the keys in etcd, or choose another spec.keys.separator';
    case 'TreeConflict':
      return 'a key cannot hold a value and have keys below it in format yaml or json: rename one in etcd, or use format files';
    case 'InvalidEnvName':
      return 'environment variable names allow only ASCII letters, digits and "_" and do not start with a digit: use spec.keys.separator "_" (the default for env: leave it unset) so that nested keys join with "_", or rename the key in etcd';
    case 'InvalidValue':
      return problem.reason === 'not-json' || problem.reason === 'json-too-deep'
        ? 'with target.values JSON every value must be one JSON document (a string in quotes: "text"): fix that value in etcd, or use values Auto or String'
        : 'change that value in etcd, or use format files';
    case 'TooLarge':
      return 'a ConfigMap holds at most 1 MiB: mirror a narrower prefix, or split it across several PrefixSyncs';
    case 'InvalidOption':
      return 'fix the PrefixSync spec';
  }
}

/**
 * The condition/Event message for render problems: `summary` (which keys, from src/sync) followed by
 * what to do about them, once per distinct hint, and that the ConfigMap keeps its last good content.
 */
export function explainProblems(problems: readonly Problem[], summary: string): string {
  const hints = [...new Set(problems.map(hintFor).filter((h): h is string => h !== undefined))];
  const keeps = 'the ConfigMap keeps its last good content until then';
  return hints.length === 0 ? summary : `${summary}. To fix: ${hints.join('; ')} (${keeps})`;
}
