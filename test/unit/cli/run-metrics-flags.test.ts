import { strict as assert } from 'node:assert';
import { RUN_USAGE, RunUsageError, parseRunArgs, type RunArgs } from '../../../src/cli/run.js';

// The /metrics security flags of `run`: secure by default (HTTPS behind TokenReview and
// SubjectAccessReview), plain HTTP only when asked for, a certificate directory only with HTTPS.
function parse(argv: string[], env: NodeJS.ProcessEnv = {}): RunArgs {
  const args = parseRunArgs(argv, env);
  assert.notEqual(args, 'help');
  return args as RunArgs;
}

describe('run: --metrics-secure, --metrics-cert-dir', () => {
  it('serves /metrics securely by default, with a self-signed certificate', () => {
    const args = parse([]);
    assert.equal(args.metricsSecure, true);
    assert.equal(args.metricsCertDir, undefined);
  });

  it('takes --metrics-secure=false (or the variable) as the plain-HTTP opt-out', () => {
    assert.equal(parse(['--metrics-secure=false']).metricsSecure, false);
    assert.equal(parse(['--metrics-secure', 'false']).metricsSecure, false);
    assert.equal(parse([], { ETCD_CONFIG_OPERATOR_METRICS_SECURE: '0' }).metricsSecure, false);
    // A flag wins over the variable; a bare flag means true.
    assert.equal(
      parse(['--metrics-secure'], { ETCD_CONFIG_OPERATOR_METRICS_SECURE: 'false' }).metricsSecure,
      true,
    );
    assert.equal(parse(['--metrics-secure', '--workers=2']).metricsSecure, true);
  });

  it('takes a certificate directory from the flag or the variable', () => {
    assert.equal(parse(['--metrics-cert-dir', '/certs']).metricsCertDir, '/certs');
    assert.equal(
      parse([], { ETCD_CONFIG_OPERATOR_METRICS_CERT_DIR: '/env-certs' }).metricsCertDir,
      '/env-certs',
    );
    assert.equal(
      parse(['--metrics-cert-dir=/flag'], { ETCD_CONFIG_OPERATOR_METRICS_CERT_DIR: '/env' }).metricsCertDir,
      '/flag',
    );
  });

  const refused: [string[], NodeJS.ProcessEnv, RegExp][] = [
    [['--metrics-secure=maybe'], {}, /--metrics-secure: 'maybe' is not true or false/],
    [
      [],
      { ETCD_CONFIG_OPERATOR_METRICS_SECURE: 'sure' },
      /ETCD_CONFIG_OPERATOR_METRICS_SECURE \(for --metrics-secure\): 'sure' is not true or false/,
    ],
    [
      ['--metrics-secure=false', '--metrics-cert-dir', '/certs'],
      {},
      /--metrics-cert-dir needs --metrics-secure=true: plain HTTP serves no certificate/,
    ],
    [['--metrics-cert-dir='], {}, /--metrics-cert-dir needs a directory/],
    [['--metrics-cert-dir'], {}, /--metrics-cert-dir needs a value/],
  ];
  for (const [argv, env, message] of refused) {
    it(`refuses ${[...argv, ...Object.entries(env).map(([k, v]) => `${k}=${v}`)].join(' ')}`, () => {
      assert.throws(
        () => parseRunArgs(argv, env),
        (err: unknown) => err instanceof RunUsageError && message.test(err.message),
      );
    });
  }

  it('documents both flags, their variables and defaults in the usage text', () => {
    assert.match(
      RUN_USAGE,
      /--metrics-secure BOOL[\s\S]*ETCD_CONFIG_OPERATOR_METRICS_SECURE\] \(default true\)/,
    );
    assert.match(RUN_USAGE, /--metrics-cert-dir DIR[\s\S]*ETCD_CONFIG_OPERATOR_METRICS_CERT_DIR\]/);
  });
});
