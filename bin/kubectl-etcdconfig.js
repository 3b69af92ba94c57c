#!/usr/bin/env node
// `kubectl etcdconfig …`: kubectl runs any executable named kubectl-<name> on PATH as a plugin. Like
// bin/etcd-config-operator.js, it runs the TypeScript sources in a checkout (tsx present), and in an
// installed package the esbuild bundle in dist/bundle/ (or dist/ itself when the bundle is missing).
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const source = fileURLToPath(new URL('../src/cli/plugin/main.ts', import.meta.url));
const bundled = fileURLToPath(new URL('../dist/bundle/kubectl-etcdconfig.js', import.meta.url));
const built = fileURLToPath(new URL('../dist/cli/plugin/main.js', import.meta.url));

async function tsxRegister() {
  try {
    return (await import('tsx/esm/api')).register;
  } catch {
    return undefined;
  }
}

const register = existsSync(source) ? await tsxRegister() : undefined;
if (register) register();
const entry = register ? source : existsSync(bundled) ? bundled : built;
const { kubectlPluginMain } = await import(pathToFileURL(entry).href);
process.exitCode = await kubectlPluginMain(process.argv.slice(2));
