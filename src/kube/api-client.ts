// The generated client-node API clients of this layer, with keep-alive connections (agent-pool.ts) and
// the operator's identity. The hot calls go through transport.ts instead.
import {
  ServerConfiguration,
  createConfiguration,
  type KubeConfig,
  type RequestContext,
  type SecurityAuthentication,
} from '@kubernetes/client-node';
import { keepAliveAgent } from './agent-pool.js';
import { IDENTITY_MIDDLEWARE } from './client-identity.js';

/**
 * The kubeconfig's authentication, with client-node's per-request agent swapped for a shared keep-alive
 * agent of the same TLS settings. Proxy agents are left as client-node made them.
 */
function keepAliveAuth(kubeConfig: KubeConfig): SecurityAuthentication {
  return {
    getName: () => 'keep-alive kubeconfig',
    applySecurityAuthentication: async (context: RequestContext): Promise<void> => {
      await kubeConfig.applySecurityAuthentication(context);
      const fresh = context.getAgent();
      const agent = keepAliveAgent(kubeConfig, fresh);
      if (agent && agent !== fresh) context.setAgent(agent);
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
