import { decodeUtf8 } from './bytes.js';
import { configMapKeyProblems } from './configmap-key.js';
import { joinPath } from './key-mapping.js';
import { emptyRecord, uniqueNames } from './mapped-entry.js';
import type { FormatOutput, MappedEntry } from './mapped-entry.js';
import type { Problem } from './problems.js';

/**
 * `files`: one ConfigMap key per etcd key — its path joined by `separator` — which must be a valid
 * ConfigMap key. A value that is valid UTF-8 goes to `data`; any other to `binaryData` as base64, so
 * every value survives byte for byte. Any value can be carried: this format has no InvalidValue.
 */
export function renderFiles(entries: readonly MappedEntry[], separator: string): FormatOutput {
  const problems: Problem[] = [];
  const { named, collisions } = uniqueNames(entries, (e) => joinPath(e.segments, separator));
  problems.push(...collisions);
  // Check every name, colliding ones too, so that each offending key is named for every reason.
  for (const entry of entries) {
    const name = joinPath(entry.segments, separator);
    const reasons = configMapKeyProblems(name);
    if (reasons.length > 0)
      problems.push({ kind: 'InvalidKey', etcdKey: entry.etcdKey, reasons, mappedKey: name });
  }
  if (problems.length > 0) return { ok: false, problems };

  const data = emptyRecord();
  const binaryData = emptyRecord();
  for (const { name, entry } of named) {
    const text = decodeUtf8(entry.value);
    if (text === undefined) binaryData[name] = entry.value.toString('base64');
    else data[name] = text;
  }
  return { ok: true, data, binaryData };
}
