// The chart's NOTES print a PrefixSync to start from; after the README's own install it must be one the
// installed access rules allow (issue 16: the example's namespace and prefix were refused).
import { strict as assert } from 'node:assert';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CHART, REPO_ROOT, helms, parseManifests, run } from './support/helm.js';

/** The arguments of the README's `helm install eco charts/etcd-config-operator …` command. */
async function readmeInstallArgs(): Promise<string[]> {
  const readme = await readFile(join(REPO_ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('helm install eco charts/etcd-config-operator');
  assert.ok(start >= 0, 'the README shows a helm install');
  const end = readme.indexOf('\n```', start);
  const command = readme.slice(start, end).replace(/\\\n\s*/g, ' ');
  const words = [...command.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? '');
  return words.slice(4).filter((w) => w !== '--create-namespace');
}

describe('chart NOTES after the README install', function () {
  this.timeout(120_000);
  const helm4 = helms().find((h) => h.label === 'Helm 4');
  let home = '';
  before(async function () {
    if (!helm4) this.skip();
    home = await mkdtemp(join(tmpdir(), 'notes-access-'));
  });
  after(async () => {
    if (home) await rm(home, { recursive: true, force: true });
  });

  it('prints an example PrefixSync whose namespace and prefix the installed access rules allow', async () => {
    const args = await readmeInstallArgs();
    assert.ok(
      args.some((a) => a.startsWith('defaultSource.access')),
      args.join(' '),
    );
    const out = await run(helm4!.path, ['install', 'eco', CHART, ...args, '--dry-run=client'], home);
    assert.equal(out.code, 0, out.stderr);
    const notesAt = out.stdout.indexOf('NOTES:');
    const source = parseManifests(out.stdout.slice(0, notesAt)).find((m) => m.kind === 'ClusterEtcdSource');
    const access = (source?.['spec'] as { access?: { namespaces?: string[]; prefixes: string[] }[] }).access;
    const notes = out.stdout.slice(notesAt);
    const example = notes.slice(notes.indexOf('apiVersion: etcdconfig.dev'), notes.indexOf('\n\n4.'));
    const psync = parse(example.replace(/^ {5}/gm, '')) as {
      metadata: { namespace: string };
      spec: { prefix: string };
    };
    const allowed = (access ?? []).some(
      (rule) =>
        (rule.namespaces ?? []).includes(psync.metadata.namespace) &&
        rule.prefixes.some((p) => psync.spec.prefix.startsWith(p)),
    );
    assert.ok(allowed, `${JSON.stringify(psync)} is not allowed by ${JSON.stringify(access)}`);
    assert.match(notes, new RegExp(`kubectl -n ${psync.metadata.namespace} get prefixsync my-app`));
  });
});
