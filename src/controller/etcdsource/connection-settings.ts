// Pure: a ClusterEtcdSource spec plus the Secrets it names → the etcd client's connection options.
import { createHash } from 'node:crypto';
import type { V1Secret } from '@kubernetes/client-node';
import { endpointUsesTls, parseEndpoint, type DefaultedClusterEtcdSourceSpec } from '../../api/index.js';
import type { EtcdTlsOptions } from '../../etcd/index.js';
import type { ConnectionSettings } from '../connections/source-connections.js';

export type { ConnectionSettings };

/** The settings, or which Secret (or key of it) is missing. */
export type SettingsResult = { ok: true; settings: ConnectionSettings } | { ok: false; message: string };

/** Looks a Secret up by name in the operator's namespace. */
export type SecretLookup = (name: string) => V1Secret | undefined;

/** Names of the Secrets a spec refers to (for triggers: a change to one of them re-reconciles). */
export function referencedSecrets(spec: DefaultedClusterEtcdSourceSpec): string[] {
  const names = [spec.tls?.caSecretRef?.name, spec.tls?.certSecretRef?.name, spec.auth?.secretRef.name];
  return [...new Set(names.filter((n): n is string => n !== undefined))];
}

function secretBytes(secret: V1Secret, key: string): Buffer | undefined {
  const encoded = secret.data?.[key];
  if (encoded !== undefined) return Buffer.from(encoded, 'base64');
  const plain = secret.stringData?.[key];
  return plain === undefined ? undefined : Buffer.from(plain, 'utf8');
}

/**
 * Builds the connection settings from a valid, defaulted spec, reading TLS material and credentials
 * from `secrets`. Never throws: a missing Secret or key is reported by name.
 */
export function connectionSettings(
  spec: DefaultedClusterEtcdSourceSpec,
  secrets: SecretLookup,
  namespace: string,
): SettingsResult {
  const need = (name: string, key: string): Buffer | string => {
    const secret = secrets(name);
    if (!secret) return `Secret ${namespace}/${name} not found`;
    return secretBytes(secret, key) ?? `Secret ${namespace}/${name} has no key ${JSON.stringify(key)}`;
  };
  const settings: Omit<ConnectionSettings, 'fingerprint'> = { endpoints: [...spec.endpoints] };
  if (spec.tls) {
    const tls: EtcdTlsOptions = {};
    if (spec.tls.caSecretRef) {
      const ca = need(spec.tls.caSecretRef.name, spec.tls.caSecretRef.key);
      if (typeof ca === 'string') return { ok: false, message: ca };
      tls.ca = ca;
    }
    if (spec.tls.certSecretRef) {
      const cert = need(spec.tls.certSecretRef.name, 'tls.crt');
      if (typeof cert === 'string') return { ok: false, message: cert };
      const key = need(spec.tls.certSecretRef.name, 'tls.key');
      if (typeof key === 'string') return { ok: false, message: key };
      tls.cert = cert;
      tls.key = key;
    }
    if (spec.tls.serverName !== undefined) tls.serverName = spec.tls.serverName;
    settings.tls = tls;
  } else if (spec.endpoints.some(usesHttps)) {
    // https:// endpoints without spec.tls: TLS verified against the system's trusted CAs.
    settings.tls = {};
  }
  if (spec.auth) {
    const username = need(spec.auth.secretRef.name, 'username');
    if (typeof username === 'string') return { ok: false, message: username };
    const password = need(spec.auth.secretRef.name, 'password');
    if (typeof password === 'string') return { ok: false, message: password };
    settings.auth = { username: username.toString('utf8'), password: password.toString('utf8') };
  }
  return { ok: true, settings: { ...settings, fingerprint: fingerprintOf(settings) } };
}

function usesHttps(text: string): boolean {
  const parsed = parseEndpoint(text);
  return parsed.ok && endpointUsesTls(parsed.endpoint, false);
}

function fingerprintOf(settings: Omit<ConnectionSettings, 'fingerprint'>): string {
  const hash = createHash('sha256');
  const field = (name: string, value: Buffer | string | undefined): void => {
    hash.update(`${name}\0${value === undefined ? '-' : Buffer.from(value).toString('base64')}\0`);
  };
  field('endpoints', settings.endpoints.join(','));
  field('tls', settings.tls ? 'on' : undefined);
  field('ca', settings.tls?.ca);
  field('cert', settings.tls?.cert);
  field('key', settings.tls?.key);
  field('serverName', settings.tls?.serverName);
  field('username', settings.auth?.username);
  field('password', settings.auth?.password);
  return hash.digest('hex');
}
