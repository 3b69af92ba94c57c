import { execFile } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** Paths and contents of a throwaway PKI made by {@link createTestCertificates}. */
export interface TestCertificates {
  caFile: string;
  serverCertFile: string;
  serverKeyFile: string;
  clientCertFile: string;
  clientKeyFile: string;
  ca: Buffer;
  clientCert: Buffer;
  clientKey: Buffer;
}

/** Options of {@link createTestCertificates}. */
export interface TestCertificateOptions {
  /** DNS names and IPs in the server certificate's subjectAltName. Default `['localhost', '127.0.0.1']`. */
  serverHosts?: readonly string[];
  /** Common name of the client certificate (etcd takes it as the user name under auth). Default `envtest-client`. */
  clientCommonName?: string;
}

async function openssl(args: readonly string[]): Promise<void> {
  await execFileAsync('openssl', args);
}

async function issue(
  dir: string,
  name: string,
  subject: string,
  extensions: string,
  caCert: string,
  caKey: string,
): Promise<void> {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  await writeFile(ext, extensions);
  await openssl([
    'req',
    '-new',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    key,
    '-out',
    csr,
    '-subj',
    subject,
  ]);
  await openssl([
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    caCert,
    '-CAkey',
    caKey,
    '-set_serial',
    String(randomInt(1, 2 ** 47)),
    '-days',
    '2',
    '-extfile',
    ext,
    '-out',
    join(dir, `${name}.crt`),
  ]);
}

/**
 * Makes a CA, a server certificate (for `serverHosts`) and a client certificate with `openssl` in `dir`
 * (which the caller owns and removes). Throws if openssl fails.
 */
export async function createTestCertificates(
  dir: string,
  options: TestCertificateOptions = {},
): Promise<TestCertificates> {
  const caKey = join(dir, 'ca.key');
  const caCert = join(dir, 'ca.crt');
  await openssl([
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    caKey,
    '-out',
    caCert,
    '-days',
    '2',
    '-subj',
    '/CN=envtest-ca',
  ]);
  const hosts = options.serverHosts ?? ['localhost', '127.0.0.1'];
  const san = hosts.map((h) => (/^[\d.]+$/.test(h) || h.includes(':') ? `IP:${h}` : `DNS:${h}`)).join(',');
  await issue(
    dir,
    'server',
    '/CN=etcd-server',
    `subjectAltName=${san}\nextendedKeyUsage=serverAuth,clientAuth\n`,
    caCert,
    caKey,
  );
  await issue(
    dir,
    'client',
    `/CN=${options.clientCommonName ?? 'envtest-client'}`,
    'extendedKeyUsage=clientAuth\n',
    caCert,
    caKey,
  );
  return {
    caFile: caCert,
    serverCertFile: join(dir, 'server.crt'),
    serverKeyFile: join(dir, 'server.key'),
    clientCertFile: join(dir, 'client.crt'),
    clientKeyFile: join(dir, 'client.key'),
    ca: await readFile(caCert),
    clientCert: await readFile(join(dir, 'client.crt')),
    clientKey: await readFile(join(dir, 'client.key')),
  };
}
