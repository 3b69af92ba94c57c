import { strict as assert } from 'node:assert';
import type { V1Secret } from '@kubernetes/client-node';
import {
  withClusterEtcdSourceDefaults,
  type ClusterEtcdSource,
  type ClusterEtcdSourceSpec,
} from '../../../src/api/index.js';
import {
  connectionSettings,
  failedHealth,
  healthChangeLogLevel,
  requestsForSecret,
  sourceStatus,
} from '../../../src/controller/index.js';
import { InvalidArgumentError, UnavailableError } from '../../../src/etcd/index.js';

function secrets(map: Record<string, Record<string, string>>): (name: string) => V1Secret | undefined {
  return (name) => {
    const data = map[name];
    if (!data) return undefined;
    return {
      metadata: { name },
      data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
    };
  };
}

const spec = (s: Partial<ClusterEtcdSourceSpec>) =>
  withClusterEtcdSourceDefaults({ endpoints: ['10.0.0.1:2379'], ...s });

describe('ClusterEtcdSource', () => {
  describe('connectionSettings', () => {
    const full = spec({
      tls: { caSecretRef: { name: 'ca' }, certSecretRef: { name: 'client' }, serverName: 'etcd.local' },
      auth: { secretRef: { name: 'user' } },
    });
    const all = {
      ca: { 'ca.crt': 'CA' },
      client: { 'tls.crt': 'CERT', 'tls.key': 'KEY' },
      user: { username: 'u', password: 'p' },
    };

    it('reads CA, client certificate and credentials from the Secrets', () => {
      const r = connectionSettings(full, secrets(all), 'ops');
      assert.ok(r.ok);
      assert.equal(r.settings.tls?.ca?.toString(), 'CA');
      assert.equal(r.settings.tls?.cert?.toString(), 'CERT');
      assert.equal(r.settings.tls?.key?.toString(), 'KEY');
      assert.equal(r.settings.tls?.serverName, 'etcd.local');
      assert.deepEqual(r.settings.auth, { username: 'u', password: 'p' });
    });

    it('names the missing Secret or key', () => {
      const noCa = connectionSettings(full, secrets({ ...all, ca: undefined as never }), 'ops');
      assert.deepEqual(noCa, { ok: false, message: 'Secret ops/ca not found' });
      const noKey = connectionSettings(full, secrets({ ...all, user: { username: 'u' } }), 'ops');
      assert.deepEqual(noKey, { ok: false, message: 'Secret ops/user has no key "password"' });
    });

    it('changes its fingerprint when a Secret changes, and only then', () => {
      const a = connectionSettings(full, secrets(all), 'ops');
      const same = connectionSettings(full, secrets(structuredClone(all)), 'ops');
      const rotated = connectionSettings(
        full,
        secrets({ ...all, user: { username: 'u', password: 'new' } }),
        'ops',
      );
      assert.ok(a.ok && same.ok && rotated.ok);
      assert.equal(a.settings.fingerprint, same.settings.fingerprint);
      assert.notEqual(a.settings.fingerprint, rotated.settings.fingerprint);
    });

    it('uses TLS with the system CAs for https:// endpoints without tls settings', () => {
      const r = connectionSettings(spec({ endpoints: ['https://etcd:2379'] }), secrets({}), 'ops');
      assert.ok(r.ok);
      assert.deepEqual(r.settings.tls, {});
      const plain = connectionSettings(spec({}), secrets({}), 'ops');
      assert.ok(plain.ok);
      assert.equal(plain.settings.tls, undefined);
    });
  });

  describe('health and status', () => {
    it('classifies refused credentials as AuthFailed only when auth is used', () => {
      const refused = new InvalidArgumentError('authentication failed');
      assert.equal((failedHealth(refused, true) as { reason: string }).reason, 'AuthFailed');
      assert.equal((failedHealth(refused, false) as { reason: string }).reason, 'SourceUnavailable');
      assert.equal(
        (failedHealth(new UnavailableError('no endpoint'), true) as { reason: string }).reason,
        'SourceUnavailable',
      );
    });

    it('writes Ready with cluster id, members and revision as a decimal string', () => {
      const s = sourceStatus(
        undefined,
        { state: 'ready', clusterId: 'cdf818194e3a8c32', memberCount: 3, revision: 12345678901234567890n },
        2,
        new Date(0),
      );
      assert.equal(s.clusterId, 'cdf818194e3a8c32');
      assert.equal(s.memberCount, 3);
      assert.equal(s.revision, '12345678901234567890');
      assert.equal(s.observedGeneration, 2);
      assert.deepEqual(
        s.conditions?.map((c) => `${c.type}/${c.status}/${c.reason}`),
        ['Ready/True/Connected'],
      );
      assert.equal(s.conditions?.[0]?.message, 'connected to etcd cluster cdf818194e3a8c32 (3 members)');
      const one = sourceStatus(
        undefined,
        { state: 'ready', clusterId: 'a1', memberCount: 1, revision: 1n },
        1,
        new Date(0),
      );
      assert.equal(one.conditions?.[0]?.message, 'connected to etcd cluster a1 (1 member)');
      const down = sourceStatus(
        s,
        { state: 'failed', reason: 'SourceUnavailable', message: 'etcd unreachable' },
        2,
        new Date(1000),
      );
      assert.equal(down.clusterId, 'cdf818194e3a8c32', 'the last known facts stay');
      assert.deepEqual(
        down.conditions?.map((c) => `${c.type}/${c.status}/${c.reason}`),
        ['Ready/False/SourceUnavailable'],
      );
    });
  });

  describe('healthChangeLogLevel', () => {
    it('logs a source going down (or unknown) at warn and a recovery at info', () => {
      const table: Array<[string, 'info' | 'warn']> = [
        ['True', 'info'],
        ['False', 'warn'],
        ['Unknown', 'warn'],
      ];
      for (const [status, level] of table) assert.equal(healthChangeLogLevel(status), level, status);
    });
  });

  describe('requestsForSecret', () => {
    it('finds the sources that read a Secret', () => {
      const src = (name: string, s: Partial<ClusterEtcdSourceSpec>): ClusterEtcdSource => ({
        apiVersion: 'etcdconfig.dev/v1alpha1',
        kind: 'ClusterEtcdSource',
        metadata: { name },
        spec: { endpoints: ['e:1'], ...s },
      });
      const sources = [
        src('a', { auth: { secretRef: { name: 'creds' } } }),
        src('b', { tls: { caSecretRef: { name: 'creds' } } }),
        src('c', {}),
      ];
      assert.deepEqual(requestsForSecret('creds', sources), [{ name: 'a' }, { name: 'b' }]);
    });
  });
});
