import { compareBytes, decodeUtf8, displayBytes } from './bytes.js';
import { contentHash } from './content-hash.js';
import { entryPath } from './key-mapping.js';
import { buildKeyTree } from './key-tree.js';
import { emptyRecord } from './mapped-entry.js';
import type { FormatOutput, MappedEntry } from './mapped-entry.js';
import { optionProblems } from './options.js';
import { PROBLEM_KINDS, describeProblem } from './problems.js';
import type { InvalidEnvNameProblem, InvalidKeyProblem, Problem } from './problems.js';
import { renderEnv } from './render-env.js';
import { renderFiles } from './render-files.js';
import { renderJson } from './render-json.js';
import { renderProperties } from './render-properties.js';
import { renderYaml } from './render-yaml.js';
import { byteCount, CONFIGMAP_MAX_DATA_BYTES } from './size.js';
import type { PrefixSnapshot, RenderOptions, RenderResult } from './types.js';

/** A single rendered document under the ConfigMap key `key`. */
function documentOutput(key: string, text: string): FormatOutput {
  const data = emptyRecord();
  data[key] = text;
  return { ok: true, data, binaryData: emptyRecord() };
}

function renderFormat(entries: readonly MappedEntry[], options: RenderOptions): FormatOutput {
  const key = options.key ?? '';
  switch (options.format) {
    case 'files':
      return renderFiles(entries, options.separator);
    case 'json':
    case 'yaml': {
      const built = buildKeyTree(entries, options.values);
      if (!built.ok) return built;
      return documentOutput(key, options.format === 'json' ? renderJson(built.tree) : renderYaml(built.tree));
    }
    case 'properties':
    case 'env': {
      const rendered =
        options.format === 'env'
          ? renderEnv(entries, options.separator, options.keyCase)
          : renderProperties(entries, options.separator, options.keyCase);
      return rendered.ok ? documentOutput(key, rendered.text) : rendered;
    }
    case 'template':
      // Refused by optionProblems before any entry is laid out (see RenderOptions.format).
      return {
        ok: false,
        problems: [{ kind: 'InvalidOption', option: 'format', message: 'template renders elsewhere' }],
      };
  }
}

/** The etcd key a problem is first about, for ordering; `undefined` for whole-result problems. */
function problemKey(problem: Problem): Buffer | undefined {
  switch (problem.kind) {
    case 'InvalidKey':
    case 'TreeConflict':
    case 'InvalidValue':
    case 'InvalidEnvName':
      return problem.etcdKey;
    case 'KeyCollision':
      return problem.etcdKeys[0];
    case 'TooLarge':
    case 'InvalidOption':
      return undefined;
  }
}

// Kind (in PROBLEM_KINDS order), then etcd key bytes, then option name: the same snapshot always
// gives the same list, so a condition message does not flap between reconciles.
function compareProblems(a: Problem, b: Problem): number {
  const byKind = PROBLEM_KINDS.indexOf(a.kind) - PROBLEM_KINDS.indexOf(b.kind);
  if (byKind !== 0) return byKind;
  const ka = problemKey(a);
  const kb = problemKey(b);
  if (ka !== undefined && kb !== undefined) return compareBytes(ka, kb);
  if (a.kind === 'InvalidOption' && b.kind === 'InvalidOption') {
    return a.option < b.option ? -1 : a.option > b.option ? 1 : 0;
  }
  return 0;
}

/**
 * The ConfigMap content for a prefix snapshot: a pure, deterministic function of the entries' bytes
 * and the options — entry order and `revision` do not matter. Never throws for any data; every key
 * either appears in the result or is named in a problem, never dropped (a snapshot that
 * repeats a key gets a `KeyCollision` naming it twice).
 *
 * Steps: validate `options` (`InvalidOption`, nothing else is checked then); map each entry to its path
 * — its merged path, else its key below the prefix (`InvalidKey`, see `entryPath`); lay the entries out in the format (see the
 * render-*.ts files for each format's rules and problems); check the size against `maxBytes`
 * (`TooLarge`). `files` is size-checked even when other problems exist, since its size — the sum of
 * the values — does not depend on the keys; the rendered formats only when they rendered.
 */
export function renderConfigMap(snapshot: PrefixSnapshot, options: RenderOptions): RenderResult {
  const invalidOptions = optionProblems(options);
  if (invalidOptions.length > 0) return { ok: false, problems: invalidOptions.sort(compareProblems) };

  const prefix = typeof snapshot.prefix === 'string' ? Buffer.from(snapshot.prefix, 'utf8') : snapshot.prefix;
  const limitBytes = options.maxBytes ?? CONFIGMAP_MAX_DATA_BYTES;
  const skip = options.onInvalidKey === 'skip';
  const problems: Problem[] = [];
  const skipped: (InvalidKeyProblem | InvalidEnvNameProblem)[] = [];
  let mapped: MappedEntry[] = [];
  for (const entry of snapshot.entries) {
    const path = entryPath(prefix, entry);
    if (path.ok) mapped.push({ etcdKey: entry.key, value: entry.value, segments: path.segments });
    else (skip ? skipped : problems).push(path.problem);
  }

  let output = renderFormat(mapped, options);
  if (skip && !output.ok) {
    // The format found names it cannot carry: leave those entries out and lay out the rest again.
    const invalid = output.problems.filter(isSkippable);
    if (invalid.length > 0) {
      const left = new Set(invalid.map((p) => p.etcdKey));
      skipped.push(...invalid);
      mapped = mapped.filter((e) => !left.has(e.etcdKey));
      output = renderFormat(mapped, options);
    }
  }
  if (!output.ok) problems.push(...output.problems);
  const bytes = output.ok
    ? byteCount(output.data, output.binaryData)
    : options.format === 'files'
      ? (skip ? mapped : snapshot.entries).reduce((sum, e) => sum + e.value.length, 0)
      : 0;
  if (bytes > limitBytes) problems.push({ kind: 'TooLarge', byteCount: bytes, limitBytes });

  if (problems.length > 0 || !output.ok) return { ok: false, problems: problems.sort(compareProblems) };
  return {
    ok: true,
    data: output.data,
    binaryData: output.binaryData,
    contentHash: contentHash(output.data, output.binaryData),
    keyCount: mapped.length,
    byteCount: bytes,
    ...(skip
      ? {
          // By etcd key (then kind), whatever step refused it: the order a user reads keys in.
          skipped: skipped.sort(compareSkipped).map((p) => ({
            etcdKey: readableKey(p.etcdKey),
            reason: describeProblem(p),
          })),
        }
      : {}),
  };
}

/** An etcd key as text: itself when it is UTF-8, its escaped display form otherwise. */
function readableKey(key: Buffer): string {
  return decodeUtf8(key) ?? displayBytes(key);
}

function compareSkipped(a: InvalidKeyProblem | InvalidEnvNameProblem, b: typeof a): number {
  return compareBytes(a.etcdKey, b.etcdKey) || compareProblems(a, b);
}

/** Problems that `onInvalidKey: skip` answers by leaving the entry out. */
function isSkippable(problem: Problem): problem is InvalidKeyProblem | InvalidEnvNameProblem {
  return problem.kind === 'InvalidKey' || problem.kind === 'InvalidEnvName';
}
