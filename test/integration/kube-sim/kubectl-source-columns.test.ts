// kubectl get clusteretcdsource: the ENDPOINTS column is readable (issue 16). The API server's printer
// renders a list field as a JSON array, so the column reads status.endpoints, which the operator
// writes (sourceStatus) as the spec's endpoints joined by commas.
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { CLUSTER_ETCD_SOURCE, GROUP, VERSION, type ClusterEtcdSource } from '../../../src/api/index.js';
import { sourceStatus } from '../../../src/controller/etcdsource/source-status.js';
import { installCrds, KubeSim } from '../../../src/envtest/kube-sim/index.js';

const KUBECTL = fileURLToPath(new URL('../../../.tools/bin/kubectl', import.meta.url));

describe('kubectl get clusteretcdsource (kubectl 1.33 against KubeSim)', function () {
  this.timeout(60_000);
  let sim: KubeSim;
  let dir: string;

  before(async function () {
    if (!existsSync(KUBECTL)) this.skip(); // scripts/ensure-tools.mjs (npm pretest) installs it
    dir = await mkdtemp(join(tmpdir(), 'kubectl-source-'));
    sim = await KubeSim.start({ workloads: false });
    await sim.writeKubeconfig(join(dir, 'kubeconfig'));
    await installCrds(sim.kubeConfig());
  });
  after(async () => {
    await sim?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  function kubectl(...args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(
        KUBECTL,
        ['--kubeconfig', join(dir, 'kubeconfig'), '--request-timeout=20s', ...args],
        { env: { PATH: process.env['PATH'] ?? '', HOME: dir }, timeout: 30_000 },
        (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
      );
    });
  }

  it('prints ENDPOINTS as the comma-separated list the operator writes in status, not a JSON array', async () => {
    const api = sim.kubeConfig().makeApiClient(CustomObjectsApi);
    const endpoints = ['https://etcd-0.etcd:2379', 'https://etcd-1.etcd:2379'];
    const created = (await api.createClusterCustomObject({
      group: GROUP,
      version: VERSION,
      plural: CLUSTER_ETCD_SOURCE.plural,
      body: {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: 'ClusterEtcdSource',
        metadata: { name: 'platform' },
        spec: { endpoints, access: [{ namespaces: ['team-a'], prefixes: ['/config/'] }] },
      },
    })) as ClusterEtcdSource;
    // The status the etcdsource reconciler writes for a source it cannot reach yet.
    const status = sourceStatus(undefined, { state: 'pending' }, 1, new Date(), created.spec.endpoints);
    await api.replaceClusterCustomObjectStatus({
      group: GROUP,
      version: VERSION,
      plural: CLUSTER_ETCD_SOURCE.plural,
      name: 'platform',
      body: { ...created, status },
    });

    const [header, row] = (await kubectl('get', 'clusteretcdsource')).trim().split('\n');
    assert.match(header ?? '', /^NAME\s+ENDPOINTS\s+READY\s+/);
    assert.match(
      row ?? '',
      /^platform\s+https:\/\/etcd-0\.etcd:2379,https:\/\/etcd-1\.etcd:2379\s+Unknown\s+/,
    );
  });
});
