#!/usr/bin/env node
// In a checkout (sources and the dev dependency tsx present) run the TypeScript sources, so a stale
// dist/ can never answer for them; in an installed package (and the image) run the esbuild bundle in
// dist/bundle/, which loads in ~40 % of the time of tsc's dist/ and with ~60 % of its memory
// (scripts/bundle.mjs), or dist/ itself when the bundle is missing. The test bed's commands (sim, demo) exist in the sources
// only: dist/ holds the operator alone.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const source = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const bundled = fileURLToPath(new URL('../dist/bundle/main.js', import.meta.url));
const built = fileURLToPath(new URL('../dist/main.js', import.meta.url));

async function tsxRegister() {
  try {
    return (await import('tsx/esm/api')).register;
  } catch {
    return undefined;
  }
}

const register = existsSync(source) ? await tsxRegister() : undefined;
if (register) {
  register();
  await import(pathToFileURL(source).href);
} else {
  await import(pathToFileURL(existsSync(bundled) ? bundled : built).href);
}
