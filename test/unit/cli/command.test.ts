import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const BIN = fileURLToPath(new URL('../../../bin/etcd-config-operator.js', import.meta.url));

describe('the etcd-config-operator command', () => {
  it('prints its version', async () => {
    const { stdout } = await run(process.execPath, [BIN, '--version']);
    assert.match(stdout, /^etcd-config-operator \d+\.\d+\.\d+\n$/);
  });

  it('refuses an unknown command with exit status 2 and the usage', async () => {
    const err = await run(process.execPath, [BIN, 'no-such-command']).then(
      () => assert.fail('an unknown command succeeded'),
      (e: { code: number; stderr: string }) => e,
    );
    assert.equal(err.code, 2);
    assert.match(err.stderr, /unknown command 'no-such-command'/);
    assert.match(err.stderr, /Usage: etcd-config-operator <command>/);
  });
});
