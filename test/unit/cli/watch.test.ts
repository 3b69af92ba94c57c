import { strict as assert } from 'node:assert';
import { PassThrough, Writable } from 'node:stream';
import { parseWatchArgs, DEFAULT_ENDPOINT, DEFAULT_DIAL_TIMEOUT_MS } from '../../../src/cli/watch-options.js';
import { formatJsonLine, formatTextLine } from '../../../src/cli/watch-format.js';
import { WatchPrinter } from '../../../src/cli/watch-output.js';
import { event } from './watch-fixtures.js';

function options(argv: string[]) {
  const parsed = parseWatchArgs(argv);
  if (parsed.kind !== 'run') assert.fail(`expected options, got ${JSON.stringify(parsed)}`);
  return parsed.options;
}

function errorOf(argv: string[]): string {
  const parsed = parseWatchArgs(argv);
  if (parsed.kind !== 'error') assert.fail(`expected an error, got ${parsed.kind}`);
  return parsed.message;
}

describe('watch command line', () => {
  it('defaults to text output on 127.0.0.1:2379 from now', () => {
    const o = options(['/config/']);
    assert.equal(o.prefix, '/config/');
    assert.deepEqual(o.endpoints, [DEFAULT_ENDPOINT]);
    assert.equal(o.output, 'text');
    assert.equal(o.fromRevision, undefined);
    assert.equal(o.isPrevKv, false);
    assert.equal(o.tls, undefined);
    assert.equal(o.auth, undefined);
    assert.equal(o.dialTimeoutMs, DEFAULT_DIAL_TIMEOUT_MS);
  });

  it('reads every flag', () => {
    const o = options([
      '--endpoints',
      '10.0.0.1:2379,[::1]:23790',
      '--from-revision=90071992547409930',
      '--prev-kv',
      '--output',
      'json',
      '--cacert',
      'ca.pem',
      '--cert',
      'c.pem',
      '--key',
      'k.pem',
      '--user',
      'alice:pa:ss',
      '--dial-timeout',
      '750ms',
      '',
    ]);
    assert.deepEqual(o.endpoints, ['10.0.0.1:2379', '[::1]:23790']);
    assert.equal(o.fromRevision, 90071992547409930n, 'revisions beyond 2^53 keep every digit');
    assert.equal(o.isPrevKv, true);
    assert.equal(o.output, 'json');
    assert.deepEqual(o.tls, { caFile: 'ca.pem', certFile: 'c.pem', keyFile: 'k.pem' });
    assert.deepEqual(o.auth, { username: 'alice', password: 'pa:ss' });
    assert.equal(o.dialTimeoutMs, 750);
    assert.equal(o.prefix, '', 'an empty prefix watches everything');
  });

  it('answers --help', () => {
    assert.equal(parseWatchArgs(['--help']).kind, 'help');
    assert.equal(parseWatchArgs(['-h', 'x']).kind, 'help');
  });

  it('refuses bad flags with a one-line message naming the flag', () => {
    const cases: [string[], RegExp][] = [
      [['--nope', '/p/'], /--nope/],
      [['/p/', '--output', 'yaml'], /--output: 'yaml'/],
      [['/p/', '--from-revision', '-3'], /--from-revision/],
      [['/p/', '--from-revision', '0'], /--from-revision/],
      [['/p/', '--from-revision', '1e5'], /--from-revision/],
      [['/p/', '--endpoints', 'localhost'], /--endpoints: 'localhost'/],
      [['/p/', '--endpoints', 'ftp://a:1'], /--endpoints: 'ftp:\/\/a:1'/],
      [
        ['/p/', '--endpoints', 'https://a:1,http://b:2'],
        /'https:\/\/a:1' uses TLS and 'http:\/\/b:2' does not/,
      ],
      [['/p/', '--endpoints', 'https://a:1,b:2'], /'https:\/\/a:1' uses TLS and 'b:2' does not/],
      [['/p/', '--endpoints', 'http://a:1', '--cacert', 'ca.pem'], /'http:\/\/a:1' is plaintext/],
      [['/p/', '--endpoints', 'a:1,b:99999'], /--endpoints: 'b:99999'/],
      [['/p/', '--user', 'alice'], /--user/],
      [['/p/', '--cert', 'c.pem'], /--cert and --key/],
      [['/p/', '--dial-timeout', 'soon'], /--dial-timeout/],
      [[], /missing <prefix>/],
      [['/a/', '/b/'], /expected one <prefix>/],
      [['/p/', '--prev-kv=yes'], /prev-kv/],
    ];
    for (const [argv, pattern] of cases) {
      const message = errorOf(argv);
      assert.match(message, pattern, `for ${JSON.stringify(argv)}`);
      assert.ok(!message.includes('\n'), `one line for ${JSON.stringify(argv)}`);
    }
  });
});

describe('watch output', () => {
  describe('as JSON lines', () => {
    it('writes an event with UTF-8 strings and decimal-string revisions', () => {
      const line = formatJsonLine({ type: 'event', event: event({ value: Buffer.from('grüße') }) });
      assert.ok(line.endsWith('}\n'));
      assert.deepEqual(JSON.parse(line), {
        type: 'put',
        key: '/config/a',
        value: 'grüße',
        modRevision: '12',
        createRevision: '10',
        version: '3',
        lease: '0',
      });
    });

    it('base64-encodes only the value that is not valid UTF-8, leaving the key readable', () => {
      const value = Buffer.from([0xff, 0xfe, 0x00, 0x41]);
      const parsed = JSON.parse(formatJsonLine({ type: 'event', event: event({ value }) })) as Record<
        string,
        string
      >;
      assert.equal(parsed['valueEncoding'], 'base64');
      assert.deepEqual(Buffer.from(parsed['value']!, 'base64'), value);
      assert.equal(parsed['key'], '/config/a');
      assert.equal(parsed['keyEncoding'], undefined);
      assert.equal(parsed['encoding'], undefined);
    });

    it('base64-encodes only the key that is not valid UTF-8', () => {
      const key = Buffer.from([0x2f, 0xc3, 0x28]);
      const parsed = JSON.parse(formatJsonLine({ type: 'event', event: event({ key }) })) as Record<
        string,
        string
      >;
      assert.equal(parsed['keyEncoding'], 'base64');
      assert.deepEqual(Buffer.from(parsed['key']!, 'base64'), key);
      assert.equal(parsed['value'], 'hello');
      assert.equal(parsed['valueEncoding'], undefined);
    });

    it('nests prevKv with its own encoding', () => {
      const prevKv = { ...event(), value: Buffer.from([0xc3]), modRevision: 11n };
      const parsed = JSON.parse(
        formatJsonLine({ type: 'event', event: event({ type: 'delete', value: Buffer.alloc(0), prevKv }) }),
      ) as { type: string; value: string; valueEncoding?: string; prevKv: Record<string, string> };
      assert.equal(parsed.type, 'delete');
      assert.equal(parsed.value, '');
      assert.equal(parsed.valueEncoding, undefined);
      assert.equal(parsed.prevKv['valueEncoding'], 'base64');
      assert.equal(parsed.prevKv['key'], '/config/a');
      assert.equal(parsed.prevKv['modRevision'], '11');
      assert.equal(parsed.prevKv['value'], Buffer.from([0xc3]).toString('base64'));
    });

    it('writes control lines with revisions as strings', () => {
      assert.equal(formatJsonLine({ type: 'created', revision: 5n }), '{"type":"created","revision":"5"}\n');
      assert.equal(
        formatJsonLine({ type: 'progress', revision: 6n }),
        '{"type":"progress","revision":"6"}\n',
      );
      assert.equal(
        formatJsonLine({ type: 'reconnected', revision: 2n ** 63n - 2n, etcdRevision: 2n ** 63n - 1n }),
        '{"type":"reconnected","revision":"9223372036854775806","etcdRevision":"9223372036854775807"}\n',
      );
      assert.equal(
        formatJsonLine({ type: 'compacted', compactRevision: 40n }),
        '{"type":"compacted","compactRevision":"40"}\n',
      );
    });
  });

  describe('as text', () => {
    it('prints an event like etcdctl: type, key, value', () => {
      const out = formatTextLine({ type: 'event', event: event() });
      assert.equal(out.stdout?.toString(), 'PUT\n/config/a\nhello\n');
      assert.equal(out.stderr, undefined);
    });

    it('prints the previous key-value before the new one, and raw bytes as stored', () => {
      const prevKv = { ...event(), value: Buffer.from([0xff]) };
      const out = formatTextLine({
        type: 'event',
        event: event({ type: 'delete', value: Buffer.alloc(0), prevKv }),
      });
      assert.deepEqual(
        out.stdout,
        Buffer.concat([
          Buffer.from('DELETE\n/config/a\n'),
          Buffer.from([0xff]),
          Buffer.from('\n/config/a\n\n'),
        ]),
      );
    });

    it('keeps control lines off stdout', () => {
      for (const line of [
        { type: 'created', revision: 1n },
        { type: 'progress', revision: 1n },
        { type: 'reconnected', revision: 1n, etcdRevision: 3n },
        { type: 'compacted', compactRevision: 1n },
      ] as const) {
        const out = formatTextLine(line);
        assert.equal(out.stdout, undefined);
        assert.match(out.stderr ?? '', /^# .*\n$/);
      }
    });

    it('says where etcd was when the watch came back', () => {
      assert.equal(
        formatTextLine({ type: 'reconnected', revision: 104n, etcdRevision: 110n }).stderr,
        '# reconnected, resuming after revision 104 (etcd at 110)\n',
      );
    });
  });
});

describe('watch printer', () => {
  const created = { type: 'created', revision: 1n } as const;

  it('waits for a slow stdout to drain before taking more', async () => {
    const chunks: string[] = [];
    let release: (() => void) | undefined;
    const stdout = new Writable({
      highWaterMark: 1,
      write(chunk: Buffer, _enc, done) {
        chunks.push(chunk.toString());
        release = done; // held until the test lets it go
      },
    });
    const printer = new WatchPrinter('json', stdout, new PassThrough());
    let isPrinted = false;
    const printing = printer.print([created]).then(() => (isPrinted = true));
    await new Promise((r) => setImmediate(r));
    assert.equal(isPrinted, false, 'print() resolved while stdout was full');
    release!();
    await printing;
    assert.deepEqual(chunks, ['{"type":"created","revision":"1"}\n']);
  });

  it('notes a stdout that failed (EPIPE) and writes nothing more', async () => {
    let writes = 0;
    const stdout = new Writable({
      write(_chunk, _enc, done) {
        writes++;
        done(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
      },
    });
    const printer = new WatchPrinter('json', stdout, new PassThrough());
    await printer.print([created]);
    await new Promise((r) => setImmediate(r));
    assert.equal(printer.isClosed, true);
    await printer.print([created]);
    await printer.flush();
    assert.equal(writes, 1);
  });
});
