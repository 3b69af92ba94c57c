import type { KeyCase } from './types.js';

/**
 * A flat name cased as `keyCase` says: `upper` upper-cases ASCII `a`–`z` only. Other characters are
 * kept as they are: Unicode case mapping changes lengths and depends on the language (`ß` → `SS`,
 * Turkish `i`), and a non-ASCII env name is refused anyway (`InvalidEnvName`). Pure.
 */
export function casedName(name: string, keyCase: KeyCase = 'preserve'): string {
  return keyCase === 'upper' ? name.replace(/[a-z]+/g, (run) => run.toUpperCase()) : name;
}
