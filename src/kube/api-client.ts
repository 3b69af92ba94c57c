// client-node's KubeConfig hands every request a brand-new http(s).Agent, so each call opens (and, with
// TLS, handshakes) its own connection. This makes API clients whose requests share keep-alive agents.
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import {
  ServerConfiguration,
  createConfiguration,
  type KubeConfig,
  type RequestContext,
  type SecurityAuthentication,
} from '@kubernetes/client-node';
import { IDENTITY_MIDDLEWARE } from './client-identity.js';

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
  for (const name of CONNECTION_OPTIONS) {
    const v = options[name];
    key += `\0${name}=${text(v)}`;
  }
  return key;
}

/**
 * The kubeconfig's authentication, with client-node's per-request agent swapped for a shared keep-alive
 * agent of the same TLS settings (a changed client certificate gets its own agent). Proxy agents are
 * left as client-node made them.
 */
function keepAliveAuth(kubeConfig: KubeConfig): SecurityAuthentication {
  let pool = pools.get(kubeConfig);
  if (!pool) {
    pool = new Map();
    pools.set(kubeConfig, pool);
  }
  const agents = pool;
  return {
    getName: () => 'keep-alive kubeconfig',
    applySecurityAuthentication: async (context: RequestContext): Promise<void> => {
      await kubeConfig.applySecurityAuthentication(context);
      const fresh = context.getAgent();
      const kind =
        fresh?.constructor === HttpsAgent ? 'https' : fresh?.constructor === HttpAgent ? 'http' : '';
      if (!fresh || !kind) return;
      const options = (fresh as HttpAgent & { options: Record<string, unknown> }).options;
      const key = fingerprint(kind, options);
      let agent = agents.get(key);
      if (!agent) {
        const settings = Object.fromEntries(
          CONNECTION_OPTIONS.filter((k) => options[k] !== undefined).map((k) => [k, options[k]]),
        );
        agent =
          kind === 'https'
            ? new HttpsAgent({ ...settings, keepAlive: true })
            : new HttpAgent({ ...settings, keepAlive: true });
        agents.set(key, agent);
      }
      context.setAgent(agent);
    },
  };
}

/**
 * `kubeConfig.makeApiClient(apiClientType)`, except that the client's requests reuse keep-alive
 * connections (shared by every client made from the same KubeConfig) instead of opening one each, and
 * carry the operator's identity (client-identity.ts): its User-Agent, and `fieldManager` on every write.
 * Authentication (headers, tokens, client certificates) is the kubeconfig's own, applied per request.
 */
export function makeApiClient<T>(
  kubeConfig: KubeConfig,
  apiClientType: new (config: ReturnType<typeof createConfiguration>) => T,
): T {
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster) throw new Error('No active cluster!');
  return new apiClientType(
    createConfiguration({
      baseServer: new ServerConfiguration(cluster.server, {}),
      authMethods: { default: keepAliveAuth(kubeConfig) },
      // Per-call middleware (request-options.ts) is appended after this one.
      middleware: [IDENTITY_MIDDLEWARE],
    }),
  );
}
