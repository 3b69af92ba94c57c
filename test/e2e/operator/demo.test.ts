import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../support/wait.js';

const BIN = fileURLToPath(new URL('../../../bin/etcd-config-operator.js', import.meta.url));
const PACKAGE_JSON = new URL('../../../package.json', import.meta.url);

/** `etcd-config-operator demo …` as a child process, its output collected. */
function runDemo(args: readonly string[], env: NodeJS.ProcessEnv = process.env, ownGroup = false) {
  // ownGroup: its own process group, so that a Ctrl-C can reach every process of it as a terminal's does.
  const child = spawn(process.execPath, [BIN, 'demo', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
    detached: ownGroup,
  });
  const out = { stdout: '', stderr: '' };
  child.stdout.setEncoding('utf8').on('data', (c: string) => (out.stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (out.stderr += c));
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  return { child, out, exited };
}

/** True when something still accepts connections at `url`. */
async function answers(url: string): Promise<boolean> {
  try {
    await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) });
    return true;
  } catch {
    return false;
  }
}

describe('npm run demo (etcd-config-operator demo)', function () {
  this.timeout(180_000);
  let dir: string;
  const running: ReturnType<typeof runDemo>[] = [];
  beforeEach(async () => {
    dir = join(await mkdtemp(join(tmpdir(), 'demo-e2e-')), 'demo');
  });
  afterEach(async function () {
    for (const r of running.splice(0)) {
      if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
      await r.exited;
      if (this.currentTest?.state === 'failed')
        process.stderr.write(`demo output:\n${r.out.stdout}\n${r.out.stderr}\n`);
    }
    await rm(join(dir, '..'), { recursive: true, force: true });
  });

  it('--exit-after-sync: syncs, rolls out one scripted change, shows a guard and a rollback, prints the commands to try, and cleans up', async () => {
    const r = runDemo(['--exit-after-sync', '--dir', dir, '--timeout', '150']);
    running.push(r);
    const code = await r.exited;
    const out = r.out.stdout;
    assert.equal(code, 0, `exit code ${code}\n${out}\n${r.out.stderr}`);
    const etcdUrl = /etcd on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
    assert.ok(etcdUrl, 'names the etcd URL');
    assert.ok(
      out.includes(`etcdctl --endpoints=${etcdUrl} put /config/app/greeting`),
      'prints the etcdctl command',
    );
    assert.ok(
      out.includes(`--kubeconfig ${join(dir, 'kubeconfig')} get configmap app-config`),
      'prints the kubectl command',
    );
    assert.match(out, /ConfigMap app-config\s+written with 3 keys/);
    assert.match(out, /PrefixSync app\s+synced etcd revision 4, Ready=True/);
    assert.match(out, /greeting = "hello from the demo"\s+\(was "hello"\)/);
    assert.match(
      out,
      /Deployment web\s+rolling restart: etcdconfig\.dev\/config-hash \(none\) → \w+ \(generation 2\)/,
    );
    // One guard at work: deleting the whole prefix is held, nothing restarts, putting it back heals.
    assert.match(out, /del --prefix \/config\/app\/.*\n.*Ready=False \(ChangeHeld\)/);
    assert.match(out, /the guard held it; the ConfigMap still holds its 3 keys and nothing restarted/);
    // A bad push rolled back by the operator, then the fix rolled forward.
    assert.match(out, /put \/config\/app\/log\/level panic .*\n(.*\n)*.*Ready=False \(RolledBack\)/);
    assert.match(out, /rolled back by itself; etcd still holds panic/);
    assert.match(out, /log\.level = "debug"/);
    // The greeting, the bad push, its rollback and the fix: four rollouts.
    assert.match(out, /synced revision \d+; 4 rollout\(s\); all good/);
    assert.ok(!existsSync(dir), 'the demo removed its directory');
    assert.equal(await answers(etcdUrl), false, 'etcd is stopped');
  });

  it('Ctrl-C stops everything and removes what it created', async () => {
    const r = runDemo(['--dir', dir]);
    running.push(r);
    await waitFor(
      'the demo to show the first sync',
      () => /synced etcd revision/.test(r.out.stdout) || r.out.stdout.slice(-300),
      120_000,
    );
    const etcdUrl = /etcd on (http:\/\/127\.0\.0\.1:\d+)/.exec(r.out.stdout)![1]!;
    assert.ok(existsSync(join(dir, 'kubeconfig')), 'the kubeconfig is where the demo said');
    const t0 = Date.now();
    r.child.kill('SIGINT');
    const code = await r.exited;
    assert.equal(code, 0, `exit code ${code}\n${r.out.stderr}`);
    assert.ok(Date.now() - t0 < 15_000, `stopping took ${Date.now() - t0} ms`);
    assert.match(r.out.stdout, /Done: everything the demo started is stopped/);
    assert.ok(!existsSync(dir), 'the demo removed its directory');
    assert.equal(await answers(etcdUrl), false, 'etcd is stopped');
  });

  it('Ctrl-C while it is still starting (to its whole process group, as a terminal sends it) stops at once and cleans up', async () => {
    const r = runDemo(['--dir', dir], process.env, true);
    running.push(r);
    await waitFor(
      'etcd to be up',
      () => /etcd on http/.test(r.out.stdout) || r.out.stdout.slice(-300),
      120_000,
    );
    const etcdUrl = /etcd on (http:\/\/127\.0\.0\.1:\d+)/.exec(r.out.stdout)![1]!;
    const t0 = Date.now();
    process.kill(-r.child.pid!, 'SIGINT');
    const code = await r.exited;
    const ms = Date.now() - t0;
    assert.equal(code, 0, `exit code ${code}\n${r.out.stdout}\n${r.out.stderr}`);
    assert.ok(ms < 15_000, `stopping took ${ms} ms`);
    // Usually still starting; on a fast machine it may have just finished starting: both end cleanly.
    assert.match(
      r.out.stdout,
      /Stopped while starting: everything the demo started is stopped|Done: everything the demo started is stopped/,
    );
    assert.doesNotMatch(r.out.stderr, /could not start/);
    assert.ok(!existsSync(dir), 'the demo removed its directory');
    assert.equal(await answers(etcdUrl), false, 'etcd is stopped');
  });

  it('an existing --dir is kept: only the demo’s own files in it are removed', async () => {
    await mkdir(dir);
    await writeFile(join(dir, 'keep.txt'), 'mine');
    const r = runDemo(['--dir', dir]);
    running.push(r);
    await waitFor(
      'the demo to show the first sync',
      () => /synced etcd revision/.test(r.out.stdout) || r.out.stdout.slice(-300),
      120_000,
    );
    r.child.kill('SIGINT');
    assert.equal(await r.exited, 0, r.out.stderr);
    assert.deepEqual(await readdir(dir), ['keep.txt']);
  });

  it('without --dir, uses a temp dir of its own and removes it', async () => {
    const r = runDemo([]);
    running.push(r);
    await waitFor(
      'the demo to show the first sync',
      () => /synced etcd revision/.test(r.out.stdout) || r.out.stdout.slice(-300),
      120_000,
    );
    const kubeconfig = /--kubeconfig (\S+) get configmap/.exec(r.out.stdout)?.[1];
    assert.ok(kubeconfig && existsSync(kubeconfig), `the printed kubeconfig exists: ${kubeconfig}`);
    r.child.kill('SIGINT');
    assert.equal(await r.exited, 0, r.out.stderr);
    assert.equal(existsSync(dirname(kubeconfig)), false, 'its temp dir is removed');
  });

  it('npm run demo installs what it needs first (dependencies, etcd, kubectl)', async () => {
    const pkg = JSON.parse(await readFile(PACKAGE_JSON, 'utf8')) as { scripts: Record<string, string> };
    const pre = pkg.scripts['predemo'] ?? '';
    assert.match(pre, /\bnpm (install|ci)\b/, 'installs the npm dependencies (tsx runs the demo)');
    assert.match(pre, /scripts\/ensure-tools\.mjs/, 'installs etcd and the pinned kubectl');
  });

  it('without etcd installed, says so and names the one command that installs it', async () => {
    const r = runDemo(['--dir', dir], { ...process.env, PATH: '/nonexistent', ETCD_BIN: '' });
    running.push(r);
    const code = await r.exited;
    assert.equal(code, 1);
    assert.match(r.out.stderr, /etcd is not installed/);
    assert.match(r.out.stderr, /sudo apt-get install -y etcd-server etcd-client/);
  });
});
