import { KubeConfig, type Cluster } from '@kubernetes/client-node';
export { waitFor } from '../../support/wait.js';

/**
 * A kubeconfig with one cluster (`server` plus the other cluster fields given; a plain-HTTP server
 * needs `skipTLSVerify`, as client-node wants) and a user with the bearer `token`.
 */
export function kubeConfigFor(cluster: Partial<Cluster> & { server: string }, token = 't'): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', skipTLSVerify: false, ...cluster }],
    users: [{ name: 'u', token }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kc;
}
