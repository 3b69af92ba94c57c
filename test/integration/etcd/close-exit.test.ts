import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { EtcdCluster } from '../../../src/envtest/etcd/index.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/hundred-watches.ts', import.meta.url));

describe('EtcdClient.close()', function () {
  this.timeout(60_000);
  let cluster: EtcdCluster;
  before(async () => {
    cluster = await EtcdCluster.start();
  });
  after(async () => cluster?.close());

  it('with 100 open watches lets the process exit by itself', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, cluster.endpoints[0]!], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    // If close() left a handle open the child never exits: give it a generous deadline, then kill it
    // (exit code null) so that the assertion fails and nothing is left running.
    const deadline = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    clearTimeout(deadline);
    assert.equal(code, 0, `child exited with ${code}: ${err}`);
    assert.equal(out, 'ready\nclosed\n');
  });
});
