#!/usr/bin/env node
// `kubectl etcdconfig …`: kubectl runs any executable named kubectl-<name> on PATH as a plugin. Like
// bin/etcd-config-operator.js, it runs the TypeScript sources in a checkout (tsx present) and the build
// in dist/ in an installed package.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const source = fileURLToPath(new URL('../src/cli/plugin/main.ts', import.meta.url));
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
const { kubectlPluginMain } = await import(pathToFileURL(register ? source : built).href);
process.exitCode = await kubectlPluginMain(process.argv.slice(2));
