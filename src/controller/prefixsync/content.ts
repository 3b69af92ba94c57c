// The content a PrefixSync publishes for a snapshot of its source: one function shared by the
// reconciler and by `etcd-config-operator render`, so a preview is exactly what the operator writes.
import { PrefixSyncReason, type ResolvedPrefixSyncSpec } from '../../api/index.js';
import type { MirrorSnapshot } from '../../etcd/index.js';
import {
  mergeSources,
  renderConfigMap,
  summarizeProblems,
  type PrefixSnapshot,
  type Problem,
  type RenderResult,
  type RenderSuccess,
} from '../../sync/index.js';
import { ReconcileFailure } from '../shared/reconcile-failure.js';
import { explainProblems } from './problem-hints.js';
import {
  fallbackTemplateRendering,
  renderTemplateContent,
  type TemplateRendering,
} from './template-content.js';

/** `spec.target.values` as the sync layer's value mode. */
const VALUE_MODE = { String: 'string', Auto: 'auto', JSON: 'json' } as const;

/**
 * What the sources of a PrefixSync held (spec.sources): one snapshot per source, in spec order, all of
 * one cluster read at one revision (`revision`: that of the first source's cluster).
 */
export interface SourcesSnapshot {
  readonly revision: bigint;
  readonly sources: readonly MirrorSnapshot[];
}

/**
 * The one entry list the formats lay out: the single prefix as it is, or the sources filtered,
 * rewritten and overlaid (a later source wins). A rewrite collision or a bad expression is the
 * render's failure.
 */
function mergedSnapshot(
  spec: ResolvedPrefixSyncSpec,
  snapshot: MirrorSnapshot | SourcesSnapshot,
): { ok: true; snapshot: PrefixSnapshot } | { ok: false; problems: Problem[] } {
  const perSource = 'sources' in snapshot ? snapshot.sources : [snapshot];
  const only = spec.sources[0];
  const isPlain =
    spec.sources.length === 1 &&
    only !== undefined &&
    only.include.length + only.exclude.length + only.rewrite.length === 0;
  if (isPlain) {
    return {
      ok: true,
      snapshot: { prefix: spec.prefix, revision: snapshot.revision, entries: perSource[0]?.entries ?? [] },
    };
  }
  const merged = mergeSources(
    spec.sources.map((source, i) => ({
      prefix: source.prefix,
      entries: perSource[i]?.entries ?? [],
      rules: source,
    })),
  );
  if (!merged.ok) return merged;
  return { ok: true, snapshot: { prefix: '', revision: snapshot.revision, entries: merged.entries } };
}

/**
 * Renders `snapshot` (one per source, see {@link SourcesSnapshot}; a lone MirrorSnapshot is the first
 * source's) as `spec` lays it out. Throws a {@link ReconcileFailure} naming the problem
 * (`InvalidKey`, `KeyCollision`, `TooLarge`, `RenderFailed`; a bad option is `InvalidSpec`, terminal);
 * the caller keeps the last good target. Async so that layouts that render off the event loop fit.
 * `format: template` renders on `templates`' worker pool (TemplateFailed, see template-content.ts);
 * without `templates`, on a process-wide one-worker pool that cannot read a `configMapRef`.
 */
export function renderContent(
  spec: ResolvedPrefixSyncSpec,
  snapshot: MirrorSnapshot | SourcesSnapshot,
  templates: TemplateRendering = fallbackTemplateRendering(),
): Promise<RenderSuccess> {
  const merged = mergedSnapshot(spec, snapshot);
  // Templates run user-written logic: on the worker pool, never on this thread.
  if (merged.ok && spec.target.format === 'template') {
    return renderTemplateContent(spec, merged.snapshot, templates);
  }
  const rendered: RenderResult = !merged.ok
    ? { ok: false, problems: merged.problems }
    : renderConfigMap(merged.snapshot, {
        format: spec.target.format,
        separator: spec.keys.separator,
        onInvalidKey: spec.keys.onInvalid === 'Skip' ? 'skip' : 'fail',
        values: VALUE_MODE[spec.target.values],
        keyCase: spec.keys.case === 'Upper' ? 'upper' : 'preserve',
        ...(spec.target.key !== undefined ? { key: spec.target.key } : {}),
      });
  if (rendered.ok) return Promise.resolve(rendered);
  const reason = reasonOf(rendered.problems);
  return Promise.reject(
    new ReconcileFailure(
      reason,
      explainProblems(rendered.problems, summarizeProblems(rendered.problems)),
      // A bad option is the spec's to fix; a bad key or size waits for a change in etcd.
      reason === PrefixSyncReason.InvalidSpec ? 'terminal' : 'wait',
    ),
  );
}

/** The condition reason for render problems: the first problem's kind (they come sorted). */
export function reasonOf(problems: readonly Problem[]): PrefixSyncReason {
  switch (problems[0]?.kind) {
    case 'InvalidKey':
      return PrefixSyncReason.InvalidKey;
    case 'KeyCollision':
      return PrefixSyncReason.KeyCollision;
    case 'TooLarge':
      return PrefixSyncReason.TooLarge;
    case 'InvalidOption':
      return PrefixSyncReason.InvalidSpec;
    default:
      return PrefixSyncReason.RenderFailed;
  }
}
