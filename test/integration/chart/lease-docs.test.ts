// What the docs say about the chart's Lease, checked against the rendered chart (issue 16: the docs said
// the chart sets the release name; it sets the release's full name), and the README's command for an
// operator run by hand next to its own install names that same Lease.
import { strict as assert } from 'node:assert';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, helms, template } from './support/helm.js';

describe('the Lease of a chart install, as documented', function () {
  this.timeout(120_000);
  const helm = helms()[0];
  let home = '';
  before(async function () {
    if (!helm) this.skip();
    home = await mkdtemp(join(tmpdir(), 'lease-docs-'));
  });
  after(async () => {
    if (home) await rm(home, { recursive: true, force: true });
  });

  async function renderedLease(namespace: string): Promise<{ namespace: string; name: string }> {
    // template() renders release "eco" from the repository's chart.
    const objs = await template(helm!, home, ['--namespace', namespace]);
    const deploy = objs.find((o) => o.kind === 'Deployment') as unknown as {
      metadata: { namespace: string };
      spec: { template: { spec: { containers: { args: string[] }[] } } };
    };
    const args = deploy.spec.template.spec.containers[0]!.args;
    const name = args.find((a) => a.startsWith('--lease-name='))?.slice('--lease-name='.length);
    assert.ok(name, args.join(' '));
    return { namespace: deploy.metadata.namespace, name };
  }

  it("documents --lease-name's chart default as the release's full name, with the real example", async () => {
    const { name } = await renderedLease('etcd-config-operator');
    const docs = await readFile(join(REPO_ROOT, 'docs/configuration.md'), 'utf8');
    const row = docs.split('\n').find((l) => l.startsWith('| `--lease-name` |'));
    assert.ok(row, 'a --lease-name row');
    assert.doesNotMatch(row, /sets the release name/);
    assert.match(row, /leaderElection\.leaseName/);
    assert.ok(row.includes(`\`${name}\` for release \`eco\``), `${row} names ${name}`);
  });

  it("gives a hand-run operator the flags that make it compete for the README install's Lease", async () => {
    const readme = await readFile(join(REPO_ROOT, 'README.md'), 'utf8');
    const installNs = /helm install eco charts\/etcd-config-operator --namespace (\S+)/.exec(readme)?.[1];
    assert.ok(installNs, 'the README install names its namespace');
    const lease = await renderedLease(installNs);
    const docs = await readFile(join(REPO_ROOT, 'docs/configuration.md'), 'utf8');
    for (const text of [readme, docs]) {
      const command = /etcd-config-operator run --namespace (\S+) --lease-name (\S+?)`?$/m.exec(text);
      assert.ok(command, 'a run command with --namespace and --lease-name');
      assert.deepEqual({ namespace: command[1], name: command[2] }, lease);
    }
  });
});
