#!/usr/bin/env node
// Bundles tsc's build of the operator (dist/) into dist/bundle/ with esbuild; the image and the npm
// package run that bundle (bin/etcd-config-operator.js). Why: start-up and memory. Measured on Node 20
// (2026-12, medians of 5, load average ~4), importing the `run` command and nothing else: tsc's module
// graph costs 1,163 ms to load, 43.5 MiB of V8 heap and 147 MiB RSS before the operator does any work;
// bundled, 449 ms, 24.6 MiB and 86 MiB. esbuild drops the unused part of @kubernetes/client-node's
// generated API code and the per-module cost of the 1,600 modules `run` loads. With 1,000 PrefixSyncs
// synced, the operator's RSS went from 178 to 149 MiB (bench:operator scale); issue 15 asks for
// ≤ 250 MiB at 10,000. Splitting beats one file per entry: `watch --help` 60 vs 75 MiB RSS, `run` alike.
//
//   node scripts/bundle.mjs [--dist <dir>]     (default dist; writes <dir>/bundle/)
//
// What the layout must keep:
// - Every output file sits directly in dist/bundle/, two folders below the package root like tsc's
//   dist/cli/: the code finds package.json at `../../package.json` from its own URL, and proto/ by
//   walking up from it.
// - The template worker is an entry of its own (template-worker.js next to the chunk that starts it):
//   template-pool.ts starts it by URL, which esbuild does not follow.
// - The commands stay lazily loaded chunks (`splitting`): `watch` does not load the Kubernetes client,
//   and `run` does not parse `render` or the kubectl plugin.
// - --keep-names: errors name themselves from their class (src/etcd/errors.ts: `new.target.name`), and
//   bundling renames classes whose names collide across modules; log lines and status messages print
//   those names.
// - re2-wasm stays in node_modules (loaded by createRequire, next to its .wasm file); CommonJS
//   dependencies bundled into ESM call `require` for Node's built-ins, hence the banner.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as esbuild from 'esbuild';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Bundles `<dist>/main.js` (and the worker and plugin entries) into `<dist>/bundle/`. */
export async function bundle(dist = path.join(ROOT, 'dist')) {
  const outdir = path.join(dist, 'bundle');
  rmSync(outdir, { recursive: true, force: true });
  return esbuild.build({
    entryPoints: {
      main: path.join(dist, 'main.js'),
      'template-worker': path.join(dist, 'controller/prefixsync/template-worker.js'),
      'kubectl-etcdconfig': path.join(dist, 'cli/plugin/main.js'),
    },
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    minifyWhitespace: true,
    minifySyntax: true,
    keepNames: true,
    // main.js.map etc., read only under `node --enable-source-maps`; they map through tsc's own maps
    // back to src/. Positions only: the sources' text would add ~6 MB to the package and the image.
    sourcemap: 'linked',
    sourcesContent: false,
    external: ['re2-wasm'],
    banner: {
      js: "import{createRequire as __bundleCreateRequire}from'node:module';const require=__bundleCreateRequire(import.meta.url);",
    },
    logLevel: 'warning',
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { dist: { type: 'string' } } });
  await bundle(values.dist ? path.resolve(values.dist) : undefined);
}
