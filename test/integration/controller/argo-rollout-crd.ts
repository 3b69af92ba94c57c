// A stand-in for Argo Rollouts in the API simulator: its Rollout CRD reduced to what the API server needs
// to store one (any spec and status, a status subresource), and a hand that moves a Rollout's status
// the way Argo's controller would.
import type { V1PodSpec } from '@kubernetes/client-node';
import type { KubeSim } from '../../../src/envtest/kube-sim/index.js';
import type { ArgoRollout } from '../../../src/kube/index.js';
import { waitFor } from '../../support/wait.js';

/** Argo Rollouts' CRD, minimal: preserve-unknown-fields spec and status, with a status subresource. */
export const ARGO_ROLLOUT_CRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'rollouts.argoproj.io' },
  spec: {
    group: 'argoproj.io',
    scope: 'Namespaced',
    names: {
      kind: 'Rollout',
      listKind: 'RolloutList',
      plural: 'rollouts',
      singular: 'rollout',
      shortNames: ['ro'],
    },
    versions: [
      {
        name: 'v1alpha1',
        served: true,
        storage: true,
        subresources: { status: {} },
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
              status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
            },
          },
        },
      },
    ],
  },
};

async function request(sim: KubeSim, method: string, path: string, body: unknown): Promise<unknown> {
  const res = await fetch(`${sim.url}${path}`, {
    method,
    headers: {
      'Content-Type': method === 'PATCH' ? 'application/merge-patch+json' : 'application/json',
      Accept: 'application/json',
    },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path}: HTTP ${res.status} ${text}`);
  return JSON.parse(text) as unknown;
}

/** Installs the Rollout CRD and waits until Rollouts are served. */
export async function installArgoRolloutCrd(sim: KubeSim): Promise<void> {
  await request(sim, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', ARGO_ROLLOUT_CRD);
  await waitFor('rollouts.argoproj.io served', async () => {
    const res = await fetch(`${sim.url}/apis/argoproj.io/v1alpha1/rollouts`);
    return res.status === 200 || `HTTP ${res.status}`;
  });
}

const rolloutsPath = (namespace: string): string =>
  `/apis/argoproj.io/v1alpha1/namespaces/${namespace}/rollouts`;

/** Creates Rollout `name` (a canary with one pause step) running `podSpec`, or with `spec` as given. */
export async function createRollout(
  sim: KubeSim,
  namespace: string,
  name: string,
  spec: { podSpec: V1PodSpec } | { raw: Record<string, unknown> },
): Promise<ArgoRollout> {
  const body = {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Rollout',
    metadata: { name },
    spec:
      'raw' in spec
        ? spec.raw
        : {
            replicas: 2,
            selector: { matchLabels: { app: name } },
            template: { metadata: { labels: { app: name } }, spec: spec.podSpec },
            strategy: { canary: { steps: [{ setWeight: 20 }, { pause: {} }] } },
          },
  };
  return (await request(sim, 'POST', rolloutsPath(namespace), body)) as ArgoRollout;
}

/** Reads Rollout `name`. */
export async function readRollout(sim: KubeSim, namespace: string, name: string): Promise<ArgoRollout> {
  const res = await fetch(`${sim.url}${rolloutsPath(namespace)}/${name}`);
  if (res.status !== 200) throw new Error(`get rollout ${namespace}/${name}: HTTP ${res.status}`);
  return (await res.json()) as ArgoRollout;
}

/**
 * Writes Rollout `name`'s status as Argo's controller would (a merge patch of `/status`); with
 * `atCurrentGeneration`, `observedGeneration` is the Rollout's generation as a decimal string.
 */
export async function setRolloutStatus(
  sim: KubeSim,
  namespace: string,
  name: string,
  status: NonNullable<ArgoRollout['status']> & { atCurrentGeneration?: boolean },
): Promise<ArgoRollout> {
  const { atCurrentGeneration, ...rest } = status;
  const observed = atCurrentGeneration
    ? String((await readRollout(sim, namespace, name)).metadata?.generation ?? 0)
    : rest.observedGeneration;
  return (await request(sim, 'PATCH', `${rolloutsPath(namespace)}/${name}/status`, {
    status: { ...rest, ...(observed !== undefined ? { observedGeneration: observed } : {}) },
  })) as ArgoRollout;
}
