import { strict as assert } from 'node:assert';
import { status } from '@grpc/grpc-js';
import {
  EtcdConnectError,
  UnavailableError,
  classifyConnectFailure,
  type ConnectFailure,
} from '../../../src/etcd/index.js';

// The details texts below are what grpc-js 1.14 reported against real etcd 3.4/3.5 on Node 20.
const NO_CONNECTION = 'No connection established. Last error:';

describe('classifyConnectFailure', () => {
  const table: Array<[string, status, string, { kind: string; detail: string } | undefined]> = [
    [
      'a refused connection',
      status.UNAVAILABLE,
      `${NO_CONNECTION} Error: connect ECONNREFUSED 127.0.0.1:36151. Resolution note: `,
      { kind: 'refused', detail: 'connect ECONNREFUSED 127.0.0.1:36151' },
    ],
    [
      'a host name that does not resolve',
      status.UNAVAILABLE,
      'Name resolution failed for target dns:does-not-exist.invalid:2379',
      { kind: 'dns', detail: '' },
    ],
    [
      'a lookup error named by its code',
      status.UNAVAILABLE,
      `${NO_CONNECTION} Error: getaddrinfo EAI_AGAIN etcd-0. Resolution note: `,
      { kind: 'dns', detail: '' },
    ],
    [
      'a deadline (frozen member, blackholed link)',
      status.DEADLINE_EXCEEDED,
      'Deadline exceeded after 2.007s,remote_addr=127.0.0.1:45381',
      { kind: 'timeout', detail: '' },
    ],
    [
      'a TCP connect timeout',
      status.UNAVAILABLE,
      `${NO_CONNECTION} Error: connect ETIMEDOUT 10.0.0.1:2379. Resolution note: `,
      { kind: 'timeout', detail: 'connect ETIMEDOUT 10.0.0.1:2379' },
    ],
    [
      'a server certificate from an unknown CA',
      status.UNAVAILABLE,
      `${NO_CONNECTION} Error: unable to verify the first certificate. Resolution note: `,
      { kind: 'tls', detail: 'unable to verify the first certificate' },
    ],
    [
      'a self-signed CA in the chain',
      status.UNAVAILABLE,
      `${NO_CONNECTION} Error: self-signed certificate in certificate chain. Resolution note: `,
      { kind: 'tls', detail: 'self-signed certificate in certificate chain' },
    ],
    [
      'an expired certificate',
      status.UNAVAILABLE,
      `${NO_CONNECTION} Error: certificate has expired. Resolution note: `,
      { kind: 'tls', detail: 'certificate has expired' },
    ],
    [
      'a server name the certificate does not list',
      status.UNAVAILABLE,
      `${NO_CONNECTION} Error [ERR_TLS_CERT_ALTNAME_INVALID]: Hostname/IP does not match certificate's altnames: Host: etcd.example. is not in the cert's altnames: DNS:localhost, IP Address:127.0.0.1. Resolution note: `,
      {
        kind: 'tls',
        detail:
          "Hostname/IP does not match certificate's altnames: Host: etcd.example. is not in the cert's altnames: DNS:localhost, IP Address:127.0.0.1",
      },
    ],
    [
      'TLS spoken to a plaintext endpoint',
      status.UNAVAILABLE,
      `${NO_CONNECTION} Error: Client network socket disconnected before secure TLS connection was established. Resolution note: `,
      {
        kind: 'tls',
        detail: 'Client network socket disconnected before secure TLS connection was established',
      },
    ],
    [
      'a client certificate the server rejects',
      status.UNAVAILABLE,
      `${NO_CONNECTION} Error: 4057E8F7:error:0A000412:SSL routines:ssl3_read_bytes:sslv3 alert bad certificate. Resolution note: `,
      {
        kind: 'tls',
        detail: '4057E8F7:error:0A000412:SSL routines:ssl3_read_bytes:sslv3 alert bad certificate',
      },
    ],
    [
      'a connection closed while a request ran (member stopped)',
      status.UNAVAILABLE,
      'Connection dropped',
      { kind: 'dropped', detail: 'Connection dropped' },
    ],
    [
      'plaintext spoken to a TLS endpoint (grpc adds a timestamp, dropped)',
      status.UNAVAILABLE,
      `${NO_CONNECTION} Failed to connect (2026-12-06T09:18:45.542Z). Resolution note: `,
      { kind: 'other', detail: 'Failed to connect' },
    ],
    [
      'a channel that shares a failed connection and has no cause of its own yet',
      status.UNAVAILABLE,
      `${NO_CONNECTION} null. Resolution note: `,
      { kind: 'other', detail: '' },
    ],
    ['an answer of etcd (no leader)', status.UNAVAILABLE, 'etcdserver: no leader', undefined],
    [
      'any other status',
      status.INVALID_ARGUMENT,
      'etcdserver: authentication failed, invalid user ID or password',
      undefined,
    ],
  ];
  for (const [what, code, details, expected] of table) {
    it(`${what} → ${expected ? expected.kind : 'not a connection failure'}`, () => {
      assert.deepEqual(classifyConnectFailure(code, details), expected);
    });
  }
});

describe('EtcdConnectError', () => {
  it('names each endpoint by how it failed, grouping endpoints that failed alike', () => {
    const failures: ConnectFailure[] = [
      { endpoint: '127.0.0.1:2379', kind: 'refused', detail: 'connect ECONNREFUSED 127.0.0.1:2379' },
      { endpoint: 'etcd-1:2379', kind: 'dns', detail: '' },
      { endpoint: '127.0.0.1:2380', kind: 'refused', detail: 'connect ECONNREFUSED 127.0.0.1:2380' },
      { endpoint: '127.0.0.1:2381', kind: 'timeout', detail: '' },
    ];
    const error = new EtcdConnectError(failures, 5_000);
    assert.equal(
      error.message,
      'connection refused by 127.0.0.1:2379, 127.0.0.1:2380; ' +
        'cannot resolve the host name of etcd-1:2379 (DNS lookup failed); ' +
        'no answer from 127.0.0.1:2381 within 5s (timeout)',
    );
    assert.equal(error.isTlsFailure, false);
    assert.ok(error instanceof UnavailableError, 'retried like any Unavailable');
    assert.equal(error.code, status.UNAVAILABLE);
  });

  it('carries the handshake error of a TLS failure', () => {
    const error = new EtcdConnectError(
      [{ endpoint: '127.0.0.1:2379', kind: 'tls', detail: 'unable to verify the first certificate' }],
      5_000,
    );
    assert.equal(
      error.message,
      'TLS handshake with 127.0.0.1:2379 failed: unable to verify the first certificate',
    );
    assert.equal(error.isTlsFailure, true);
  });
});
