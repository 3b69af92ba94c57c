import { decodeUtf8 } from './bytes.js';
import { joinPath } from './key-mapping.js';
import { uniqueNames } from './mapped-entry.js';
import type { MappedEntry } from './mapped-entry.js';
import type { Problem } from './problems.js';

/**
 * Escapes text as `java.util.Properties.store` does, UTF-16 unit by unit: `\` `=` `:` `#` `!` get a
 * backslash; tab, newline, carriage return and form feed their letter escapes; every other unit
 * outside printable ASCII becomes `\uXXXX` (a surrogate pair as two). Spaces are escaped everywhere in
 * a key, but only in first position in a value (where the reader would otherwise skip them).
 */
function escapeProperties(text: string, isKey: boolean): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    const ch = text[i]!;
    switch (ch) {
      case ' ':
        out += isKey || i === 0 ? '\\ ' : ' ';
        continue;
      case '\\':
      case '=':
      case ':':
      case '#':
      case '!':
        out += `\\${ch}`;
        continue;
      case '\t':
        out += '\\t';
        continue;
      case '\n':
        out += '\\n';
        continue;
      case '\r':
        out += '\\r';
        continue;
      case '\f':
        out += '\\f';
        continue;
    }
    out += unit < 0x20 || unit > 0x7e ? `\\u${unit.toString(16).toUpperCase().padStart(4, '0')}` : ch;
  }
  return out;
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
): { ok: true; text: string } | { ok: false; problems: Problem[] } {
  const { named, collisions } = uniqueNames(entries, (e) => joinPath(e.segments, separator));
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
