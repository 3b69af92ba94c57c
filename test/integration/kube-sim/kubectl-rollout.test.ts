import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  FAIL_ROLLOUTS_ANNOTATION,
  FAIL_WHEN_ANNOTATION,
  KubeSim,
} from '../../../src/envtest/kube-sim/index.js';

const KUBECTL = fileURLToPath(new URL('../../../.tools/bin/kubectl', import.meta.url));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function deploymentYaml(name: string, annotations: Record<string, string>, version = '1'): string {
  const lines = Object.entries(annotations).map(([k, v]) => `    ${k}: "${v}"`);
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
${lines.length > 0 ? `  annotations:\n${lines.join('\n')}\n` : ''}spec:
  replicas: 3
  progressDeadlineSeconds: 2
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}, annotations: {version: "${version}"}}
    spec:
      containers:
        - name: app
          image: app:1
          envFrom: [{configMapRef: {name: cfg}}]
`;
}

describe('kubectl rollout status against KubeSim', function () {
  // kubectl runs are process starts plus discovery; generous for a loaded 2-core machine.
  this.timeout(120_000);
  let sim: KubeSim;
  let dir: string;

  before(function () {
    if (!existsSync(KUBECTL)) this.skip(); // scripts/ensure-tools.mjs (npm pretest) installs it
  });
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kube-sim-rollout-'));
    sim = await KubeSim.start({ workloads: { stepDelayMs: 50, nodes: 2 } });
    await sim.writeKubeconfig(join(dir, 'kubeconfig'));
  });
  afterEach(async () => {
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  });

  function kubectl(...args: string[]): Promise<Run> {
    return new Promise((resolve) => {
      execFile(
        KUBECTL,
        ['--kubeconfig', join(dir, 'kubeconfig'), '--request-timeout=20s', ...args],
        { env: { PATH: process.env['PATH'] ?? '', HOME: dir }, timeout: 90_000 },
        (err, stdout, stderr) => {
          const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
    });
  }

  async function apply(name: string, text: string): Promise<void> {
    const file = join(dir, `${name}.yaml`);
    await writeFile(file, text);
    const r = await kubectl('apply', '-f', file);
    assert.equal(r.code, 0, r.stderr);
  }

  beforeEach(async () => {
    await apply('cfg', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\ndata: {mode: ok}\n');
  });

  it('finishes for a good rollout of a Deployment, a StatefulSet and a DaemonSet', async () => {
    await apply('web', deploymentYaml('web', {}));
    const created = await kubectl('rollout', 'status', 'deployment/web', '--timeout=60s');
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /deployment "web" successfully rolled out/);

    await apply('web', deploymentYaml('web', {}, '2'));
    const updated = await kubectl('rollout', 'status', 'deployment/web', '--timeout=60s');
    assert.equal(updated.code, 0, updated.stderr);
    assert.match(updated.stdout, /deployment "web" successfully rolled out/);

    await apply(
      'sets',
      `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  replicas: 2
  serviceName: db
  selector: {matchLabels: {app: db}}
  template: {metadata: {labels: {app: db}}, spec: {containers: [{name: db, image: db:1}]}}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template: {metadata: {labels: {app: agent}}, spec: {containers: [{name: agent, image: agent:1}]}}
`,
    );
    const sts = await kubectl('rollout', 'status', 'statefulset/db', '--timeout=60s');
    assert.equal(sts.code, 0, sts.stderr);
    assert.match(sts.stdout, /partitioned roll out complete: 2 new pods have been updated/);
    const ds = await kubectl('rollout', 'status', 'daemonset/agent', '--timeout=60s');
    assert.equal(ds.code, 0, ds.stderr);
    assert.match(ds.stdout, /daemon set "agent" successfully rolled out/);
  });

  it(`fails with "exceeded its progress deadline" for a Deployment under ${FAIL_ROLLOUTS_ANNOTATION}`, async () => {
    await apply('bad', deploymentYaml('bad', { [FAIL_ROLLOUTS_ANNOTATION]: 'true' }));
    const r = await kubectl('rollout', 'status', 'deployment/bad', '--timeout=60s');
    assert.notEqual(r.code, 0, r.stdout);
    assert.match(r.stderr, /error: deployment "bad" exceeded its progress deadline/);
  });

  it(`fails for a bad ConfigMap value under ${FAIL_WHEN_ANNOTATION}, and finishes for the rollback`, async () => {
    await apply('web', deploymentYaml('web', { [FAIL_WHEN_ANNOTATION]: 'mode=broken' }));
    assert.equal((await kubectl('rollout', 'status', 'deployment/web', '--timeout=60s')).code, 0);
    await apply('cfg', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\ndata: {mode: broken}\n');
    await apply('web', deploymentYaml('web', { [FAIL_WHEN_ANNOTATION]: 'mode=broken' }, '2'));
    const failed = await kubectl('rollout', 'status', 'deployment/web', '--timeout=60s');
    assert.notEqual(failed.code, 0, failed.stdout);
    assert.match(failed.stderr, /exceeded its progress deadline/);

    await apply('cfg', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\ndata: {mode: ok}\n');
    await apply('web', deploymentYaml('web', { [FAIL_WHEN_ANNOTATION]: 'mode=broken' }, '1'));
    const back = await kubectl('rollout', 'status', 'deployment/web', '--timeout=60s');
    assert.equal(back.code, 0, back.stderr);
    assert.match(back.stdout, /deployment "web" successfully rolled out/);
  });
});
