import { strict as assert } from 'node:assert';
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { waitFor } from './helpers.js';

const BIN = fileURLToPath(new URL('../../../bin/etcd-config-operator.js', import.meta.url));
const run = promisify(execFile);

describe('etcd-config-operator sim', function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kube-sim-cli-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('prints its flags with --help', async () => {
    const { stdout } = await run(process.execPath, [BIN, 'sim', '--help']);
    assert.match(stdout, /--port N/);
    assert.match(stdout, /--kubeconfig-out FILE/);
  });

  it('refuses an unknown flag with exit status 2', async () => {
    const err = await run(process.execPath, [BIN, 'sim', '--nope']).then(
      () => assert.fail('an unknown flag was accepted'),
      (e: { code: number; stderr: string }) => e,
    );
    assert.equal(err.code, 2);
    assert.match(err.stderr, /unknown flag '--nope'/);
  });

  it('serves on a free port, writes a kubeconfig client-node accepts, and stops cleanly on SIGTERM', async () => {
    const kubeconfig = join(dir, 'kubeconfig');
    const child = spawn(process.execPath, [BIN, 'sim', '--port', '0', '--kubeconfig-out', kubeconfig], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await waitFor(
        'the listening line',
        () => /kube-sim listening on http:\/\/127\.0\.0\.1:\d+/.test(out),
        30_000,
      );
      assert.ok(existsSync(kubeconfig));
      assert.match(readFileSync(kubeconfig, 'utf8'), /insecure-skip-tls-verify: true/);
      const kc = new KubeConfig();
      kc.loadFromFile(kubeconfig);
      const names = (await kc.makeApiClient(CoreV1Api).listNamespace()).items.map((n) => n.metadata!.name);
      assert.ok(names.includes('default'));
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0);
    assert.match(out, /kube-sim stopped/);
  });
});
