// Key globs of spec.validation.schemas: `*` any run of characters (none included), `?` exactly one,
// everything else literal; the whole key must match.

/** A predicate for ConfigMap keys matching `glob`. */
export function keyGlob(glob: string): (key: string) => boolean {
  let source = '';
  for (const ch of glob) {
    if (ch === '*') source += '.*';
    else if (ch === '?') source += '.';
    else source += ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  const re = new RegExp(`^${source}$`, 's');
  return (key) => re.test(key);
}
