import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { V1ConfigMap, V1Secret } from '@kubernetes/client-node';
import type { Condition } from '../../src/api/index.js';
import { parse } from 'yaml';
import { renderMain } from '../../src/cli/render.js';
import { runInProcess, type CliRun } from './support/in-process-cli.js';
import { useTestEnv, waitFor, type TestEnv } from '../integration/controller/support.js';

const BIN = fileURLToPath(new URL('../../bin/etcd-config-operator.js', import.meta.url));

/** `render` run in this process; stdout, stderr and the exit code. */
const render = (...argv: string[]): Promise<CliRun> => runInProcess(renderMain, argv);

describe('etcd-config-operator render', function () {
  this.timeout(120_000);
  let env: TestEnv;
  let dir: string;
  let kubeconfig: string;
  let ns: string;
  let prefix: string;
  /** The ConfigMap the operator wrote, before the operator was stopped. */
  let written: V1ConfigMap;
  /** The namespace of the PrefixSyncs of issue 14's API (sources, versioned, Secret, template, TooLarge). */
  let ns2: string;
  /** What the operator wrote for them. */
  let wrote: {
    overlay: V1ConfigMap;
    version: V1ConfigMap;
    secret: V1Secret;
    template: V1ConfigMap;
    tooLarge: Condition;
  };

  useTestEnv(async (e) => {
    env = e;
    dir = await mkdtemp(join(tmpdir(), 'render-'));
    kubeconfig = join(dir, 'kubeconfig');
    await env.sim.writeKubeconfig(kubeconfig);
    ({ ns, prefix } = await env.freshApp({}, { a: 'one\ntwo\nthree\n', b: 'bee' }));
    ns2 = await env.namespace();
    await createIssue14Syncs(env, ns2);
    await env.startManager({ secretTargets: true });
    written = await waitFor('the operator to write cfg', async () => {
      const cm = await env.configMap(ns, 'cfg');
      return cm?.data?.['b'] === 'bee' ? cm : undefined;
    });
    wrote = await waitFor('the operator to write the issue 14 targets', async () => {
      const overlay = await env.configMap(ns2, 'overlay');
      const hash = (await env.prefixSync(ns2, 'ver'))?.status?.contentHash;
      const version = hash ? await env.configMap(ns2, `ver-${hash.slice(0, 10)}`) : undefined;
      const secret = await env.core
        .readNamespacedSecret({ namespace: ns2, name: 'sec' })
        .catch(() => undefined);
      const template = await env.configMap(ns2, 'tpl');
      const ready = (await env.prefixSync(ns2, 'big'))?.status?.conditions?.find((c) => c.type === 'Ready');
      const tooLarge = ready?.reason === 'TooLarge' ? ready : undefined;
      if (!overlay || !version || !secret || !template || !tooLarge)
        return `overlay ${!!overlay}, version ${!!version}, secret ${!!secret}, template ${!!template}, TooLarge ${!!tooLarge}`;
      // client-node's classes, compared as JSON.
      return JSON.parse(JSON.stringify({ overlay, version, secret, template, tooLarge })) as typeof wrote;
    });
    // From here on the live ConfigMap stays as the operator wrote it.
    await env.closeManagers();
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('renders a manifest file with --endpoints, without a kubeconfig, as the operator wrote it', async () => {
    const file = join(dir, 'app.yaml');
    await writeFile(
      file,
      `apiVersion: etcdconfig.dev/v1alpha1\nkind: PrefixSync\nmetadata:\n  name: app\n  namespace: ${ns}\n` +
        `spec:\n  sourceRef: { name: main }\n  prefix: ${prefix}\n  target: { name: cfg }\n`,
    );
    const r = await render(
      '-f',
      file,
      '--endpoints',
      env.etcd.endpoints.join(','),
      '--kubeconfig',
      join(dir, 'none'),
    );
    assert.equal(r.code, 0, r.stderr);
    const cm = parse(r.stdout) as V1ConfigMap;
    assert.equal(cm.kind, 'ConfigMap');
    assert.deepEqual(cm.metadata?.name, 'cfg');
    assert.deepEqual(cm.metadata?.namespace, ns);
    assert.deepEqual(cm.data, written.data);
    assert.equal(
      cm.metadata?.annotations?.['etcdconfig.dev/content-hash'],
      written.metadata?.annotations?.['etcdconfig.dev/content-hash'],
    );
  });

  it('renders a PrefixSync of the cluster with its source’s endpoints, as JSON', async () => {
    const r = await render('app', '-n', ns, '-o', 'json', '--kubeconfig', kubeconfig);
    assert.equal(r.code, 0, r.stderr);
    const cm = JSON.parse(r.stdout) as V1ConfigMap;
    assert.deepEqual(cm.data, written.data);
    // The live object is client-node's (classes); compare as JSON.
    assert.deepEqual(
      cm.metadata?.ownerReferences,
      JSON.parse(JSON.stringify(written.metadata?.ownerReferences)),
    );
    assert.deepEqual(cm.metadata?.labels, written.metadata?.labels);
  });

  it('--diff exits 0 when the live ConfigMap matches, 1 with a unified diff after a change, 2 on an error', async () => {
    const same = await render('app', '-n', ns, '--diff', '--kubeconfig', kubeconfig);
    assert.deepEqual([same.code, same.stdout], [0, ''], same.stderr);

    await env.put(`${prefix}a`, 'one\n2\nthree\n');
    await env.put(`${prefix}c`, 'new');
    const changed = await render('app', '-n', ns, '--diff', '--kubeconfig', kubeconfig);
    assert.equal(changed.code, 1, changed.stderr);
    assert.equal(
      changed.stdout,
      [
        `--- live/${ns}/cfg/data/a`,
        `+++ rendered/${ns}/cfg/data/a`,
        '@@ -1,3 +1,3 @@',
        ' one',
        '-two',
        '+2',
        ' three',
        '--- /dev/null',
        `+++ rendered/${ns}/cfg/data/c`,
        '@@ -0,0 +1 @@',
        '+new',
        '\\ No newline at end of file',
        '',
      ].join('\n'),
    );

    await env.put(`${prefix}not a key!`, 'x');
    const invalid = await render('app', '-n', ns, '--diff', '--kubeconfig', kubeconfig);
    assert.equal(invalid.code, 2);
    assert.match(invalid.stderr, /^etcd-config-operator render: InvalidKey: .*not a key!/);
    // The message is the one the operator puts in the Ready condition for the same content.
    await env.startManager();
    const condition = await waitFor('Ready False/InvalidKey', async () => {
      const ready = (await env.prefixSync(ns, 'app'))?.status?.conditions?.find((c) => c.type === 'Ready');
      return ready?.reason === 'InvalidKey' ? ready : (ready?.reason ?? 'no Ready condition');
    });
    await env.closeManagers();
    assert.equal(invalid.stderr, `etcd-config-operator render: InvalidKey: ${condition.message}\n`);

    const unreachable = await render(
      'app',
      '-n',
      ns,
      '--diff',
      '--kubeconfig',
      kubeconfig,
      '--endpoints',
      '127.0.0.1:1',
      '--dial-timeout',
      '300ms',
    );
    assert.equal(unreachable.code, 2);
    assert.match(
      unreachable.stderr,
      /SourceUnavailable: reading \S+ from ClusterEtcdSource main failed: no answer from 127.0.0.1:1 within 300 ms/,
    );
  });

  /** `render NAME -n ns2 --kubeconfig … <more>` */
  const render2 = (name: string, ...more: string[]) =>
    render(name, '-n', ns2, '--kubeconfig', kubeconfig, ...more);

  it('renders spec.sources (a later prefix wins), target.metadata and immutable as the operator wrote them', async () => {
    const r = await render2('overlay', '-o', 'json');
    assert.equal(r.code, 0, r.stderr);
    const cm = JSON.parse(r.stdout) as V1ConfigMap;
    assert.deepEqual(cm.data, { shared: 'env', only: 'base', extra: 'env' });
    assert.deepEqual(cm.data, wrote.overlay.data);
    assert.equal(cm.immutable, true);
    assert.deepEqual(cm.metadata?.labels, wrote.overlay.metadata?.labels);
    assert.deepEqual(
      withoutRevision(cm.metadata?.annotations),
      withoutRevision(wrote.overlay.metadata?.annotations),
    );
    assert.equal(cm.metadata?.labels?.['team'], 'shop');
  });

  it('renders a versioned target under its version name, and --diff compares with the live version', async () => {
    const r = await render2('ver', '-o', 'json');
    assert.equal(r.code, 0, r.stderr);
    const cm = JSON.parse(r.stdout) as V1ConfigMap;
    assert.equal(cm.metadata?.name, wrote.version.metadata?.name);
    assert.deepEqual(cm.metadata?.labels, wrote.version.metadata?.labels);
    assert.deepEqual([cm.immutable, cm.data], [true, wrote.version.data]);
    const same = await render2('ver', '--diff');
    assert.deepEqual([same.code, same.stdout], [0, ''], same.stderr);
    await env.put(`/${ns2}/base/only`, 'base2');
    try {
      const changed = await render2('ver', '--diff');
      assert.equal(changed.code, 1, changed.stderr);
      const [from, to] = changed.stdout.split('\n');
      assert.equal(from, `--- live/${ns2}/${wrote.version.metadata?.name}/data/only`);
      assert.match(to!, new RegExp(`^\\+\\+\\+ rendered/${ns2}/ver-[0-9a-f]{10}/data/only$`));
      assert.notEqual(to, `+++ rendered/${ns2}/${wrote.version.metadata?.name}/data/only`);
    } finally {
      await env.put(`/${ns2}/base/only`, 'base');
    }
  });

  it('renders a Secret target with its values masked, unless --show-secret-values', async () => {
    const masked = await render2('sec', '-o', 'json');
    assert.equal(masked.code, 0, masked.stderr);
    const secret = JSON.parse(masked.stdout) as V1Secret;
    assert.deepEqual([secret.kind, secret.type], ['Secret', 'Opaque']);
    assert.deepEqual(secret.data, { only: '***', shared: '***' });
    assert.ok(!masked.stdout.includes(Buffer.from('base').toString('base64')));
    const shown = await render2('sec', '-o', 'json', '--show-secret-values');
    const full = JSON.parse(shown.stdout) as V1Secret;
    assert.deepEqual(full.data, wrote.secret.data);
    assert.deepEqual(
      withoutRevision(full.metadata?.annotations),
      withoutRevision(wrote.secret.metadata?.annotations),
    );
    const same = await render2('sec', '--diff');
    assert.deepEqual([same.code, same.stdout], [0, ''], same.stderr);

    await env.put(`/${ns2}/base/shared`, 'hunter2');
    try {
      const diff = await render2('sec', '--diff');
      assert.equal(diff.code, 1, diff.stderr);
      assert.equal(
        diff.stdout,
        [
          `--- live/${ns2}/sec/data/shared`,
          `+++ rendered/${ns2}/sec/data/shared`,
          '@@ -1 +1 @@',
          '-*** (before)',
          '\\ No newline at end of file',
          '+*** (after)',
          '\\ No newline at end of file',
          '',
        ].join('\n'),
      );
      const plain = await render2('sec', '--diff', '--show-secret-values');
      assert.equal(plain.code, 1, plain.stderr);
      assert.match(plain.stdout, /^-base$.*^\+hunter2$/ms);
    } finally {
      await env.put(`/${ns2}/base/shared`, 'base');
    }
  });

  it('renders a configMapRef template from the cluster, from --template-file (over rewritten spec.sources), and says how when it has neither', async () => {
    const fromCluster = await render2('tpl', '-o', 'json');
    assert.equal(fromCluster.code, 0, fromCluster.stderr);
    assert.deepEqual((JSON.parse(fromCluster.stdout) as V1ConfigMap).data, wrote.template.data);
    assert.deepEqual(wrote.template.data, { 'out.txt': 'shared=base' });

    // The template sees the merged, rewritten paths, as the operator's does (renderContent).
    const file = join(dir, 'tpl.yaml');
    await writeFile(
      file,
      `apiVersion: etcdconfig.dev/v1alpha1\nkind: PrefixSync\nmetadata: { name: tpl, namespace: ${ns2} }\n` +
        `spec:\n  sourceRef: { name: main }\n  sources:\n  - { prefix: /${ns2}/base/ }\n` +
        `  - { prefix: /${ns2}/env/, rewrite: [{ replace: { regex: '^ex', with: 'env-ex' } }] }\n` +
        `  target: { name: tpl, format: template, template: { configMapRef: { name: tpls } } }\n`,
    );
    const template = join(dir, 'other.liquid');
    await writeFile(template, 'only={{ "only" | get }} shared={{ "shared" | get }} {{ "env-extra" | get }}');
    const offline = [
      '-f',
      file,
      '--endpoints',
      env.etcd.endpoints.join(','),
      '--kubeconfig',
      join(dir, 'none'),
    ];
    const fromFile = await render(...offline, '--template-file', `other.txt=${template}`);
    assert.equal(fromFile.code, 0, fromFile.stderr);
    assert.deepEqual((parse(fromFile.stdout) as V1ConfigMap).data, {
      'other.txt': 'only=base shared=env env',
    });

    const neither = await render(...offline);
    assert.equal(neither.code, 2);
    assert.match(neither.stderr, /configMapRef tpls: cannot read ConfigMap \S+\/tpls from the cluster/);
    assert.match(neither.stderr, /a kubeconfig that can read it, or its keys as --template-file KEY=PATH/);
  });

  it('reports TooLarge with the message of the operator’s Ready condition', async () => {
    const r = await render2('big', '--diff');
    assert.equal(r.code, 2);
    assert.equal(r.stderr, `etcd-config-operator render: TooLarge: ${wrote.tooLarge.message}\n`);
  });

  it('runs as a subcommand of the bin, with kubectl diff’s exit code', async () => {
    const { code, stderr } = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [BIN, 'render', 'nope', '-n', ns, '--diff', '--kubeconfig', kubeconfig],
        (error, _stdout, stderr) =>
          resolve({ code: typeof error?.code === 'number' ? error.code : 0, stderr }),
      );
    });
    assert.match(stderr, new RegExp(`PrefixSync ${ns}/nope not found`));
    assert.equal(code, 2, 'a PrefixSync that does not exist is an error');
  });
});

/**
 * In `ns`, the PrefixSyncs of issue 14's API over `/<ns>/base/` (`shared`, `only`) and `/<ns>/env/`
 * (`shared`, `extra`): `overlay` (sources, metadata, immutable), `ver` (versioned), `sec` (Secret),
 * `tpl` (template ConfigMap `tpls`), and `big` over `/<ns>/big/` (more than a ConfigMap holds).
 */
async function createIssue14Syncs(env: TestEnv, ns: string): Promise<void> {
  await env.put(`/${ns}/base/shared`, 'base');
  await env.put(`/${ns}/base/only`, 'base');
  await env.put(`/${ns}/env/shared`, 'env');
  await env.put(`/${ns}/env/extra`, 'env');
  const chunk = 'x'.repeat(600 * 1024);
  await env.put(`/${ns}/big/one`, chunk);
  await env.put(`/${ns}/big/two`, chunk);
  await env.core.createNamespacedConfigMap({
    namespace: ns,
    body: { metadata: { name: 'tpls' }, data: { 'out.txt': 'shared={{ "shared" | get }}' } },
  });
  const base = { sourceRef: { name: 'main' }, debounce: '0s' };
  const plain = { ...base, prefix: `/${ns}/base/` };
  await env.createPrefixSync(ns, 'overlay', {
    ...base,
    sources: [{ prefix: `/${ns}/base/` }, { prefix: `/${ns}/env/` }],
    target: {
      name: 'overlay',
      immutable: true,
      metadata: { labels: { team: 'shop' }, annotations: { 'example.com/owner': 'shop' } },
    },
  });
  await env.createPrefixSync(ns, 'ver', {
    ...plain,
    target: { name: 'ver', versioned: true },
    rollout: { mode: 'auto' },
  });
  await env.createPrefixSync(ns, 'sec', { ...plain, target: { name: 'sec', kind: 'Secret' } });
  await env.createPrefixSync(ns, 'tpl', {
    ...plain,
    target: { name: 'tpl', format: 'template', template: { configMapRef: { name: 'tpls' } } },
  });
  await env.createPrefixSync(ns, 'big', { ...base, prefix: `/${ns}/big/`, target: { name: 'big' } });
}

/** Annotations without etcdconfig.dev/revision (etcd's revision moved on since the operator wrote). */
function withoutRevision(annotations: Record<string, string> | undefined): Record<string, string> {
  const { ['etcdconfig.dev/revision']: _revision, ...rest } = annotations ?? {};
  return rest;
}
