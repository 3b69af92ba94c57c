// client-node's KubeConfig hands every request a brand-new http(s).Agent, so each call would open (and,
// with TLS, handshake) its own connection. This keeps one keep-alive agent per TLS setting of a
// kubeconfig, shared by everything of this layer that talks to its API server.
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

/** The agent options that make two connections interchangeable (what client-node sets). */
const CONNECTION_OPTIONS = ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername'];

/** One kubeconfig's keep-alive agents, by {@link fingerprint}. */
const pools = new WeakMap<KubeConfig, Map<string, HttpAgent>>();

function text(v: unknown): string {
  if (Buffer.isBuffer(v)) return v.toString('base64');
  if (Array.isArray(v)) return v.map(text).join(',');
  if (typeof v === 'string' || typeof v === 'boolean' || v === undefined) return String(v);
  return JSON.stringify(v) ?? '';
}

function fingerprint(kind: string, options: Record<string, unknown>): string {
  let key = kind;
  for (const name of CONNECTION_OPTIONS) key += `\0${name}=${text(options[name])}`;
  return key;
}

/**
 * The shared keep-alive agent of `kubeConfig` with the TLS settings of `fresh`, the one-off agent
 * client-node made for a request (a changed client certificate gets an agent of its own). Anything but
 * a plain http(s) agent (a proxy agent from `proxy-url`) is returned as is, undefined stays undefined.
 */
export function keepAliveAgent<A>(kubeConfig: KubeConfig, fresh: A): A | HttpAgent {
  const kind =
    fresh instanceof Object && fresh.constructor === HttpsAgent
      ? 'https'
      : fresh instanceof Object && fresh.constructor === HttpAgent
        ? 'http'
        : '';
  if (!kind) return fresh;
  let pool = pools.get(kubeConfig);
  if (!pool) {
    pool = new Map();
    pools.set(kubeConfig, pool);
  }
  const options = (fresh as HttpAgent & { options: Record<string, unknown> }).options;
  const key = fingerprint(kind, options);
  let agent = pool.get(key);
  if (!agent) {
    const settings = Object.fromEntries(
      CONNECTION_OPTIONS.filter((k) => options[k] !== undefined).map((k) => [k, options[k]]),
    );
    agent =
      kind === 'https'
        ? new HttpsAgent({ ...settings, keepAlive: true })
        : new HttpAgent({ ...settings, keepAlive: true });
    pool.set(key, agent);
  }
  return agent;
}
