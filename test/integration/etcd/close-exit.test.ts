import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { EtcdCluster, freeLoopbackPorts, etcdVersionsUnderTest } from '../../../src/envtest/index.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/hundred-watches.ts', import.meta.url));
const DOWN_FIXTURE = fileURLToPath(new URL('./fixtures/watches-while-down.ts', import.meta.url));

/** Runs a fixture and resolves with its exit code and output; kills it after a generous deadline. */
async function runChild(
  fixture: string,
  endpoint: string,
): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture, endpoint], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
  // If close() left a handle open the child never exits: kill it at the deadline (exit code null) so
  // that the assertion fails and nothing is left running.
  const deadline = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearTimeout(deadline);
  return { code, out, err };
}

for (const etcd of etcdVersionsUnderTest()) {
  describe(`on etcd ${etcd.version}`, () => {
    describe('EtcdClient.close()', function () {
      this.timeout(60_000);
      let cluster: EtcdCluster;
      before(async () => {
        cluster = await EtcdCluster.start({ etcdBin: etcd.etcdBin, etcdctlBin: etcd.etcdctlBin });
      });
      after(async () => cluster?.close());

      it('with 100 open watches lets the process exit by itself', async () => {
        const { code, out, err } = await runChild(FIXTURE, cluster.endpoints[0]!);
        assert.equal(code, 0, `child exited with ${code}: ${err}`);
        assert.equal(out, 'ready\nclosed\n');
      });
    });
  });
}

// No etcd answers here (nothing listens on the port), so there is no server version to run it on.
describe('EtcdClient.close() with no etcd', function () {
  this.timeout(60_000);

  it('with 100 watches waiting for an unreachable etcd lets the process exit too', async () => {
    const [port] = await freeLoopbackPorts(1);
    const { code, out, err } = await runChild(DOWN_FIXTURE, `127.0.0.1:${port}`);
    assert.equal(code, 0, `child exited with ${code}: ${err}`);
    assert.equal(out, 'closed\n');
  });
});
