// `format: template`: the PrefixSync's templates (inline, or the keys of a ConfigMap) rendered from
// its content on the template worker pool. Any failure is TemplateFailed (or InvalidKey for a key
// without a path) and waits for a change: nothing is written, the last good target stays.
import { PrefixSyncReason, type ResolvedPrefixSyncSpec } from '../../api/index.js';
import {
  CONFIGMAP_MAX_DATA_BYTES,
  buildTemplateModel,
  byteCount,
  contentHash,
  describeProblem,
  describeTemplateError,
  displayBytes,
  summarizeProblems,
  type PrefixSnapshot,
  type RenderSuccess,
} from '../../sync/index.js';
import { ReconcileFailure } from '../shared/reconcile-failure.js';
import { explainProblems } from './problem-hints.js';
import { TemplatePool } from './template-pool.js';

/** Where templates render and where a `configMapRef`'s ConfigMap is read, for one PrefixSync. */
export interface TemplateRendering {
  readonly pool: TemplatePool;
  /**
   * The `data` of ConfigMap `name` in the PrefixSync's namespace, undefined when it does not exist;
   * absent when no cluster can be read (then a `configMapRef` fails).
   */
  readonly configMapData?: (name: string) => Promise<Record<string, string> | undefined>;
}

let fallbackPool: TemplatePool | undefined;

/**
 * A process-wide pool for callers without their own (a CLI): one worker, unref'd so that it never
 * keeps the process alive. Made on first use.
 */
export function fallbackTemplateRendering(): TemplateRendering {
  fallbackPool ??= new TemplatePool({ workers: 1, unref: true });
  return { pool: fallbackPool };
}

/** TemplateFailed, waiting for a change of etcd, the spec or the template ConfigMap. */
function templateFailed(message: string): ReconcileFailure<PrefixSyncReason> {
  return new ReconcileFailure(PrefixSyncReason.TemplateFailed, message, 'wait');
}

/** The templates of `spec` (target key → text). Throws TemplateFailed when its ConfigMap or keys are missing. */
export async function resolveTemplates(
  spec: ResolvedPrefixSyncSpec,
  rendering: TemplateRendering,
): Promise<Record<string, string>> {
  const template = spec.target.template;
  if (template?.inline) return template.inline;
  const name = template?.configMapRef?.name;
  if (name === undefined) throw templateFailed('format template needs target.template');
  if (!rendering.configMapData) throw templateFailed(`ConfigMap ${name} cannot be read here`);
  const data = await rendering.configMapData(name);
  if (data === undefined) throw templateFailed(`ConfigMap ${name} not found`);
  if (Object.keys(data).length === 0)
    throw templateFailed(`ConfigMap ${name} has no keys (data) to use as templates`);
  return data;
}

/**
 * Renders `snapshot` (the sources already overlaid) through `spec`'s templates. Throws a ReconcileFailure: TemplateFailed naming the
 * template key and line, or InvalidKey for an etcd key without a path below the prefix (unless
 * `keys.onInvalid` is Skip).
 */
export async function renderTemplateContent(
  spec: ResolvedPrefixSyncSpec,
  snapshot: PrefixSnapshot,
  rendering: TemplateRendering,
): Promise<RenderSuccess> {
  const templates = await resolveTemplates(spec, rendering);
  const built = buildTemplateModel(
    typeof snapshot.prefix === 'string' ? Buffer.from(snapshot.prefix, 'utf8') : snapshot.prefix,
    snapshot.entries,
    spec.keys.onInvalid === 'Skip',
  );
  if (!built.ok) {
    throw new ReconcileFailure(
      PrefixSyncReason.InvalidKey,
      explainProblems(built.problems, summarizeProblems(built.problems)),
      'wait',
    );
  }
  const result = await rendering.pool.render(templates, built.model, CONFIGMAP_MAX_DATA_BYTES);
  if (!result.ok) throw templateFailed(describeTemplateError(result.error));
  const binaryData = Object.create(null) as Record<string, string>;
  return {
    ok: true,
    data: result.data,
    binaryData,
    contentHash: contentHash(result.data, binaryData),
    keyCount: Object.keys(built.model.keys).length,
    byteCount: byteCount(result.data, binaryData),
    ...(spec.keys.onInvalid === 'Skip'
      ? {
          skipped: built.skipped.map((p) => ({
            etcdKey: readableKey(p.etcdKey),
            reason: describeProblem(p),
          })),
        }
      : {}),
  };
}

/** An etcd key as text: itself when it is UTF-8, its escaped display form otherwise. */
function readableKey(key: Buffer): string {
  const text = key.toString('utf8');
  return Buffer.from(text, 'utf8').equals(key) ? text : displayBytes(key);
}
