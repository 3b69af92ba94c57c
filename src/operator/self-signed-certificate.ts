// A self-signed serving certificate made in memory at start, for /metrics over HTTPS when no certificate
// is given (controller-runtime's metrics server does the same). Node makes and signs the key (ECDSA P-256,
// SHA-256) but has no X.509 writer, so the few DER structures of one certificate are written here; the
// result is parsed back with Node's X509Certificate before it is used.
import { generateKeyPairSync, randomBytes, sign, X509Certificate } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import type { TlsMaterial } from './http-endpoint.js';

/** How long a self-signed certificate is valid: a year (a pod restarts long before). */
export const SELF_SIGNED_VALIDITY_MS = 365 * 24 * 60 * 60 * 1000;
/** notBefore is set this far back, so that a scraper whose clock is a little behind accepts it. */
const CLOCK_SKEW_ALLOWANCE_MS = 60 * 60 * 1000;

/** Options of {@link selfSignedCertificate}. */
export interface SelfSignedOptions {
  /** DNS names and IP addresses for subjectAltName; the first DNS name is the common name. Required, non-empty. */
  readonly hosts: readonly string[];
  /** Time of issue (ms since the epoch); default now. */
  readonly now?: number;
  /** Default {@link SELF_SIGNED_VALIDITY_MS}. */
  readonly validForMs?: number;
}

// ---- DER, the subset a certificate needs (ITU-T X.690) ----

function der(tag: number, content: Buffer): Buffer {
  const n = content.length;
  let length: Buffer;
  if (n < 0x80) length = Buffer.from([n]);
  else {
    const bytes: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
    length = Buffer.from([0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([Buffer.from([tag]), length, content]);
}

const sequence = (...items: Buffer[]): Buffer => der(0x30, Buffer.concat(items));
const set = (...items: Buffer[]): Buffer => der(0x31, Buffer.concat(items));
const octetString = (b: Buffer): Buffer => der(0x04, b);
const utf8String = (s: string): Buffer => der(0x0c, Buffer.from(s, 'utf8'));
const bitString = (b: Buffer, unusedBits = 0): Buffer =>
  der(0x03, Buffer.concat([Buffer.from([unusedBits]), b]));
const TRUE = Buffer.from([0x01, 0x01, 0xff]);

function oid(dotted: string): Buffer {
  const [a = 0, b = 0, ...rest] = dotted.split('.').map(Number);
  const bytes = [40 * a + b];
  for (const arc of rest) {
    const chunk = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return der(0x06, Buffer.from(bytes));
}

/** UTCTime until 2049, GeneralizedTime from 2050 (RFC 5280 §4.1.2.5). */
function time(ms: number): Buffer {
  const iso = new Date(ms).toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const digits = iso.slice(0, 19).replace(/[-:T]/g, '');
  const year = Number(iso.slice(0, 4));
  return year < 2050
    ? der(0x17, Buffer.from(`${digits.slice(2)}Z`, 'ascii'))
    : der(0x18, Buffer.from(`${digits}Z`, 'ascii'));
}

function ipBytes(ip: string): Buffer {
  if (isIPv4(ip)) return Buffer.from(ip.split('.').map(Number));
  const [head = '', tail] = ip.split('::');
  const words = (part: string): number[] => (part === '' ? [] : part.split(':').map((w) => parseInt(w, 16)));
  const left = words(head);
  const right = tail === undefined ? [] : words(tail);
  const all = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  const out = Buffer.alloc(16);
  all.forEach((w, i) => out.writeUInt16BE(w, i * 2));
  return out;
}

function extension(id: string, value: Buffer, critical = false): Buffer {
  return sequence(oid(id), ...(critical ? [TRUE] : []), octetString(value));
}

const ECDSA_WITH_SHA256 = sequence(oid('1.2.840.10045.4.3.2'));

/**
 * A new ECDSA P-256 key and a self-signed certificate for `hosts` (subjectAltName DNS names and IPs;
 * serverAuth; not a CA), both PEM. Throws a RangeError for no hosts or an unusable name. Synchronous;
 * takes about a millisecond.
 */
export function selfSignedCertificate(options: SelfSignedOptions): TlsMaterial {
  const hosts = [...new Set(options.hosts)];
  const names = hosts.filter((h) => !isIPv4(h) && !isIPv6(h));
  for (const name of names)
    if (!/^[A-Za-z0-9*]([-A-Za-z0-9.]*[A-Za-z0-9])?$/.test(name))
      throw new RangeError(`selfSignedCertificate: '${name}' is neither a DNS name nor an IP address`);
  if (hosts.length === 0) throw new RangeError('selfSignedCertificate: give at least one host');
  const now = options.now ?? Date.now();
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const name = sequence(
    set(sequence(oid('2.5.4.10'), utf8String('etcd-config-operator'))),
    set(sequence(oid('2.5.4.3'), utf8String(names[0] ?? hosts[0] ?? ''))),
  );
  const serial = randomBytes(16);
  serial[0] = ((serial[0] ?? 0) & 0x7f) | 0x40; // positive, and no leading zero byte
  const altNames = hosts.map((h) =>
    isIPv4(h) || isIPv6(h) ? der(0x87, ipBytes(h)) : der(0x82, Buffer.from(h, 'ascii')),
  );
  const tbs = sequence(
    der(0xa0, der(0x02, Buffer.from([2]))), // version v3
    der(0x02, serial),
    ECDSA_WITH_SHA256,
    name,
    sequence(
      time(now - CLOCK_SKEW_ALLOWANCE_MS),
      time(now + (options.validForMs ?? SELF_SIGNED_VALIDITY_MS)),
    ),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    der(
      0xa3,
      sequence(
        extension('2.5.29.19', sequence(), true), // basicConstraints: not a CA
        extension('2.5.29.15', bitString(Buffer.from([0x80]), 7), true), // keyUsage: digitalSignature
        extension('2.5.29.37', sequence(oid('1.3.6.1.5.5.7.3.1'))), // extKeyUsage: serverAuth
        extension('2.5.29.17', sequence(...altNames)), // subjectAltName
      ),
    ),
  );
  const certificate = sequence(tbs, ECDSA_WITH_SHA256, bitString(sign('sha256', tbs, privateKey)));
  const cert = `-----BEGIN CERTIFICATE-----\n${
    certificate
      .toString('base64')
      .match(/.{1,64}/g)
      ?.join('\n') ?? ''
  }\n-----END CERTIFICATE-----\n`;
  // Parse it back: a structure Node (OpenSSL) cannot read must never be served.
  if (!new X509Certificate(cert).verify(publicKey))
    throw new Error('selfSignedCertificate: the certificate does not verify');
  return { cert, key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}
