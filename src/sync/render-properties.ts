import { decodeUtf8 } from './bytes.js';
import { casedName } from './key-case.js';
import { joinPath } from './key-mapping.js';
import { uniqueNames } from './mapped-entry.js';
import type { MappedEntry } from './mapped-entry.js';
import type { Problem } from './problems.js';
import type { KeyCase } from './types.js';

// Units that Properties.store escapes (besides spaces, handled apart): its special characters, and
// everything outside printable ASCII — UTF-16 units, so a surrogate pair becomes two escapes.
const NEEDS_ESCAPE = /[\\=:#!\t\n\r\f]|[^\x20-\x7e]/g;

function escapeUnit(unit: string): string {
  switch (unit) {
    case '\t':
      return '\\t';
    case '\n':
      return '\\n';
    case '\r':
      return '\\r';
    case '\f':
      return '\\f';
    case '\\':
    case '=':
    case ':':
    case '#':
    case '!':
      return `\\${unit}`;
  }
  return `\\u${unit.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * Escapes text as `java.util.Properties.store` does: `\` `=` `:` `#` `!` get a backslash; tab, newline,
 * carriage return and form feed their letter escapes; every other UTF-16 unit outside printable ASCII
 * becomes `\uXXXX`. Spaces are escaped everywhere in a key, but in a value only in first position
 * (where the reader would otherwise skip them).
 */
function escapeProperties(text: string, isKey: boolean): string {
  const escaped = text.replace(NEEDS_ESCAPE, escapeUnit);
  if (isKey) return escaped.replaceAll(' ', '\\ ');
  return escaped.startsWith(' ') ? `\\${escaped}` : escaped;
}

/**
 * `properties`: one `key=value` line per etcd key, the key its path joined by `separator` (dotted
 * keys by default), lines in code point order of keys, each ending in `\n`; an empty prefix is an
 * empty document. Pure ASCII, so Java readers that assume ISO-8859-1 (`Properties.load(InputStream)`,
 * Spring) and those that assume UTF-8 read the same text. Values must be UTF-8 (`InvalidValue`).
 */
export function renderProperties(
  entries: readonly MappedEntry[],
  separator: string,
  keyCase: KeyCase = 'preserve',
): { ok: true; text: string } | { ok: false; problems: Problem[] } {
  const nameOf = (segments: readonly string[]): string => casedName(joinPath(segments, separator), keyCase);
  const { named, collisions } = uniqueNames(entries, (e) => nameOf(e.segments));
  const problems: Problem[] = [...collisions];
  let text = '';
  for (const entry of entries) {
    if (decodeUtf8(entry.value) === undefined) {
      problems.push({ kind: 'InvalidValue', etcdKey: entry.etcdKey, reason: 'not-utf8' });
    }
  }
  if (problems.length > 0) return { ok: false, problems };
  for (const { name, entry } of named) {
    text += `${escapeProperties(name, true)}=${escapeProperties(entry.value.toString('utf8'), false)}\n`;
  }
  return { ok: true, text };
}
