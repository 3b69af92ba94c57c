import { join } from 'node:path';
import { AppsV1Api, CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { installCrds, KubeSim, type KubeSimOptions } from '../../../src/envtest/kube-sim/index.js';
import { KubeApi } from './kube-api.js';

/**
 * The Kubernetes side of an e2e or chaos run: the API simulator serving our CRDs, its kubeconfig as a
 * file (for operator processes) and as a KubeConfig (for the test's own clients), and client-node APIs
 * on it. The caller owns the simulator and closes it.
 */
export interface SimWithCrds {
  sim: KubeSim;
  /** `<dir>/kubeconfig`. */
  kubeconfigPath: string;
  kc: KubeConfig;
  kube: KubeApi;
}

/**
 * Starts the simulator with `options`, writes its kubeconfig to `<dir>/kubeconfig`, installs every CRD
 * in crds/ and waits until they are served. When a step after the start fails, it closes the
 * simulator before rethrowing, so a caller only ever has to close one it got back.
 */
export async function startSimWithCrds(dir: string, options: KubeSimOptions = {}): Promise<SimWithCrds> {
  const sim = await KubeSim.start(options);
  try {
    const kubeconfigPath = join(dir, 'kubeconfig');
    await sim.writeKubeconfig(kubeconfigPath);
    const kc = sim.kubeConfig();
    await installCrds(kc);
    const kube = new KubeApi(
      kc.makeApiClient(CoreV1Api),
      kc.makeApiClient(AppsV1Api),
      kc.makeApiClient(CustomObjectsApi),
      kc,
    );
    return { sim, kubeconfigPath, kc, kube };
  } catch (e) {
    await sim.close();
    throw e;
  }
}
