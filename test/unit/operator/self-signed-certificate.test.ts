import { strict as assert } from 'node:assert';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { request } from 'node:https';
import {
  HttpEndpoint,
  SELF_SIGNED_VALIDITY_MS,
  selfSignedCertificate,
  type TlsMaterial,
} from '../../../src/operator/index.js';

/** GET / over TLS, verifying the server against `ca` for `servername`; resolves with the body. */
function verifiedGet(port: number, ca: string, servername: string): Promise<string> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path: '/x', agent: false, ca, servername }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve(body));
    })
      .on('error', reject)
      .end();
  });
}

describe('selfSignedCertificate', () => {
  const NOW = Date.UTC(2026, 10, 1, 12, 0, 0);
  let material: TlsMaterial;
  let x509: X509Certificate;
  before(() => {
    material = selfSignedCertificate({ hosts: ['localhost', 'pod-7', '127.0.0.1', '::1'], now: NOW });
    x509 = new X509Certificate(material.cert);
  });

  it('names every host in subjectAltName, DNS names and IPs apart, and the first name as CN', () => {
    assert.equal(
      x509.subjectAltName,
      'DNS:localhost, DNS:pod-7, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1',
    );
    assert.match(x509.subject, /CN=localhost/);
    assert.equal(x509.checkHost('pod-7'), 'pod-7');
    assert.equal(x509.checkIP('::1'), '::1');
    assert.equal(x509.checkHost('elsewhere.example'), undefined);
  });

  it('is a serving certificate, not a CA, signed by its own P-256 key', () => {
    assert.equal(x509.ca, false);
    assert.deepEqual(x509.keyUsage, ['1.3.6.1.5.5.7.3.1']);
    assert.ok(x509.verify(x509.publicKey));
    assert.equal(x509.publicKey.asymmetricKeyType, 'ec');
    assert.equal(x509.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    assert.ok(x509.checkPrivateKey(createPrivateKey(material.key)));
  });

  it('is valid from an hour before issue for a year', () => {
    assert.equal(new Date(x509.validFrom).getTime(), NOW - 60 * 60 * 1000);
    assert.equal(new Date(x509.validTo).getTime(), NOW + SELF_SIGNED_VALIDITY_MS);
    const late = new X509Certificate(
      selfSignedCertificate({
        hosts: ['a'],
        now: Date.UTC(2049, 6, 1),
        validForMs: 2 * SELF_SIGNED_VALIDITY_MS,
      }).cert,
    );
    assert.equal(new Date(late.validTo).getUTCFullYear(), 2051, 'GeneralizedTime from 2050 on');
  });

  it('makes a new key and serial each time', () => {
    const again = selfSignedCertificate({ hosts: ['localhost'] });
    assert.notEqual(again.key, material.key);
    assert.notEqual(new X509Certificate(again.cert).serialNumber, x509.serialNumber);
  });

  it('refuses no hosts and a name that is neither DNS nor IP', () => {
    assert.throws(() => selfSignedCertificate({ hosts: [] }), /at least one host/);
    assert.throws(() => selfSignedCertificate({ hosts: ['bad_name'] }), /neither a DNS name nor an IP/);
  });

  it('is served by an HttpEndpoint that a verifying TLS client accepts for its names', async () => {
    const endpoint = new HttpEndpoint(
      { '/x': () => ({ status: 200, body: 'hello' }) },
      { tls: { current: () => material, onChange: () => undefined, close: () => Promise.resolve() } },
    );
    try {
      const { port } = await endpoint.listen('127.0.0.1', 0);
      assert.equal(await verifiedGet(port, material.cert, 'localhost'), 'hello');
      await assert.rejects(verifiedGet(port, material.cert, 'other.example'), /altnames|Hostname/i);
    } finally {
      await endpoint.close();
    }
  });
});
