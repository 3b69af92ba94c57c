// Rules for etcd key prefixes in PrefixSync.spec.prefix and ClusterEtcdSource access rules. A prefix is a
// path of segments between slashes: `/config/app/`. Keeping it in this one normal form makes "is this
// prefix allowed" a plain startsWith on whole segments.

/** Longest prefix accepted, in characters (the CRDs' maxLength). */
export const PREFIX_MAX_LENGTH = 512;

// eslint-disable-next-line no-control-regex -- control characters are exactly what this refuses
const CONTROL = /[\x00-\x1f\x7f]/;

/**
 * Why `prefix` is not a prefix in normal form, or undefined when it is: it starts and ends with `/`, has
 * no empty, `.` or `..` segment, no control character and at most {@link PREFIX_MAX_LENGTH} characters.
 * The message suggests the normal form when one exists.
 */
export function prefixProblem(prefix: string): string | undefined {
  if (prefix.length === 0) return 'must not be empty';
  if (prefix.length > PREFIX_MAX_LENGTH) return `must be at most ${PREFIX_MAX_LENGTH} characters`;
  if (CONTROL.test(prefix)) return 'must not contain control characters';
  const hint = (): string => {
    const normal = normalizePrefix(prefix);
    return normal === undefined ? '' : ` (did you mean ${normal}?)`;
  };
  if (!prefix.startsWith('/') || !prefix.endsWith('/')) return `must start and end with '/'${hint()}`;
  const segments = prefix.slice(1, -1).split('/');
  if (prefix !== '/' && segments.includes('')) return `must not contain an empty segment ('//')${hint()}`;
  if (segments.some((s) => s === '.' || s === '..')) return "must not contain '.' or '..' segments";
  return undefined;
}

/**
 * The normal form of a sloppily written prefix (`config//app` → `/config/app/`), or undefined when it
 * has `..` segments or control characters, whose intent cannot be guessed. Suggestions only: the
 * operator never rewrites a spec.
 */
export function normalizePrefix(text: string): string | undefined {
  if (CONTROL.test(text)) return undefined;
  const segments = text.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) return undefined;
  return segments.length === 0 ? '/' : `/${segments.join('/')}/`;
}

/** True when every key under `inner` is also under `outer` (both in normal form). */
export function isPrefixWithin(inner: string, outer: string): boolean {
  return inner.startsWith(outer);
}
