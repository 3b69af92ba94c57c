// The esbuild bundle (scripts/bundle.mjs) as the image and the npm package run it: a folder laid out like
// the installed package (package.json, bin/, proto/, node_modules) whose dist/ holds dist/bundle/ alone,
// so nothing can fall back to tsc's module graph or to the sources. The bundle must still find what it
// reads at run time: package.json (`--version`, the User-Agent), proto/ (the etcd client), the template
// worker's entry (a URL esbuild does not follow) and re2-wasm with its .wasm file (left in node_modules).
import { strict as assert } from 'node:assert';
import { execFile, spawn } from 'node:child_process';
import { cp, mkdtemp, readFile, readdir, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { PrefixSyncConditionType } from '../../../src/api/index.js';
import { conditionOf, describeConditions } from '../support/kube-api.js';
import { OperatorEnv } from '../support/operator-env.js';
import { OperatorProcess } from '../support/operator-process.js';
import { newTenant, specFor } from '../support/scenario.js';
import { waitFor } from '../support/wait.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const run = promisify(execFile);

/**
 * Builds the bundle into a new folder laid out as the installed package and returns that folder. tsc
 * runs with --noCheck (the same JavaScript as `npm run build`, which also type-checks: `npm test` does
 * that already), then scripts/bundle.mjs; tsc's own output is then removed, leaving dist/bundle/.
 */
async function bundledPackage(): Promise<string> {
  const pkg = await mkdtemp(join(tmpdir(), 'bundle-e2e-'));
  const dist = join(pkg, 'dist');
  // The layout first: esbuild resolves the dependencies from pkg/node_modules.
  for (const copied of ['package.json', 'bin', 'proto'])
    await cp(join(ROOT, copied), join(pkg, copied), { recursive: true });
  await symlink(join(ROOT, 'node_modules'), join(pkg, 'node_modules'), 'dir');
  const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
  await run(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--noCheck', '--outDir', dist], {
    cwd: ROOT,
  });
  await run(process.execPath, ['scripts/bundle.mjs', '--dist', dist], { cwd: ROOT });
  for (const entry of await readdir(dist))
    if (entry !== 'bundle') await rm(join(dist, entry), { recursive: true, force: true });
  return pkg;
}

describe('the bundled operator (dist/bundle/, as the image runs it)', function () {
  this.timeout(60_000);
  let pkg = '';
  let env: OperatorEnv | undefined;
  const bin = (): string => join(pkg, 'bin/etcd-config-operator.js');
  const e = (): OperatorEnv => env ?? assert.fail('the OperatorEnv has not started');

  before(async function () {
    // tsc and esbuild on a loaded 2-core machine; etcd and the simulator start meanwhile.
    this.timeout(180_000);
    const [built, started] = await Promise.allSettled([
      bundledPackage(),
      OperatorEnv.start({ startOperator: false }),
    ]);
    if (built.status === 'fulfilled') pkg = built.value;
    if (started.status === 'fulfilled') env = started.value;
    for (const r of [built, started]) if (r.status === 'rejected') throw r.reason;
  });
  after(async () => {
    await env?.close();
    if (pkg) await rm(pkg, { recursive: true, force: true });
  });

  it('answers --help and --version (read from package.json two folders up) from dist/bundle/main.js', async () => {
    const main = join(pkg, 'dist/bundle/main.js');
    const help = await run(process.execPath, [main, '--help']);
    assert.match(help.stdout, /Usage: etcd-config-operator <command>/);
    const { version } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const answer = await run(process.execPath, [bin(), '--version']);
    assert.equal(answer.stdout, `etcd-config-operator ${version}\n`);
  });

  it("runs the kubectl plugin from the bundle's own entry (bin/kubectl-etcdconfig.js)", async () => {
    const help = await run(process.execPath, [join(pkg, 'bin/kubectl-etcdconfig.js'), '--help']);
    assert.match(help.stdout, /Usage: kubectl etcdconfig <command>/);
  });

  it('streams etcd changes with `watch` (the etcd client and its proto/)', async () => {
    const t = await newTenant(e(), 'bw');
    const put = await e().etcdClient.kv.put(`${t.prefix}k`, 'v1');
    const args = ['--endpoints', e().etcdEndpoint, '--from-revision', `${put.revision}`, '--output', 'json'];
    const watch = spawn(process.execPath, [bin(), 'watch', ...args, t.prefix], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    watch.stdout.setEncoding('utf8').on('data', (c: string) => (output += c));
    watch.stderr.setEncoding('utf8').on('data', (c: string) => (output += c));
    const exited = new Promise((resolve) => watch.once('exit', resolve));
    try {
      const event = await waitFor('the put in watch --output json', () => {
        if (watch.exitCode !== null) throw new Error(`watch exited ${watch.exitCode}: ${output}`);
        const lines = output.split('\n').filter((l) => l.startsWith('{"type":"put"'));
        return lines.map((l) => JSON.parse(l) as { key: string; value: string })[0] ?? output;
      });
      assert.deepEqual([event.key, event.value], [`${t.prefix}k`, 'v1']);
    } finally {
      watch.kill('SIGKILL');
      await exited;
    }
  });

  it('runs the operator: PrefixSyncs with a RE2 rewrite and with a template become Ready', async () => {
    const t = await newTenant(e(), 'bo');
    await e().etcdClient.kv.put(`${t.prefix}v1/greeting`, 'hello');
    const operator = await OperatorProcess.start({ kubeconfig: e().kubeconfigPath, entry: bin() });
    try {
      // re2-wasm, loaded from node_modules with its .wasm file.
      const { prefix: _prefix, ...rewritten } = specFor(t, {
        sources: [{ prefix: t.prefix, rewrite: [{ replace: { regex: '^v[0-9]+/', with: '' } }] }],
        target: { name: 'rewritten' },
        rollout: { mode: 'none' },
      });
      await e().kube.createPrefixSync(t.namespace, 'rewritten', rewritten);
      // The template worker, started by URL from its own entry in dist/bundle/.
      const templated = specFor(t, {
        target: {
          name: 'templated',
          format: 'template',
          template: { inline: { 'app.conf': 'greeting={{ "v1/greeting" | get }}' } },
        },
        rollout: { mode: 'none' },
      });
      await e().kube.createPrefixSync(t.namespace, 'templated', templated);
      for (const name of ['rewritten', 'templated'])
        await waitFor(`PrefixSync ${name} to be Ready`, async () => {
          if (!operator.isRunning) throw new Error(`the operator exited:\n${operator.log.slice(-2000)}`);
          const ps = await e().kube.getPrefixSync(t.namespace, name);
          return conditionOf(ps, PrefixSyncConditionType.Ready)?.status === 'True' || describeConditions(ps);
        }).catch((err: unknown) => {
          throw new Error(`${String(err)}\noperator log:\n${operator.log.slice(-4000)}`);
        });
      assert.deepEqual((await e().kube.getConfigMap(t.namespace, 'rewritten'))?.data, { greeting: 'hello' });
      assert.deepEqual((await e().kube.getConfigMap(t.namespace, 'templated'))?.data, {
        'app.conf': 'greeting=hello',
      });
    } finally {
      await operator.kill();
    }
  });
});
