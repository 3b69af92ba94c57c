import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { WatchProcess, type JsonLine } from './support/watch-process.js';
import { randomUUID } from 'node:crypto';
import { EtcdClient } from '../../src/etcd/index.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EtcdCluster, createTestCertificates, freeLoopbackPorts } from '../../src/envtest/etcd/index.js';

const WATCH_BIN = fileURLToPath(new URL('../../bin/etcd-config-operator.js', import.meta.url));

describe('etcd-config-operator watch', function () {
  this.timeout(120_000);
  let cluster: EtcdCluster;
  let client: EtcdClient;
  const running: WatchProcess[] = [];
  const watch = (...args: string[]): WatchProcess => {
    const p = new WatchProcess(args);
    running.push(p);
    return p;
  };

  before(async () => {
    cluster = await EtcdCluster.start();
    client = new EtcdClient({ endpoints: cluster.endpoints });
  });
  after(async () => {
    await client?.close();
    await cluster?.close();
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((p) => p.kill()));
  });

  const unique = (): string => `/e2e/${randomUUID()}/`;
  const endpoints = (): string => cluster.endpoints.join(',');

  it('prints puts and deletes as JSON lines after a created line, revisions as strings', async () => {
    const prefix = unique();
    const w = watch(prefix, '--endpoints', endpoints(), '--output', 'json');
    await w.untilCreated();
    const put = await client.kv.put(`${prefix}a`, 'one');
    await client.kv.put(`${prefix}b`, 'zwei');
    await client.kv.put(`/elsewhere/${randomUUID()}`, 'not watched');
    const del = await client.kv.delete({ key: `${prefix}a` });
    await w.until(() => w.events().length >= 3, 'three events');
    const [first, second, third] = w.events();
    assert.equal(w.lines[0]!.type, 'created');
    assert.match(w.lines[0]!.revision!, /^[0-9]+$/);
    assert.deepEqual(
      { type: first!.type, key: first!.key, value: first!.value, modRevision: first!.modRevision },
      { type: 'put', key: `${prefix}a`, value: 'one', modRevision: put.revision.toString() },
    );
    assert.equal(second!.value, 'zwei');
    assert.deepEqual(
      { type: third!.type, key: third!.key, modRevision: third!.modRevision },
      { type: 'delete', key: `${prefix}a`, modRevision: del.revision.toString() },
    );
    assert.equal(w.events().length, 3, 'nothing outside the prefix');
    w.interrupt();
    assert.equal(await w.exited, 0);
  });

  it('prints text like etcdctl: type, key and value on their own lines', async () => {
    const prefix = unique();
    const w = watch(prefix, '--endpoints', endpoints());
    await w.until(() => w.stderr.includes('# watch created'), 'the created comment on stderr');
    await client.kv.put(`${prefix}k`, 'hello world');
    await client.kv.delete({ key: `${prefix}k` });
    const expected = `PUT\n${prefix}k\nhello world\nDELETE\n${prefix}k\n\n`;
    await w.until(() => w.stdout.toString() === expected, 'the text output');
    w.interrupt();
    assert.equal(await w.exited, 0);
  });

  it('base64-encodes a value that is not valid UTF-8 and marks it, leaving the key readable', async () => {
    const prefix = unique();
    const w = watch(prefix, '--endpoints', endpoints(), '--output', 'json');
    await w.untilCreated();
    const value = Buffer.from([0xff, 0x00, 0xfe, 0x41]);
    await client.kv.put(`${prefix}bin`, value);
    await w.until(() => w.events().length === 1, 'the event');
    const e = w.events()[0]!;
    assert.equal(e.valueEncoding, 'base64');
    assert.deepEqual(Buffer.from(e.value!, 'base64'), value);
    assert.equal(e.key, `${prefix}bin`, 'jq .key still reads the key');
    assert.equal(e.keyEncoding, undefined);
  });

  it('replays history with --from-revision', async () => {
    const prefix = unique();
    const r1 = await client.kv.put(`${prefix}1`, 'a');
    await client.kv.put(`${prefix}2`, 'b');
    await client.kv.put(`${prefix}1`, 'c');
    const w = watch(
      prefix,
      '--endpoints',
      endpoints(),
      '--output',
      'json',
      '--from-revision',
      r1.revision.toString(),
    );
    await w.until(() => w.events().length >= 3, 'three replayed events');
    assert.deepEqual(
      w.events().map((e) => `${e.key}=${e.value}`),
      [`${prefix}1=a`, `${prefix}2=b`, `${prefix}1=c`],
    );
    const live = await client.kv.put(`${prefix}3`, 'd');
    await w.until(() => w.events().length === 4, 'the live event after the replay');
    assert.equal(w.events()[3]!.modRevision, live.revision.toString());
  });

  it('shows the previous value with --prev-kv', async () => {
    const prefix = unique();
    const before = await client.kv.put(`${prefix}k`, 'old');
    const w = watch(prefix, '--endpoints', endpoints(), '--output', 'json', '--prev-kv');
    await w.untilCreated();
    await client.kv.put(`${prefix}k`, 'new');
    await w.until(() => w.events().length === 1, 'the event');
    const e = w.events()[0]!;
    assert.equal(e.value, 'new');
    assert.deepEqual(
      { key: e.prevKv?.key, value: e.prevKv?.value, modRevision: e.prevKv?.modRevision },
      { key: `${prefix}k`, value: 'old', modRevision: before.revision.toString() },
    );
  });

  it('prints a compacted line and exits 1 when its start revision was compacted', async () => {
    const prefix = unique();
    const first = await client.kv.put(`${prefix}k`, '1');
    await client.kv.put(`${prefix}k`, '2');
    const last = await client.kv.put(`${prefix}k`, '3');
    await cluster.etcdctl(['compact', last.revision.toString()]);
    const w = watch(
      prefix,
      '--endpoints',
      endpoints(),
      '--output',
      'json',
      '--from-revision',
      first.revision.toString(),
    );
    assert.equal(await w.exited, 1);
    const compacted = w.lines.find((l) => l.type === 'compacted');
    assert.ok(compacted, `a compacted line in ${w.stdout.toString()}`);
    assert.ok(BigInt(compacted.compactRevision!) >= last.revision);
    assert.equal(w.events().length, 0);
    assert.match(w.stderr, /compacted/);
    assert.equal(w.stderr.trim().split('\n').length, 1, `one line on stderr: ${w.stderr}`);
  });

  it('replays a backlog to a reader that takes it slowly: every event once, in order, nothing dropped', async () => {
    // 5,000 events of ~200 bytes: about 1 MB of lines, many times what the pipe holds, so `watch`
    // keeps waiting for the reader (a whole response is ~1 MB here, one batch of writes).
    const prefix = unique();
    const txns = await Promise.all(
      Array.from({ length: 50 }, async (_, t) => {
        const values = Array.from({ length: 100 }, (_, k) => `${t}.${k}.`.padEnd(120, 'x'));
        const { revision } = await client.kv.txn({
          success: values.map((value, k) => ({ type: 'put', key: `${prefix}${k}`, value })),
        });
        return values.map((value, k) => ({ revision, line: `${prefix}${k} ${value} ${revision}` }));
      }),
    );
    // In revision order, each txn's puts in request order.
    const expected = txns
      .sort((a, b) => Number(a[0]!.revision - b[0]!.revision))
      .flatMap((t) => t.map((e) => e.line));
    const first = expected[0]!.split(' ')[2]!;
    const child = spawn(
      process.execPath,
      [WATCH_BIN, 'watch', prefix, '--endpoints', endpoints(), '--from-revision', first, '-w', 'json'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (c: string) => (stderr += c));
    const seen: string[] = [];
    let pending = '';
    let reads = 0;
    try {
      for await (const chunk of child.stdout.setEncoding('utf8') as AsyncIterable<string>) {
        const lines = (pending + chunk).split('\n');
        pending = lines.pop()!;
        for (const l of lines) {
          const line = JSON.parse(l) as JsonLine;
          if (line.type === 'put') seen.push(`${line.key} ${line.value} ${line.modRevision}`);
        }
        if (seen.length >= expected.length) break;
        // The slow reader: a pause every read, so that the pipe stays full (a throttle, not a wait
        // for anything to happen).
        if (++reads % 4 === 0) await new Promise((r) => setTimeout(r, 5));
      }
    } finally {
      child.kill('SIGINT');
    }
    assert.ok(reads > 8, `expected the output to take many reads, got ${reads}; stderr: ${stderr}`);
    assert.equal(seen.length, expected.length);
    assert.deepEqual(seen, expected);
  });

  it('ends cleanly on SIGINT with everything printed so far flushed', async () => {
    const prefix = unique();
    const w = watch(prefix, '--endpoints', endpoints(), '--output', 'json');
    await w.untilCreated();
    for (let i = 0; i < 50; i++) await client.kv.put(`${prefix}${i}`, 'x'.repeat(1000));
    await w.until(() => w.events().length === 50, 'fifty events');
    w.interrupt();
    assert.equal(await w.exited, 0);
    assert.equal(w.stderr, '');
    assert.equal(w.events().length, 50);
  });

  it('refuses a bad flag with one line on stderr and exit 2', async () => {
    const w = watch('/p/', '--output', 'yaml');
    assert.equal(await w.exited, 2);
    assert.equal(w.stdout.length, 0);
    assert.match(
      w.stderr,
      /^etcd-config-operator watch: --output: 'yaml' is not one of text, json \(see --help\)\n$/,
    );
  });

  it('gives up with exit 1 when no etcd answers within --dial-timeout', async () => {
    const [port] = await freeLoopbackPorts(1);
    const w = watch('/p/', '--endpoints', `127.0.0.1:${port}`, '--dial-timeout', '1s');
    assert.equal(await w.exited, 1);
    assert.match(w.stderr, /# etcd unreachable \(.+\); waiting for it, reconnecting\n/);
    assert.match(w.stderr, /no watch established on 127\.0\.0\.1:\d+ within 1000 ms/);
  });

  it('under --output json, says it is waiting in a JSON line and gives up with a JSON error on stderr', async () => {
    const [port] = await freeLoopbackPorts(1);
    const w = watch('/p/', '--endpoints', `http://127.0.0.1:${port}`, '--dial-timeout', '1s', '-w', 'json');
    assert.equal(await w.exited, 1);
    assert.equal(w.lines[0]?.type, 'waiting', JSON.stringify(w.lines));
    const errors = w.stderr.trim().split('\n');
    assert.equal(errors.length, 1, w.stderr);
    const error = JSON.parse(errors[0]!) as Record<string, string>;
    assert.equal(error['type'], 'error');
    assert.equal(error['error'], 'DialTimeout');
    assert.match(error['message'] ?? '', /no watch established on http:\/\/127\.0\.0\.1:\d+ within 1000 ms/);
  });

  describe('when etcd is killed and restarted', () => {
    let own: EtcdCluster;
    before(async () => {
      own = await EtcdCluster.start();
    });
    after(async () => {
      await own?.close();
    });

    it('goes on after a reconnected line, losing and repeating nothing', async () => {
      const writer = new EtcdClient({ endpoints: own.endpoints });
      try {
        const prefix = unique();
        const w = watch(prefix, '--endpoints', own.endpoints.join(','), '--output', 'json');
        await w.untilCreated();
        // Which revision etcd gave each write: if an event is ever missing, the failure then says which
        // revision it was and whether it came before or after the restart.
        const written: string[] = [];
        const put = async (i: number): Promise<void> => {
          const { revision } = await writer.kv.put(`${prefix}${i}`, `v${i}`);
          written.push(`v${i}@${revision}`);
        };
        for (let i = 0; i < 5; i++) await put(i);
        await w.until(() => w.events().length === 5, 'five events before the kill');
        await own.members[0]!.restart({ signal: 'SIGKILL' });
        written.push('(restarted)');
        // Written as soon as etcd is back, quite possibly before the watch has resumed.
        for (let i = 5; i < 10; i++) await put(i);
        await w.until(
          () => w.events().length >= 10,
          `ten events after the restart (etcd wrote ${written.join(' ')}; etcd log:\n${own.members[0]!.logTail})`,
        );
        assert.deepEqual(
          w.events().map((e) => e.value),
          Array.from({ length: 10 }, (_, i) => `v${i}`),
        );
        const types = w.lines.map((l) => (l.type === 'put' ? l.value : l.type));
        const reconnectedAt = types.indexOf('reconnected');
        assert.ok(
          reconnectedAt > types.indexOf('v4') && reconnectedAt < types.indexOf('v5'),
          types.join(' '),
        );
        // It names where it resumes (right after v4) and where etcd was when the watch came back.
        // While etcd was away it said so once, and again when etcd answered.
        assert.equal(types.filter((t) => t === 'waiting').length, 1, types.join(' '));
        assert.ok(types.indexOf('waiting') > types.indexOf('v4'), types.join(' '));
        assert.ok(types.indexOf('connected') > types.indexOf('waiting'), types.join(' '));
        assert.ok(types.indexOf('connected') < reconnectedAt, types.join(' '));
        const reconnected = w.lines[reconnectedAt]!;
        const v4 = w.events()[4]!;
        assert.equal(reconnected.revision, v4.modRevision);
        assert.ok(BigInt(reconnected.etcdRevision!) >= BigInt(v4.modRevision!), JSON.stringify(reconnected));
        w.interrupt();
        assert.equal(await w.exited, 0);
        assert.equal(w.events().length, 10, 'no duplicate after the stream ended');
      } finally {
        await writer.close();
      }
    });
  });

  describe('against an etcd with authentication', () => {
    let own: EtcdCluster;
    before(async () => {
      own = await EtcdCluster.start();
      await own.enableAuth({
        rootPassword: 'root-pw',
        roles: [{ name: 'app-reader', permissions: [{ type: 'read', key: '/app/', prefix: true }] }],
        users: [{ name: 'alice', password: 's3cret', roles: ['app-reader'] }],
      });
    });
    after(async () => {
      await own?.close();
    });

    it('watches as --user name:password', async () => {
      const w = watch(
        '/app/',
        '--endpoints',
        own.endpoints.join(','),
        '--output',
        'json',
        '--user',
        'alice:s3cret',
      );
      await w.untilCreated();
      await own.etcdctl(['put', '/app/feature', 'on']);
      await w.until(() => w.events().length === 1, 'the event');
      assert.equal(w.events()[0]!.value, 'on');
      w.interrupt();
      assert.equal(await w.exited, 0);
    });

    it('stops with exit 1 and one line on a wrong password', async () => {
      const w = watch('/app/', '--endpoints', own.endpoints.join(','), '--user', 'alice:wrong');
      assert.equal(await w.exited, 1);
      assert.equal(w.stdout.length, 0);
      assert.match(w.stderr, /^etcd-config-operator watch: \w+: .*authentication failed.*\n$/i);
    });

    it('stops with exit 1 and one line when the user may not read the prefix', async () => {
      const w = watch('/secret/', '--endpoints', own.endpoints.join(','), '--user', 'alice:s3cret');
      assert.equal(await w.exited, 1);
      assert.match(w.stderr, /permission denied/i);
      assert.equal(
        w.stderr
          .trim()
          .split('\n')
          .filter((l) => !l.startsWith('#')).length,
        1,
        w.stderr,
      );
    });
  });

  describe('against an etcd that requires client certificates', () => {
    let own: EtcdCluster;
    let dir: string;
    let certs: Awaited<ReturnType<typeof createTestCertificates>>;
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'cli-watch-tls-'));
      certs = await createTestCertificates(dir);
      own = await EtcdCluster.start({
        tls: {
          certFile: certs.serverCertFile,
          keyFile: certs.serverKeyFile,
          trustedCaFile: certs.caFile,
          clientCertAuth: true,
        },
        etcdctlTls: { caFile: certs.caFile, certFile: certs.clientCertFile, keyFile: certs.clientKeyFile },
      });
    });
    after(async () => {
      await own?.close();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it('watches with --cacert, --cert and --key', async () => {
      const w = watch(
        '/tls/',
        '--endpoints',
        own.endpoints.join(','),
        '--output',
        'json',
        '--cacert',
        certs.caFile,
        '--cert',
        certs.clientCertFile,
        '--key',
        certs.clientKeyFile,
      );
      await w.untilCreated();
      await own.etcdctl(['put', '/tls/k', 'secure']);
      await w.until(() => w.events().length === 1, 'the event');
      assert.equal(w.events()[0]!.value, 'secure');
      w.interrupt();
      assert.equal(await w.exited, 0);
    });

    it('watches https://host:port endpoints (TLS by the scheme, as a ClusterEtcdSource takes them)', async () => {
      const w = watch(
        '/tls/',
        '--endpoints',
        own.endpoints.map((e) => `https://${e}`).join(','),
        '--output',
        'json',
        '--cacert',
        certs.caFile,
        '--cert',
        certs.clientCertFile,
        '--key',
        certs.clientKeyFile,
      );
      await w.untilCreated();
      await own.etcdctl(['put', '/tls/url', 'by-url']);
      await w.until(() => w.events().some((e) => e.value === 'by-url'), 'the event');
      w.interrupt();
      assert.equal(await w.exited, 0);
    });

    it('refuses an unreadable --cacert with exit 2', async () => {
      const w = watch('/tls/', '--endpoints', own.endpoints.join(','), '--cacert', join(dir, 'missing.pem'));
      assert.equal(await w.exited, 2);
      assert.match(w.stderr, /--cacert: cannot read .*missing\.pem: ENOENT/);
    });
  });
});
