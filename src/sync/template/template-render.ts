// Renders templates with liquidjs: an interpreter (no code generation, no eval) whose templates can
// read only the data given to them; includes and layouts are refused (no file system), and the
// engine's own parse, time and memory limits are on. The hard limits (wall clock, heap) are the
// worker pool's: this runs inside a worker.
import { Context, Liquid, LiquidError, toValueSync, type FS } from 'liquidjs';
import { CONFIGMAP_MAX_DATA_BYTES } from '../size.js';
import type { TemplateError } from './template-errors.js';
import { childrenOf, type TemplateModel } from './template-model.js';

/** The most template text parsed at once (characters): templates come from a 1 MiB object. */
export const TEMPLATE_PARSE_LIMIT_CHARS = 1024 * 1024;
/** The engine's own allocation budget (its units: characters and array items) per render. */
export const TEMPLATE_MEMORY_LIMIT = 64 * 1024 * 1024;
/** Default time budget of one render, checked by the engine between tags (the pool's limit is hard). */
export const DEFAULT_TEMPLATE_RENDER_LIMIT_MS = 2_000;

/** Limits of {@link renderTemplates}. */
export interface TemplateRenderLimits {
  /** Engine time budget per template (ms). Default {@link DEFAULT_TEMPLATE_RENDER_LIMIT_MS}. */
  readonly renderLimitMs?: number;
  /** Most output, all templates together (UTF-8 bytes). Default {@link CONFIGMAP_MAX_DATA_BYTES}. */
  readonly maxOutputBytes?: number;
}

/** Rendered files by target key, or the first template that failed (in key order). */
export type TemplateRenderResult =
  | { readonly ok: true; readonly data: Record<string, string> }
  | { readonly ok: false; readonly error: TemplateError };

/** `{% include %}`, `{% render %}` and `{% layout %}` read nothing: templates see only their data. */
const NO_FILES: FS = {
  exists: () => Promise.resolve(false),
  existsSync: () => false,
  readFile: (file) => Promise.reject(new Error(`templates cannot include files (${file})`)),
  readFileSync: (file) => {
    throw new Error(`templates cannot include files (${file})`);
  },
  resolve: (_root, file) => file,
};

class OutputTooLarge extends Error {}

/** Collects output and stops the render as soon as it passes its budget (so 100 MiB is never built). */
class LimitedEmitter {
  buffer = '';
  constructor(private readonly maxChars: number) {}
  write(html: unknown): void {
    const text = asText(html);
    // Characters ≤ UTF-8 bytes: a buffer past the byte budget in characters is surely too large.
    if (this.buffer.length + text.length > this.maxChars) {
      throw new OutputTooLarge(`output passes the limit of ${this.maxChars} bytes`);
    }
    this.buffer += text;
  }
}

function asText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.map(asText).join('');
  if (typeof value === 'object' && 'valueOf' in value && typeof value.valueOf === 'function') {
    const inner: unknown = value.valueOf();
    if (inner !== value) return asText(inner);
  }
  // Numbers, booleans; an object printed whole reads better as JSON than as [object Object].
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  return JSON.stringify(value) ?? '';
}

function engine(model: TemplateModel, renderLimitMs: number): Liquid {
  const liquid = new Liquid({
    fs: NO_FILES,
    relativeReference: false,
    strictFilters: true,
    ownPropertyOnly: true,
    parseLimit: TEMPLATE_PARSE_LIMIT_CHARS,
    renderLimit: renderLimitMs,
    memoryLimit: TEMPLATE_MEMORY_LIMIT,
  });
  const get = (path: unknown, fallback?: unknown): unknown => {
    const key = String(path).replace(/^\/+/, '');
    // Own keys only: after a structured clone the map has Object's prototype (`constructor`, …).
    return Object.hasOwn(model.keys, key) ? model.keys[key] : (fallback ?? '');
  };
  liquid.registerFilter('get', get);
  liquid.registerFilter('has', (path: unknown) =>
    Object.hasOwn(model.keys, String(path).replace(/^\/+/, '')),
  );
  liquid.registerFilter('children', (path: unknown) =>
    childrenOf(model.keys, typeof path === 'string' ? path : ''),
  );
  liquid.registerFilter('from_json', (text: unknown) => {
    try {
      return JSON.parse(String(text)) as unknown;
    } catch (err) {
      throw new Error(`from_json: ${(err as Error).message}`, { cause: err });
    }
  });
  return liquid;
}

/**
 * Renders each template (target key → template text) from `model`, in key order, stopping at the
 * first failure. Never throws: a syntax error, a helper's error, the engine's time or memory
 * budget and the output budget all come back as a {@link TemplateError} with the template's key and,
 * when the engine knows it, the line and column. Synchronous: run it where blocking is harmless.
 */
export function renderTemplates(
  templates: Readonly<Record<string, string>>,
  model: TemplateModel,
  limits: TemplateRenderLimits = {},
): TemplateRenderResult {
  const renderLimitMs = limits.renderLimitMs ?? DEFAULT_TEMPLATE_RENDER_LIMIT_MS;
  let budget = limits.maxOutputBytes ?? CONFIGMAP_MAX_DATA_BYTES;
  const liquid = engine(model, renderLimitMs);
  const scope = { keys: model.keys, tree: model.tree, binaryKeys: model.binaryKeys };
  const data = Object.create(null) as Record<string, string>;
  for (const templateKey of Object.keys(templates).sort()) {
    let phase: TemplateError['phase'] = 'syntax';
    try {
      const parsed = liquid.parse(templates[templateKey] ?? '');
      phase = 'render';
      const emitter = new LimitedEmitter(budget);
      const ctx = new Context(scope, liquid.options, { sync: true });
      toValueSync(liquid.renderer.renderTemplates(parsed, ctx, emitter));
      const bytes = Buffer.byteLength(emitter.buffer, 'utf8');
      if (bytes > budget) throw new OutputTooLarge(`output passes the limit of ${budget} bytes`);
      budget -= bytes;
      data[templateKey] = emitter.buffer;
    } catch (err) {
      return { ok: false, error: templateError(templateKey, phase, err) };
    }
  }
  return { ok: true, data };
}

function templateError(templateKey: string, phase: TemplateError['phase'], err: unknown): TemplateError {
  const cause = err instanceof LiquidError ? (err.originalError ?? err) : err;
  const tooLarge = cause instanceof OutputTooLarge || err instanceof OutputTooLarge;
  const message = (cause instanceof Error ? cause.message : String(cause)).replace(
    /, line:\d+, col:\d+$/,
    '',
  );
  const timedOut = /render limit exceeded/i.test(message);
  let line: number | undefined;
  let column: number | undefined;
  if (err instanceof LiquidError) {
    [line, column] = err.token.getPosition();
  }
  return {
    templateKey,
    phase,
    ...(tooLarge ? { limit: 'output' as const } : timedOut ? { limit: 'time' as const } : {}),
    ...(line !== undefined ? { line } : {}),
    ...(column !== undefined ? { column } : {}),
    message,
  };
}
