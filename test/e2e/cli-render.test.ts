import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { V1ConfigMap } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { renderMain } from '../../src/cli/render.js';
import { useTestEnv, waitFor, type TestEnv } from '../integration/controller/support.js';

const BIN = fileURLToPath(new URL('../../bin/etcd-config-operator.js', import.meta.url));

/** `render` run in this process (the etcd and API calls are real); stdout, stderr and the exit code. */
async function render(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  const chunks = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
  out.on('data', (c: Buffer) => chunks.stdout.push(c));
  err.on('data', (c: Buffer) => chunks.stderr.push(c));
  const code = await renderMain(argv, { stdout: out, stderr: err });
  return {
    code,
    stdout: Buffer.concat(chunks.stdout).toString(),
    stderr: Buffer.concat(chunks.stderr).toString(),
  };
}

describe('etcd-config-operator render', function () {
  this.timeout(120_000);
  let env: TestEnv;
  let dir: string;
  let kubeconfig: string;
  let ns: string;
  let prefix: string;
  /** The ConfigMap the operator wrote, before the operator was stopped. */
  let written: V1ConfigMap;

  useTestEnv(async (e) => {
    env = e;
    dir = await mkdtemp(join(tmpdir(), 'render-'));
    kubeconfig = join(dir, 'kubeconfig');
    await env.sim.writeKubeconfig(kubeconfig);
    ({ ns, prefix } = await env.freshApp({}, { a: 'one\ntwo\nthree\n', b: 'bee' }));
    await env.startManager();
    written = await waitFor('the operator to write cfg', async () => {
      const cm = await env.configMap(ns, 'cfg');
      return cm?.data?.['b'] === 'bee' ? cm : undefined;
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
