import { ApiextensionsV1Api, type KubernetesObject } from '@kubernetes/client-node';
import type { KubeSim } from '../../../src/envtest/kube-sim/index.js';

const NS = 'default';

/** A small test custom resource (namespaced, status subresource, a schema with a minimum). */
export interface Widget extends KubernetesObject {
  spec?: { size?: number; color?: string };
  status?: { phase?: string };
}

export const WIDGETS = {
  group: 'test.example.com',
  version: 'v1',
  plural: 'widgets',
  namespaced: true,
} as const;

export async function installWidgetCrd(sim: KubeSim): Promise<void> {
  const api = sim.kubeConfig().makeApiClient(ApiextensionsV1Api);
  await api.createCustomResourceDefinition({
    body: {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.test.example.com' },
      spec: {
        group: 'test.example.com',
        scope: 'Namespaced',
        names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            subresources: { status: {} },
            schema: {
              openAPIV3Schema: {
                type: 'object',
                properties: {
                  spec: {
                    type: 'object',
                    properties: { size: { type: 'integer', minimum: 1 }, color: { type: 'string' } },
                  },
                  status: { type: 'object', properties: { phase: { type: 'string' } } },
                },
              },
            },
          },
        ],
      },
    },
  });
}

export function widget(name: string, size = 1): Widget {
  return {
    apiVersion: 'test.example.com/v1',
    kind: 'Widget',
    metadata: { name, namespace: NS },
    spec: { size, color: 'red' },
  };
}
