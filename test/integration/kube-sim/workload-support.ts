// Builders and readers shared by the workload controller suites (workloads-*.test.ts).
import {
  PatchStrategy,
  setHeaderOptions,
  Watch,
  type KubeConfig,
  type V1DaemonSet,
  type V1Deployment,
  type V1DeploymentCondition,
  type V1PodTemplateSpec,
  type V1StatefulSet,
} from '@kubernetes/client-node';

export const MERGE = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** A pod template labelled `app: <name>`, versioned by an annotation, optionally reading ConfigMap `cfg`. */
export function podTemplate(name: string, version: string, configMap?: string): V1PodTemplateSpec {
  return {
    metadata: { labels: { app: name }, annotations: { version } },
    spec: {
      containers: [
        {
          name: 'app',
          image: 'app:1',
          ...(configMap !== undefined ? { envFrom: [{ configMapRef: { name: configMap } }] } : {}),
        },
      ],
    },
  };
}

export function deployment(
  name: string,
  spec: Partial<NonNullable<V1Deployment['spec']>> = {},
  annotations?: Record<string, string>,
): V1Deployment {
  return {
    metadata: { name, ...(annotations ? { annotations } : {}) },
    spec: { selector: { matchLabels: { app: name } }, template: podTemplate(name, '1'), ...spec },
  };
}

export function statefulSet(
  name: string,
  spec: Partial<NonNullable<V1StatefulSet['spec']>> = {},
): V1StatefulSet {
  return {
    metadata: { name },
    spec: {
      serviceName: name,
      selector: { matchLabels: { app: name } },
      template: podTemplate(name, '1'),
      ...spec,
    },
  };
}

export function daemonSet(
  name: string,
  spec: Partial<NonNullable<V1DaemonSet['spec']>> = {},
  annotations?: Record<string, string>,
): V1DaemonSet {
  return {
    metadata: { name, ...(annotations ? { annotations } : {}) },
    spec: { selector: { matchLabels: { app: name } }, template: podTemplate(name, '1'), ...spec },
  };
}

/** `<status>/<reason>` of a Deployment condition, or undefined. */
export function condition(d: V1Deployment, type: string): string | undefined {
  const c = d.status?.conditions?.find((x: V1DeploymentCondition) => x.type === type);
  return c ? `${c.status}/${c.reason}` : undefined;
}

/** One line summing up a Deployment's status, for wait messages and sequence checks. */
export function deploymentLine(d: V1Deployment): string {
  const s = d.status ?? {};
  return (
    `gen ${d.metadata?.generation}/${s.observedGeneration ?? '-'} replicas ${s.replicas ?? 0} ` +
    `updated ${s.updatedReplicas ?? 0} ready ${s.readyReplicas ?? 0} available ${s.availableReplicas ?? 0} ` +
    `unavailable ${s.unavailableReplicas ?? 0} Available=${condition(d, 'Available')} Progressing=${condition(d, 'Progressing')}`
  );
}

/** Every version of one object a watch delivers, from the time `start` resolves until `stop`. */
export interface Recording<T> {
  readonly seen: T[];
  stop(): void;
}

/** Watches `path` (a collection URL) for the object `name` and keeps every state it is seen in. */
export async function record<T extends { metadata?: { name?: string } }>(
  kc: KubeConfig,
  path: string,
  name: string,
): Promise<Recording<T>> {
  const seen: T[] = [];
  const controller = await new Watch(kc).watch(
    path,
    { fieldSelector: `metadata.name=${name}` },
    (type: string, obj: T) => {
      if (type !== 'BOOKMARK') seen.push(obj);
    },
    () => undefined,
  );
  return { seen, stop: () => controller.abort() };
}
