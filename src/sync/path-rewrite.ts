// The rewrites of spec.sources[].rewrite, applied in order to the path below a source's prefix:
// `trimPrefix` removes a leading text, `replace` substitutes the first match of an RE2 expression
// (`$1`… its groups, `$$` a dollar). RE2 (linear time) because the pattern comes from a tenant's spec
// and the path from etcd: a backtracking RegExp can be made to take seconds on a 30-character path.
import { createRequire } from 'node:module';
import type * as Re2Wasm from 're2-wasm';
import type { RE2 } from 're2-wasm';

/**
 * re2-wasm, loaded on the first `replace`: loading it reserves 16 MiB of WASM memory for good, which
 * an operator without any `replace` rewrite (most of them) should not carry. A CommonJS package, so
 * `require` loads it synchronously where a pattern is compiled.
 */
let re2: typeof Re2Wasm | undefined;
function re2Module(): typeof Re2Wasm {
  re2 ??= createRequire(import.meta.url)('re2-wasm') as typeof Re2Wasm;
  return re2;
}

/** One rewrite (the API's KeyRewrite): exactly one field set. */
export interface PathRewrite {
  readonly trimPrefix?: string;
  readonly replace?: { readonly regex: string; readonly with: string };
}

/** A rewrite list ready to apply, or the first regex that does not compile. */
export type CompiledRewrites =
  | { readonly ok: true; readonly apply: (path: string) => string }
  | { readonly ok: false; readonly index: number; readonly message: string };

/**
 * Compiled expressions by pattern. re2-wasm's objects live in WASM memory that is never given back, so
 * each distinct pattern is compiled once for the life of the process (patterns come from specs, so
 * there are few). Unicode mode: patterns and paths are code points, like Go's RE2.
 */
const compiled = new Map<string, RE2>();

function compile(regex: string): RE2 {
  let re = compiled.get(regex);
  if (!re) {
    re = new (re2Module().RE2)(regex, 'u');
    compiled.set(regex, re);
  }
  return re;
}

/** Compiles `rewrites`; never throws (a bad expression is reported with its index). */
export function compileRewrites(rewrites: readonly PathRewrite[]): CompiledRewrites {
  const steps: ((path: string) => string)[] = [];
  for (const [index, rewrite] of rewrites.entries()) {
    if (rewrite.replace !== undefined) {
      const { regex, with: replacement } = rewrite.replace;
      let re: RE2;
      try {
        re = compile(regex);
      } catch (err) {
        return { ok: false, index, message: err instanceof Error ? err.message : String(err) };
      }
      steps.push((path) => re.replace(path, replacement));
    } else {
      const trim = rewrite.trimPrefix ?? '';
      steps.push((path) => (trim !== '' && path.startsWith(trim) ? path.slice(trim.length) : path));
    }
  }
  return { ok: true, apply: (path) => steps.reduce((p, step) => step(p), path) };
}
