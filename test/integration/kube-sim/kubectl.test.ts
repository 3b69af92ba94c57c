import { strict as assert } from 'node:assert';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubeSim } from '../../../src/envtest/kube-sim/index.js';
import { waitFor } from './helpers.js';

const KUBECTL = fileURLToPath(new URL('../../../.tools/bin/kubectl', import.meta.url));
const CRDS = fileURLToPath(new URL('../../../crds/', import.meta.url));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const PSYNC = `apiVersion: etcdconfig.dev/v1alpha1
kind: PrefixSync
metadata: {name: demo, namespace: default}
spec:
  sourceRef: {name: local}
  prefix: /config/demo/
  target: {name: demo-config}
`;

describe('kubectl 1.33 against KubeSim', function () {
  // Each kubectl run is a process start plus discovery; generous for a loaded 2-core machine.
  this.timeout(120_000);
  let sim: KubeSim;
  let dir: string;
  const children: ChildProcess[] = [];

  before(function () {
    if (!existsSync(KUBECTL)) this.skip(); // scripts/ensure-tools.mjs (npm pretest) installs it
  });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kube-sim-kubectl-'));
    sim = await KubeSim.start();
    await sim.writeKubeconfig(join(dir, 'kubeconfig'));
  });
  afterEach(async () => {
    for (const c of children.splice(0)) c.kill('SIGKILL');
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  });

  function kubectl(...args: string[]): Promise<Run> {
    return new Promise((resolve) => {
      execFile(
        KUBECTL,
        ['--kubeconfig', join(dir, 'kubeconfig'), '--request-timeout=20s', ...args],
        // Its own HOME: the discovery cache lives in $HOME/.kube/cache.
        { env: { PATH: process.env['PATH'] ?? '', HOME: dir }, timeout: 60_000 },
        (err, stdout, stderr) => {
          const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
    });
  }

  async function ok(...args: string[]): Promise<string> {
    const r = await kubectl(...args);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout;
  }

  async function applyFile(name: string, text: string, ...extra: string[]): Promise<string> {
    const file = join(dir, name);
    await writeFile(file, text);
    return ok('apply', '-f', file, ...extra);
  }

  async function withCrds(): Promise<void> {
    const out = await ok('apply', '-f', CRDS);
    assert.match(
      out,
      /customresourcedefinition\.apiextensions\.k8s\.io\/prefixsyncs\.etcdconfig\.dev created/,
    );
  }

  it('applies the CRDs and a PrefixSync, re-applies it unchanged, and lists it with the printer columns', async () => {
    await withCrds();
    assert.match(
      await ok('api-resources', '--api-group=etcdconfig.dev'),
      /prefixsyncs\s+psync\s+etcdconfig\.dev\/v1alpha1\s+true\s+PrefixSync/,
    );
    assert.match(await applyFile('ps.yaml', PSYNC), /prefixsync\.etcdconfig\.dev\/demo created/);
    assert.match(await applyFile('ps.yaml', PSYNC), /prefixsync\.etcdconfig\.dev\/demo unchanged/);
    assert.match(
      await applyFile('ps2.yaml', PSYNC.replace('/config/demo/', '/config/other/')),
      /prefixsync\.etcdconfig\.dev\/demo configured/,
    );
    const lines = (await ok('get', 'psync')).trim().split('\n');
    assert.match(lines[0]!, /^NAME\s+PREFIX\s+CONFIGMAP\s+REVISION\s+KEYS\s+READY\s+AGE$/);
    assert.match(lines[1]!, /^demo\s+\/config\/other\/\s+demo-config\s+\d+s$/);
    const wide = (await ok('get', 'psync', '-o', 'wide')).split('\n');
    assert.match(wide[0]!, /REASON\s+SOURCE\s+FORMAT\s+ROLLOUT/);
    // spec.rollout omitted: the CRD defaults it to {}, so its mode (none) fills the column.
    assert.match(wide[1]!, /\slocal\s+files\s+none\s+\d+s$/);
    assert.match(await ok('get', 'psync', 'demo', '-o', 'jsonpath={.spec.target.format}'), /^files$/);
    // --sort-by reads whole objects from the Table rows (includeObject=Object).
    await applyFile(
      'ps3.yaml',
      PSYNC.replace('name: demo,', 'name: alpha,').replace('/config/demo/', '/config/zz/'),
    );
    const sorted = (await ok('get', 'psync', '--sort-by=.spec.prefix')).trim().split('\n');
    assert.deepEqual(
      sorted.slice(1).map((l) => l.split(/\s+/)[0]),
      ['demo', 'alpha'],
      sorted.join('\n'),
    );
  });

  it('refuses an invalid PrefixSync naming the field', async () => {
    await withCrds();
    const bad = join(dir, 'bad.yaml');
    await writeFile(
      bad,
      PSYNC.replace('/config/demo/', 'no-leading-slash').replace('name: demo,', 'name: bad,'),
    );
    const refused = await kubectl('apply', '-f', bad);
    assert.notEqual(refused.code, 0);
    assert.match(
      refused.stderr,
      /The PrefixSync "bad" is invalid: spec\.prefix: Invalid value: "string": prefix must start and end with '\/'/,
    );
    const unknown = join(dir, 'unknown.yaml');
    await writeFile(unknown, PSYNC.replace('name: demo,', 'name: unknown,') + '  bogus: 1\n');
    const strict = await kubectl('apply', '-f', unknown);
    assert.notEqual(strict.code, 0, 'kubectl --validate=strict accepted an unknown field');
    assert.match(strict.stderr, /unknown field "spec\.bogus"/);
  });

  it('patches with --type merge (generation 2), labels, and sees the change with get --watch', async () => {
    await withCrds();
    await applyFile('ps.yaml', PSYNC);
    const watch = spawn(
      KUBECTL,
      [
        '--kubeconfig',
        join(dir, 'kubeconfig'),
        'get',
        'psync',
        'demo',
        '--watch',
        '-o',
        'custom-columns=NAME:.metadata.name,SUSPEND:.spec.suspend',
      ],
      {
        env: { PATH: process.env['PATH'] ?? '', HOME: dir },
      },
    );
    children.push(watch);
    let out = '';
    watch.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor('the watch to print the object', () => /demo\s+false/.test(out), 60_000);
    await ok('patch', 'psync', 'demo', '--type', 'merge', '-p', '{"spec":{"suspend":true}}');
    assert.equal(await ok('get', 'psync', 'demo', '-o', 'jsonpath={.metadata.generation}'), '2');
    await waitFor('the watch to print the change', () => /demo\s+true/.test(out), 60_000);
    await ok('label', 'psync', 'demo', 'team=platform');
    assert.equal(await ok('get', 'psync', 'demo', '-o', 'jsonpath={.metadata.generation}'), '2');
    assert.match(
      await ok('get', 'psync', '-l', 'team=platform', '-o', 'name'),
      /^prefixsync\.etcdconfig\.dev\/demo$/m,
    );
  });

  it('get -w with the default Table output prints rows under one header', async () => {
    await ok('create', 'configmap', 'w', '--from-literal=a=1');
    const watch = spawn(KUBECTL, ['--kubeconfig', join(dir, 'kubeconfig'), 'get', 'cm', 'w', '--watch'], {
      env: { PATH: process.env['PATH'] ?? '', HOME: dir },
    });
    children.push(watch);
    let out = '';
    watch.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor('the first row', () => /^w\s+1\s+\d+s$/m.test(out), 60_000);
    await ok('patch', 'cm', 'w', '--type', 'merge', '-p', '{"data":{"b":"2"}}');
    await waitFor('the changed row', () => /^w\s+2\s+\d+s$/m.test(out), 60_000);
    assert.equal(
      out.split('\n').filter((l) => l.startsWith('NAME')).length,
      1,
      `a second header was printed:\n${out}`,
    );
  });

  it('deletes an owner and its owned ConfigMap with it', async () => {
    await withCrds();
    await applyFile('ps.yaml', PSYNC);
    const uid = await ok('get', 'psync', 'demo', '-o', 'jsonpath={.metadata.uid}');
    await applyFile(
      'cm.yaml',
      `apiVersion: v1
kind: ConfigMap
metadata:
  name: demo-config
  namespace: default
  ownerReferences:
    - {apiVersion: etcdconfig.dev/v1alpha1, kind: PrefixSync, name: demo, uid: ${uid}, controller: true, blockOwnerDeletion: true}
data: {a: "1"}
`,
    );
    assert.match(await ok('delete', 'psync', 'demo'), /prefixsync\.etcdconfig\.dev "demo" deleted/);
    await waitFor(
      'the owned ConfigMap to be collected',
      async () => (await kubectl('get', 'cm', 'demo-config')).code !== 0,
      60_000,
    );
    const gone = await kubectl('get', 'cm', 'demo-config');
    assert.match(gone.stderr, /Error from server \(NotFound\): configmaps "demo-config" not found/);
  });

  it('explains prefixsync.spec from the CRD descriptions', async () => {
    await withCrds();
    const out = await ok('explain', 'prefixsync.spec');
    assert.match(out, /KIND:\s+PrefixSync/);
    assert.match(out, /The desired mirroring of an etcd prefix into a ConfigMap/);
    // prefix is optional since spec.sources (exactly one of them, a CEL rule); sourceRef stays required.
    assert.match(out, /sourceRef\s+<Object> -required-/);
    assert.match(out, /\n {2}prefix\s+<string>\n/);
    assert.match(out, /\n {2}sources\s+<\[\]Object>\n/);
  });

  it('creates, server-side applies, and reports AlreadyExists like a real server', async () => {
    // `create configmap|secret` send protobuf bodies (typed clients).
    await ok('create', 'configmap', 'c', '--from-literal=a=1');
    const dupTyped = await kubectl('create', 'configmap', 'c', '--from-literal=a=1');
    assert.match(dupTyped.stderr, /configmaps "c" already exists/);
    await ok('create', 'secret', 'generic', 's', '--from-literal=password=hunter2');
    assert.equal(
      await ok('get', 'secret', 's', '-o', 'jsonpath={.data.password}'),
      Buffer.from('hunter2').toString('base64'),
    );
    const file = join(dir, 'c.yaml');
    await writeFile(file, 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: default}\n');
    const dup = await kubectl('create', '-f', file);
    assert.match(
      dup.stderr,
      /Error from server \(AlreadyExists\): error when creating ".*c\.yaml": configmaps "c" already exists/,
    );
    const ssa = `apiVersion: v1
kind: ConfigMap
metadata: {name: ssa, namespace: default}
data: {a: "1"}
`;
    assert.match(await applyFile('ssa.yaml', ssa, '--server-side'), /configmap\/ssa serverside-applied/);
    assert.match(
      await applyFile('ssa2.yaml', ssa.replace('"1"', '"2"'), '--server-side'),
      /configmap\/ssa serverside-applied/,
    );
    assert.equal(await ok('get', 'cm', 'ssa', '-o', 'jsonpath={.data.a}'), '2');
    const all = (await ok('get', 'cm', '-A')).split('\n')[0]!;
    assert.match(all, /^NAMESPACE\s+NAME\s+DATA\s+AGE$/);
  });
});
