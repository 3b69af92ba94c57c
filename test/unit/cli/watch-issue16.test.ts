// `watch` as issue 16 found it wanting: URL endpoints, errors as JSON, and saying when etcd is away.
import { strict as assert } from 'node:assert';
import { PassThrough } from 'node:stream';
import { ConnectivityTracker } from '../../../src/cli/watch-connectivity.js';
import { formatJsonLine, formatTextLine, type WatchLine } from '../../../src/cli/watch-format.js';
import { parseWatchArgs, requestedOutput } from '../../../src/cli/watch-options.js';
import { watchMain } from '../../../src/cli/watch.js';

function run(argv: string[]) {
  const parsed = parseWatchArgs(argv);
  if (parsed.kind !== 'run') assert.fail(`expected options, got ${JSON.stringify(parsed)}`);
  return parsed.options;
}

describe('watch --endpoints with URLs, as a ClusterEtcdSource and etcdctl take them', () => {
  it('takes https://host:port and turns TLS on, verified against the system CAs without --cacert', () => {
    const o = run(['/p/', '--endpoints', 'https://etcd-0.etcd:2379,https://[::1]:2379']);
    assert.deepEqual(o.endpoints, ['https://etcd-0.etcd:2379', 'https://[::1]:2379']);
    assert.deepEqual(o.tls, {});
  });

  it('keeps the TLS files given with https:// endpoints', () => {
    const o = run(['/p/', '--endpoints', 'https://a:2379', '--cacert', 'ca.pem']);
    assert.deepEqual(o.tls, { caFile: 'ca.pem', certFile: undefined, keyFile: undefined });
  });

  it('takes http://host:port as plaintext', () => {
    const o = run(['/p/', '--endpoints', 'http://a:2379,b:2379']);
    assert.deepEqual(o.endpoints, ['http://a:2379', 'b:2379']);
    assert.equal(o.tls, undefined);
  });
});

describe('watch errors under --output json', () => {
  it('finds the output format asked for even in arguments that do not parse', () => {
    assert.equal(requestedOutput(['/p/', '--output', 'json', '--nope']), 'json');
    assert.equal(requestedOutput(['/p/', '--output=json']), 'json');
    assert.equal(requestedOutput(['/p/', '-w', 'json']), 'json');
    assert.equal(requestedOutput(['/p/', '-wjson']), 'json');
    assert.equal(requestedOutput(['/p/', '--nope']), 'text');
    assert.equal(requestedOutput(['--', '--output', 'json']), 'text');
  });

  for (const [argv, code] of [
    [['/p/', '--output', 'json', '--endpoints', 'nohost'], 2],
    [['/p/', '--output', 'json', '--cacert', '/nonexistent/ca.pem'], 2],
  ] as const) {
    it(`writes one JSON object on stderr for ${argv.slice(3).join(' ')} (exit ${code})`, async () => {
      const stdout = new PassThrough();
      const stderr = new PassThrough();
      let err = '';
      stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
      const exit = await watchMain([...argv], { stdout, stderr, signals: process });
      assert.equal(exit, code);
      const lines = err.trim().split('\n');
      assert.equal(lines.length, 1, err);
      const parsed = JSON.parse(lines[0]!) as Record<string, unknown>;
      assert.equal(parsed['type'], 'error');
      assert.equal(parsed['error'], 'UsageError');
      assert.match(String(parsed['message']), /^--(endpoints|cacert): /);
    });
  }

  it('keeps the text form without --output json', async () => {
    const stderr = new PassThrough();
    let err = '';
    stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    assert.equal(
      await watchMain(['/p/', '--nope'], { stdout: new PassThrough(), stderr, signals: process }),
      2,
    );
    assert.match(err, /^etcd-config-operator watch: Unknown option '--nope' \(see --help\)\n$/);
  });
});

describe('watch while etcd is unreachable', () => {
  const LOST = 'watch stream lost, reconnecting';
  const OPEN = 'watch stream open';

  it('says once that it is waiting, however often the client retries, and again when etcd is back', () => {
    const seen: WatchLine[] = [];
    const t = new ConnectivityTracker((l) => seen.push(l));
    t.debug(OPEN, { endpoint: '127.0.0.1:2379', watches: 0 });
    assert.deepEqual(seen, [], 'the first connection is the created line, not news');
    t.debug(LOST, { error: 'connect ECONNREFUSED 127.0.0.1:2379', delayMs: 10 });
    t.child().debug(LOST, { error: 'connect ECONNREFUSED 127.0.0.1:2379', delayMs: 20 });
    t.warn('some other message', { error: 'x' });
    t.debug(OPEN, { endpoint: '127.0.0.1:2379', watches: 1 });
    t.debug(OPEN, { endpoint: '127.0.0.1:2379', watches: 1 });
    assert.deepEqual(seen, [
      { type: 'waiting', error: 'connect ECONNREFUSED 127.0.0.1:2379' },
      { type: 'connected', endpoint: '127.0.0.1:2379' },
    ]);
  });

  it('prints them as JSON lines, and as # lines on stderr in text output', () => {
    const waiting: WatchLine = { type: 'waiting', error: 'connect ECONNREFUSED 127.0.0.1:2379' };
    const back: WatchLine = { type: 'connected', endpoint: '127.0.0.1:2379' };
    assert.equal(
      formatJsonLine(waiting),
      '{"type":"waiting","error":"connect ECONNREFUSED 127.0.0.1:2379"}\n',
    );
    assert.equal(formatJsonLine(back), '{"type":"connected","endpoint":"127.0.0.1:2379"}\n');
    assert.deepEqual(formatTextLine(waiting), {
      stderr: '# etcd unreachable (connect ECONNREFUSED 127.0.0.1:2379); waiting for it, reconnecting\n',
    });
    assert.deepEqual(formatTextLine(back), { stderr: '# etcd is back: connected to 127.0.0.1:2379\n' });
  });
});
