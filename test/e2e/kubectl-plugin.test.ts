import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kubectlPluginMain } from '../../src/cli/plugin/main.js';
import { runInProcess, type CliRun } from './support/in-process-cli.js';
import { useTestEnv, waitFor, type TestEnv } from '../integration/controller/support.js';

const PLUGIN_BIN = fileURLToPath(new URL('../../bin/kubectl-etcdconfig.js', import.meta.url));
const TOOLS_BIN = fileURLToPath(new URL('../../.tools/bin/', import.meta.url));

/** `plugin` run in this process; stdout, stderr and the exit code. */
const plugin = (...argv: string[]): Promise<CliRun> => runInProcess(kubectlPluginMain, argv);

describe('kubectl etcdconfig', function () {
  this.timeout(120_000);
  let env: TestEnv;
  let dir: string;
  let kubeconfig: string;
  let ns: string;
  let prefix: string;

  useTestEnv(async (e) => {
    env = e;
    dir = await mkdtemp(join(tmpdir(), 'plugin-'));
    kubeconfig = join(dir, 'kubeconfig');
    await env.sim.writeKubeconfig(kubeconfig);
    ({ ns, prefix } = await env.freshApp({}, { a: 'one' }));
    await env.startManager();
    await waitFor('app Ready', async () => {
      const ready = await env.condition(ns, 'app');
      return ready === 'True/Synced' || (ready ?? 'no Ready condition');
    });
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('status lists every PrefixSync with Ready, its reason, the lag and the last change', async () => {
    const r = await plugin('status', '-A', '--kubeconfig', kubeconfig, '--context', 'kube-sim');
    assert.equal(r.code, 0, r.stderr);
    const [header, ...rows] = r.stdout.trimEnd().split('\n');
    assert.match(header!, /^NAMESPACE\s+NAME\s+READY\s+REASON\s+SYNCED\s+LAG\s+LAST CHANGE$/);
    const synced = (await env.prefixSync(ns, 'app'))?.status?.syncedRevision;
    const row = rows.find((l) => l.startsWith(`${ns} `))?.split(/\s+/);
    assert.deepEqual(row?.slice(0, 5), [ns, 'app', 'True', 'Synced', synced]);
    assert.match(row[5]!, /^[0-9]+$/, 'the lag is a number of revisions');
    assert.match(row[6]!, /^[0-9]+[smhd]$/);
  });

  it('sync sets the force-sync annotation with field manager kubectl-etcdconfig', async () => {
    const r = await plugin('sync', 'app', '-n', ns, '--kubeconfig', kubeconfig);
    assert.equal(r.code, 0, r.stderr);
    const psync = await env.prefixSync(ns, 'app');
    assert.match(psync?.metadata.annotations?.['etcdconfig.dev/force-sync'] ?? '', /^\d{4}-/);
    const managedFields = (psync?.metadata as { managedFields?: { manager?: string }[] } | undefined)
      ?.managedFields;
    const managers = (managedFields ?? []).map((m) => m.manager);
    assert.ok(managers.includes('kubectl-etcdconfig'), `managers: ${managers.join(', ')}`);
    // The write's User-Agent is the operator's form with the plugin's name first.
    const agents = [...env.sim.userAgents];
    assert.ok(
      agents.some((a) => /^kubectl-etcdconfig\/\S+ \([a-z0-9]+\/[a-z0-9_]+; node [0-9.]+\)$/.test(a)),
      `User-Agents: ${agents.join(' | ')}`,
    );
    const missing = await plugin('sync', 'nope', '-n', ns, '--kubeconfig', kubeconfig);
    assert.equal(missing.code, 1);
    const noContext = await plugin('sync', 'app', '-n', ns, '--kubeconfig', kubeconfig, '--context', 'nope');
    assert.deepEqual(
      [noContext.code, noContext.stderr],
      [1, `kubectl etcdconfig sync: --context: no context 'nope' in the kubeconfig\n`],
    );
  });

  it('suspend holds changes back (diff shows them, exit 1), resume syncs them (diff exit 0)', async () => {
    assert.equal((await plugin('suspend', 'app', '-n', ns, '--kubeconfig', kubeconfig)).code, 0);
    assert.equal((await env.prefixSync(ns, 'app'))?.spec.suspend, true);
    await waitFor(
      'Suspended',
      async () => (await env.condition(ns, 'app'))?.endsWith('/Suspended') || undefined,
    );
    await env.put(`${prefix}a`, 'two');
    const held = await plugin('diff', 'app', '-n', ns, '--kubeconfig', kubeconfig);
    assert.equal(held.code, 1, held.stderr);
    assert.match(held.stdout, /^-one\n.*^\+two$/ms);

    assert.equal((await plugin('resume', 'app', '-n', ns, '--kubeconfig', kubeconfig)).code, 0);
    assert.equal((await env.prefixSync(ns, 'app'))?.spec.suspend, false);
    await waitFor(
      'cfg updated',
      async () => (await env.configMap(ns, 'cfg'))?.data?.['a'] === 'two' || undefined,
    );
    const same = await plugin('diff', 'app', '-n', ns, '--kubeconfig', kubeconfig);
    assert.deepEqual([same.code, same.stdout], [0, ''], same.stderr);
  });

  it('history lists the recent revisions of the prefix and the keys each changed', async () => {
    const p = await env.freshApp({}, {});
    const rev = async (op: Promise<{ revision: bigint }>): Promise<string> => (await op).revision.toString();
    const kv = env.etcdClient.kv;
    const r1 = await rev(kv.put(`${p.prefix}x`, '1'));
    const r2 = await rev(kv.put(`${p.prefix}y`, '1'));
    const r3 = await rev(kv.put(`${p.prefix}x`, '2'));
    const r4 = await rev(kv.delete({ key: `${p.prefix}y` }));
    const r5 = await rev(kv.put(`${p.prefix}z`, '1'));
    const r = await plugin('history', 'app', '-n', p.ns, '--limit', '4', '--kubeconfig', kubeconfig);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.split('\n').slice(1, -1), [
      `revision ${r5}`,
      `  put     ${p.prefix}z`,
      `revision ${r4}`,
      `  delete  ${p.prefix}y`,
      `revision ${r3}`,
      `  put     ${p.prefix}x`,
      `revision ${r2}`,
      `  put     ${p.prefix}y`,
    ]);
    assert.ok(!r.stdout.includes(`revision ${r1}`), '--limit bounds the list');
  });

  it('is found by kubectl on PATH as npm installs it: kubectl plugin list, kubectl etcdconfig status', async () => {
    // npm links each bin under its name without the .js, which is what kubectl looks for.
    const binDir = join(dir, 'bin');
    await mkdir(binDir);
    await symlink(PLUGIN_BIN, join(binDir, 'kubectl-etcdconfig'));
    const kubectl = async (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
      new Promise((resolve) => {
        execFile(
          join(TOOLS_BIN, 'kubectl'),
          args,
          {
            env: {
              ...process.env,
              PATH: `${binDir}${delimiter}${process.env['PATH'] ?? ''}`,
              KUBECONFIG: kubeconfig,
            },
          },
          (error, stdout, stderr) =>
            resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr }),
        );
      });
    const list = await kubectl('plugin', 'list');
    assert.match(list.stdout, /\/kubectl-etcdconfig$/m);
    const status = await kubectl('etcdconfig', 'status', '-n', ns);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /^app\s+True\s+Synced\s/m);
  });
});
