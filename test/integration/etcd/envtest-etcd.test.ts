import { strict as assert } from 'node:assert';
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { createServer } from 'node:net';
import { EtcdCluster, PortInUseError, etcdVersionsUnderTest } from '../../../src/envtest/index.js';
import { waitFor } from '../../support/wait.js';

const run = promisify(execFile);

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

for (const etcd of etcdVersionsUnderTest()) {
  describe(`on etcd ${etcd.version}`, () => {
    describe('envtest etcd launcher', function () {
      this.timeout(90_000);

      describe('a single member', () => {
        it('starts healthy, survives SIGKILL + restart with its data, and close() leaves nothing behind', async () => {
          const cluster = await EtcdCluster.start({ etcdBin: etcd.etcdBin, etcdctlBin: etcd.etcdctlBin });
          const member = cluster.members[0]!;
          const pid = member.pid!;
          try {
            assert.equal(cluster.endpoints.length, 1);
            assert.match(member.endpoint, /^127\.0\.0\.1:\d+$/);
            await cluster.etcdctl(['put', '/envtest/a', '1']);

            await member.kill();
            assert.equal(member.state, 'stopped');
            assert.equal(isAlive(pid), false);

            await member.restart();
            assert.equal(member.state, 'running');
            const out = await cluster.etcdctl(['get', '/envtest/a', '--print-value-only']);
            assert.equal(out.trim(), '1');
          } finally {
            await cluster.close();
          }
          assert.equal(existsSync(cluster.dir), false);
          assert.equal(member.pid, undefined);
          assert.equal(isAlive(pid), false);
          await cluster.close(); // idempotent
        });

        it('reports its port taken by another process as PortInUseError, and restarts once it is free', async () => {
          const cluster = await EtcdCluster.start({ etcdBin: etcd.etcdBin, etcdctlBin: etcd.etcdctlBin });
          const member = cluster.members[0]!;
          const blocker = createServer();
          try {
            await member.kill();
            const port = Number(member.endpoint.split(':')[1]);
            await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
            await assert.rejects(member.restart({ timeoutMs: 1_500 }), PortInUseError);
            await new Promise<void>((resolve) => blocker.close(() => resolve()));
            await member.restart();
            assert.equal(await member.isHealthy(), true);
          } finally {
            blocker.close();
            await cluster.close();
          }
        });

        it('pauses and resumes a member (SIGSTOP/SIGCONT)', async () => {
          const cluster = await EtcdCluster.start({ etcdBin: etcd.etcdBin, etcdctlBin: etcd.etcdctlBin });
          try {
            const member = cluster.members[0]!;
            await member.pause();
            assert.equal(member.state, 'paused');
            assert.equal(await member.isHealthy(), false);
            await member.resume();
            await member.waitHealthy();
          } finally {
            await cluster.close();
          }
        });
      });

      describe('a 3-member cluster', () => {
        it('elects a leader and stays healthy after one member is killed', async () => {
          const cluster = await EtcdCluster.start({
            etcdBin: etcd.etcdBin,
            etcdctlBin: etcd.etcdctlBin,
            members: 3,
          });
          try {
            assert.equal(new Set(cluster.endpoints).size, 3);
            await cluster.members[0]!.kill();
            // A put racing the election of a new leader may time out on the server; retry until one lands.
            await waitFor('a put to succeed on the remaining two members', () =>
              cluster.etcdctl(['put', '/envtest/b', '2'], { endpoints: cluster.clientUrls.slice(1) }).then(
                () => true,
                () => false,
              ),
            );
            await cluster.members[0]!.restart();
            const out = await cluster.etcdctl(['get', '/envtest/b', '--print-value-only'], {
              endpoints: [cluster.clientUrls[0]!],
            });
            assert.equal(out.trim(), '2');
          } finally {
            await cluster.close();
          }
        });
      });

      describe('when the test runner is SIGKILLed', () => {
        it('the watchdog kills etcd and removes its data dir', async () => {
          // A child node process starts a cluster, reports its pid and dir, then gets SIGKILLed.
          const script = `
            import { EtcdCluster } from ${JSON.stringify(new URL('../../../src/envtest/etcd/index.ts', import.meta.url).href)};
            const c = await EtcdCluster.start(${JSON.stringify({ etcdBin: etcd.etcdBin, etcdctlBin: etcd.etcdctlBin })});
            process.stdout.write(JSON.stringify({ pid: c.members[0].pid, dir: c.dir }) + '\\n');
            setInterval(() => {}, 1000);
          `;
          const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
            stdio: ['ignore', 'pipe', 'inherit'],
          });
          const line = await new Promise<string>((resolve, reject) => {
            let buf = '';
            child.stdout.setEncoding('utf8');
            child.stdout.on('data', (c: string) => {
              buf += c;
              if (buf.includes('\n')) resolve(buf.split('\n')[0]!);
            });
            child.once('exit', (code) => reject(new Error(`child exited early with ${code}`)));
          });
          const { pid, dir } = JSON.parse(line) as { pid: number; dir: string };
          assert.equal(isAlive(pid), true);
          child.kill('SIGKILL');
          await waitFor('etcd to be killed by the watchdog', () => !isAlive(pid));
          await waitFor('the data dir to be removed', () => !existsSync(dir));
        });
      });

      it('runs the etcd and etcdctl of this version (3.5 from .tools; 3.4 on PATH or ETCD_BIN / ETCDCTL_BIN)', async () => {
        const { stdout } = await run(etcd.etcdBin, ['--version']);
        assert.match(stdout, new RegExp(`^etcd Version: ${etcd.version.replace(/\./g, '\\.')}$`, 'm'));
        const { stdout: ctl } = await run(etcd.etcdctlBin, ['version']);
        assert.match(ctl, new RegExp(`^etcdctl version: ${etcd.version.replace(/\./g, '\\.')}$`, 'm'));
      });
    });
  });
}
