// /metrics behind HTTPS, TokenReview and SubjectAccessReview, against the API simulator and real operator
// processes: what a scraper gets with no token, a rejected token, a token without the permission and
// one with it; a provided certificate verified by the client and rotated without a restart; the
// self-signed default; the plain-HTTP opt-out; and the flags that make no sense together.
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createTestCertificates, DEFAULT_SIM_ACCESS, type SimAccess } from '../../../src/envtest/index.js';
import { OperatorProcess } from '../support/operator-process.js';
import { startSimWithCrds, type SimWithCrds } from '../support/sim-with-crds.js';
import { waitFor } from '../support/wait.js';

const BIN = fileURLToPath(new URL('../../../bin/etcd-config-operator.js', import.meta.url));
const execFileAsync = promisify(execFile);

const PROMETHEUS = 'system:serviceaccount:monitoring:prometheus';
/** The scraper may get /metrics; `nobody` is a known user without that permission. */
const ACCESS: SimAccess = {
  tokens: {
    ...DEFAULT_SIM_ACCESS.tokens,
    'scraper-token': { username: PROMETHEUS, uid: 'prom-uid', groups: ['system:serviceaccounts'] },
    'nobody-token': { username: 'nobody' },
  },
  rules: [
    ...DEFAULT_SIM_ACCESS.rules,
    { users: [PROMETHEUS], verbs: ['get'], nonResourceURLs: ['/metrics'] },
  ],
};

/** What one HTTPS GET got. */
interface Reply {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

/** Options of one {@link httpsGet}. */
interface GetOptions {
  token?: string;
  /** Verify the server's certificate against this CA (for the name `localhost`). */
  ca?: string | Buffer;
  /** Verify the server's certificate against the system's CAs. Default: no verification unless `ca`. */
  verify?: boolean;
  /** TLS versions the client offers, e.g. only TLS 1.1. */
  maxVersion?: 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
}

/** One GET over a fresh TLS connection (no agent: every request is a new handshake). */
function httpsGet(port: number, path: string, options: GetOptions = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port,
        path,
        agent: false,
        servername: 'localhost',
        timeout: 5_000,
        headers: options.token ? { Authorization: `Bearer ${options.token}` } : {},
        ...(options.ca !== undefined ? { ca: options.ca } : {}),
        rejectUnauthorized: options.ca !== undefined || options.verify === true,
        ...(options.maxVersion
          ? { minVersion: 'TLSv1' as const, maxVersion: options.maxVersion, ciphers: 'DEFAULT:@SECLEVEL=0' }
          : {}),
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

/** Makes `dir` look like a mounted kubernetes.io/tls Secret: tls.crt, tls.key → ..data/ → ..<version>/. */
async function mountSecret(dir: string, version: string, cert: Buffer, key: Buffer): Promise<void> {
  const target = join(dir, `..${version}`);
  await mkdir(target);
  await writeFile(join(target, 'tls.crt'), cert);
  await writeFile(join(target, 'tls.key'), key);
  // The kubelet's AtomicWriter: a new ..data symlink renamed over the old one, in one step.
  await symlink(`..${version}`, join(dir, '..data_tmp'));
  await rename(join(dir, '..data_tmp'), join(dir, '..data'));
  for (const file of ['tls.crt', 'tls.key']) {
    await symlink(join('..data', file), join(dir, file)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
    });
  }
}

describe('operator e2e: secure /metrics (HTTPS, TokenReview, SubjectAccessReview)', function () {
  this.timeout(180_000);
  let dir: string;
  let k8s: SimWithCrds;
  const operators: OperatorProcess[] = [];

  before(async function () {
    this.timeout(120_000);
    dir = await mkdtemp(join(tmpdir(), 'secure-metrics-e2e-'));
    k8s = await startSimWithCrds(dir, { port: 0, access: ACCESS });
  });
  after(async () => {
    for (const op of operators) await op.kill();
    await k8s?.sim.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  afterEach(function () {
    if (this.currentTest?.state !== 'failed') return;
    for (const op of operators)
      process.stderr.write(`\n--- operator ${op.pid ?? '?'} log (tail) ---\n${op.log.slice(-4000)}\n---\n`);
  });

  async function startOperator(...flags: string[]): Promise<OperatorProcess> {
    const op = await OperatorProcess.start({ kubeconfig: k8s.kubeconfigPath, extraArgs: flags });
    operators.push(op);
    return op;
  }

  /** Waits until the operator's metrics port answers HTTPS (any status). */
  async function waitServing(op: OperatorProcess, options: GetOptions = {}): Promise<void> {
    await waitFor('the operator to serve /metrics over HTTPS', async () => {
      if (!op.isRunning) throw new Error(`the operator exited:\n${op.log.slice(-2000)}`);
      await httpsGet(op.metricsPort, '/metrics', options);
      return true;
    });
  }

  describe('with the self-signed certificate (the default)', () => {
    let op: OperatorProcess;
    before(async function () {
      this.timeout(120_000);
      op = await startOperator('--metrics-secure');
      await waitServing(op);
    });

    it('answers 401 without a token, and with a token the TokenReview rejects', async () => {
      const none = await httpsGet(op.metricsPort, '/metrics');
      assert.equal(none.status, 401);
      assert.equal(none.headers['www-authenticate'], 'Bearer');
      assert.doesNotMatch(none.body, /controller_runtime/);
      const rejected = await httpsGet(op.metricsPort, '/metrics', { token: 'made-up-token' });
      assert.equal(rejected.status, 401);
    });

    it('answers 403 to an authenticated user RBAC does not allow', async () => {
      const reply = await httpsGet(op.metricsPort, '/metrics', { token: 'nobody-token' });
      assert.equal(reply.status, 403);
      assert.match(reply.body, /nobody/);
      assert.doesNotMatch(reply.body, /controller_runtime/);
    });

    it('serves the metrics to a user allowed get on /metrics', async () => {
      const reply = await httpsGet(op.metricsPort, '/metrics', { token: 'scraper-token' });
      assert.equal(reply.status, 200);
      assert.match(reply.body, /^# HELP /m);
      assert.match(reply.body, /process_cpu_user_seconds_total/);
    });

    it('serves a certificate no CA vouches for (verification must be off), over TLS 1.2 or later only', async () => {
      await assert.rejects(
        httpsGet(op.metricsPort, '/metrics', { token: 'scraper-token', verify: true }),
        /self[- ]signed|unable to verify|certificate/i,
      );
      // The client offers TLS 1.1 (and could speak it); the server answers with a protocol_version alert.
      await assert.rejects(
        httpsGet(op.metricsPort, '/metrics', { maxVersion: 'TLSv1.1' }),
        /alert protocol version/,
      );
      assert.equal((await httpsGet(op.metricsPort, '/metrics', { maxVersion: 'TLSv1.2' })).status, 401);
      // Plain HTTP on the HTTPS port gets no metrics.
      const plain = await fetch(`http://127.0.0.1:${op.metricsPort}/metrics`, {
        headers: { Authorization: 'Bearer scraper-token' },
        signal: AbortSignal.timeout(5_000),
      }).then(
        (r) => r.status,
        () => 'refused',
      );
      assert.notEqual(plain, 200);
    });

    it('keeps the health probes on plain HTTP for the kubelet', async () => {
      await op.waitReady();
      assert.equal((await op.httpGet(op.probePort, '/healthz')).status, 200);
    });

    it('answers 503 without detail while the API server cannot review, and recovers', async () => {
      // A token not seen before, so no cached verdict answers for the API server.
      k8s.sim.setAccess({
        ...ACCESS,
        tokens: { ...ACCESS.tokens, 'fresh-token': { username: PROMETHEUS } },
      });
      k8s.sim.faults.failNext({
        verb: 'create',
        resource: 'tokenreviews',
        count: 1,
        status: 500,
        message: 'etcd leader lost',
      });
      const failed = await httpsGet(op.metricsPort, '/metrics', { token: 'fresh-token' });
      assert.equal(failed.status, 503);
      assert.doesNotMatch(failed.body, /etcd leader lost/);
      await waitFor('the failure in the operator log', () => /metrics access review failed/.test(op.log));
      assert.equal((await httpsGet(op.metricsPort, '/metrics', { token: 'fresh-token' })).status, 200);
    });
  });

  describe('with a provided certificate (--metrics-cert-dir)', () => {
    let op: OperatorProcess;
    let certDir: string;
    let caV1: Buffer;
    before(async function () {
      this.timeout(120_000);
      const pkiV1 = join(dir, 'pki-v1');
      await mkdir(pkiV1);
      const v1 = await createTestCertificates(pkiV1, { serverHosts: ['localhost', '127.0.0.1'] });
      caV1 = v1.ca;
      certDir = join(dir, 'metrics-tls');
      await mkdir(certDir);
      await mountSecret(certDir, 'v1', await readFile(v1.serverCertFile), await readFile(v1.serverKeyFile));
      op = await startOperator('--metrics-secure=true', '--metrics-cert-dir', certDir);
      await waitServing(op, { ca: caV1 });
    });

    it('serves it: a client verifying it against its CA gets the metrics with an allowed token', async () => {
      const reply = await httpsGet(op.metricsPort, '/metrics', { token: 'scraper-token', ca: caV1 });
      assert.equal(reply.status, 200);
      assert.match(reply.body, /process_cpu_user_seconds_total/);
      assert.equal((await httpsGet(op.metricsPort, '/metrics', { ca: caV1 })).status, 401);
      assert.equal(
        (await httpsGet(op.metricsPort, '/metrics', { token: 'nobody-token', ca: caV1 })).status,
        403,
      );
    });

    it('serves a rotated certificate without a restart (the Secret volume swapped under it)', async () => {
      const pkiV2 = join(dir, 'pki-v2');
      await mkdir(pkiV2);
      const v2 = await createTestCertificates(pkiV2, { serverHosts: ['localhost', '127.0.0.1'] });
      const pid = op.pid;
      await mountSecret(certDir, 'v2', await readFile(v2.serverCertFile), await readFile(v2.serverKeyFile));
      const reply = await waitFor('the rotated certificate to be served', async () => {
        const r = await httpsGet(op.metricsPort, '/metrics', { token: 'scraper-token', ca: v2.ca });
        return r.status === 200 ? r : `HTTP ${r.status}`;
      });
      assert.match(reply.body, /process_cpu_user_seconds_total/);
      await assert.rejects(httpsGet(op.metricsPort, '/metrics', { ca: caV1 }), /certificate|verify/i);
      assert.equal(op.pid, pid);
      assert.ok(op.isRunning);
      assert.match(op.log, /metrics certificate reloaded/);
    });
  });

  it('serves plain HTTP to anyone with --metrics-secure=false (the local opt-out)', async () => {
    const op = await startOperator('--metrics-secure=false');
    const reply = await waitFor('plain /metrics', async () => {
      if (!op.isRunning) throw new Error(`the operator exited:\n${op.log.slice(-2000)}`);
      const r = await op.httpGet(op.metricsPort, '/metrics');
      return r.status === 200 ? r : `HTTP ${r.status}`;
    });
    assert.match(reply.body, /process_cpu_user_seconds_total/);
    await op.terminate();
  });

  it('refuses a certificate directory without --metrics-secure (exit 2) and one without a certificate (exit 1)', async () => {
    const kubeconfig = k8s.kubeconfigPath;
    const usage = await execFileAsync(process.execPath, [
      BIN,
      'run',
      '--kubeconfig',
      kubeconfig,
      '--metrics-secure=false',
      '--metrics-cert-dir',
      dir,
    ]).then(
      () => assert.fail('accepted --metrics-cert-dir with --metrics-secure=false'),
      (e: { code: number; stderr: string }) => e,
    );
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--metrics-cert-dir needs --metrics-secure=true/);
    const empty = join(dir, 'empty-certs');
    await mkdir(empty);
    const missing = await execFileAsync(
      process.execPath,
      [
        BIN,
        'run',
        '--kubeconfig',
        kubeconfig,
        '--leader-elect=false',
        '--metrics-addr=127.0.0.1:0',
        '--probe-addr=0',
        '--metrics-cert-dir',
        empty,
      ],
      { timeout: 60_000 },
    ).then(
      () => assert.fail('started without a certificate'),
      (e: { code: number; stderr: string }) => e,
    );
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /cannot start/);
    assert.match(missing.stderr, /tls\.crt/);
  });
});
