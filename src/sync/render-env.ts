import { decodeUtf8 } from './bytes.js';
import { casedName } from './key-case.js';
import { joinPath } from './key-mapping.js';
import { uniqueNames } from './mapped-entry.js';
import type { MappedEntry } from './mapped-entry.js';
import type { Problem } from './problems.js';
import type { KeyCase } from './types.js';

// A portable (POSIX) environment variable name. Case is kept as it is in etcd unless `keyCase: upper`
// asks otherwise (then `db_host` and `DB_HOST` collide, reported as KeyCollision).
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Single-quotes text for a POSIX shell: everything inside is literal; `'` itself becomes `'\''`. */
function shellQuote(text: string): string {
  return `'${text.replaceAll("'", "'\\''")}'`;
}

/**
 * `env`: one `NAME='value'` line per etcd key, in the syntax of a POSIX shell (`set -a; . ./file`),
 * lines in name order, each ending in `\n`; an empty prefix is an empty document. The name is the
 * path joined by `separator` (`_` by default for env, see the API defaults; `.` never makes a valid
 * name), cased as `keyCase` says (see `casedName`), and must match `[A-Za-z_][A-Za-z0-9_]*`
 * (`InvalidEnvName`). Values are always
 * single-quoted, so spaces, `$`, backslashes, quotes and newlines arrive literally; they must be UTF-8
 * and free of NUL, which no environment can hold (`InvalidValue`). Not for `docker --env-file`, which
 * has no quoting at all.
 */
export function renderEnv(
  entries: readonly MappedEntry[],
  separator: string,
  keyCase: KeyCase = 'preserve',
): { ok: true; text: string } | { ok: false; problems: Problem[] } {
  const nameOf = (segments: readonly string[]): string => casedName(joinPath(segments, separator), keyCase);
  const { named, collisions } = uniqueNames(entries, (e) => nameOf(e.segments));
  const problems: Problem[] = [...collisions];
  for (const entry of entries) {
    const name = nameOf(entry.segments);
    if (!ENV_NAME.test(name)) problems.push({ kind: 'InvalidEnvName', etcdKey: entry.etcdKey, name });
    const text = decodeUtf8(entry.value);
    if (text === undefined)
      problems.push({ kind: 'InvalidValue', etcdKey: entry.etcdKey, reason: 'not-utf8' });
    else if (text.includes('\0')) {
      problems.push({ kind: 'InvalidValue', etcdKey: entry.etcdKey, reason: 'contains-nul' });
    }
  }
  if (problems.length > 0) return { ok: false, problems };
  let text = '';
  for (const { name, entry } of named) text += `${name}=${shellQuote(entry.value.toString('utf8'))}\n`;
  return { ok: true, text };
}
