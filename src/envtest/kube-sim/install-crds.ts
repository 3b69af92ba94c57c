import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ApiextensionsV1Api,
  CustomObjectsApi,
  loadAllYaml,
  type KubeConfig,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import { realClock, sleep } from '../../base/index.js';

/** The repository's CRDs (crds/ at the package root, from src/ and dist/ alike). */
export const REPOSITORY_CRDS_DIR = fileURLToPath(new URL('../../../crds/', import.meta.url));

const POLL_INTERVAL_MS = 50;

/** Options of {@link installCrds}. */
export interface InstallCrdsOptions {
  /** Folder of CRD YAML files. Default: the repository's `crds/`. */
  dir?: string;
  /** How long the API server gets to serve the new kinds. Default 15 s. */
  timeoutMs?: number;
}

/**
 * Creates every CRD in the folder through client-node, as `kubectl apply -f crds/` would, and resolves
 * once the API server serves each of their kinds (a list of each answers). Throws the server's error
 * for a refused CRD, or after `timeoutMs` if a kind is never served.
 *
 * The YAML goes through client-node's `loadAllYaml`, which maps it onto client-node's models: plain parsed
 * YAML handed to `createCustomResourceDefinition` has its `default`, `enum` and
 * `x-kubernetes-validations` dropped by client-node's serializer, silently — the CRDs would then be
 * installed without their defaults, enums or CEL rules.
 */
export async function installCrds(kc: KubeConfig, options: InstallCrdsOptions = {}): Promise<void> {
  const dir = options.dir ?? REPOSITORY_CRDS_DIR;
  const extensions = kc.makeApiClient(ApiextensionsV1Api);
  const crds: V1CustomResourceDefinition[] = [];
  for (const file of (await readdir(dir)).filter((f) => /\.ya?ml$/.test(f)).sort()) {
    for (const doc of loadAllYaml(await readFile(join(dir, file), 'utf8')) as unknown[]) {
      if (doc) crds.push(doc as V1CustomResourceDefinition);
    }
  }
  for (const body of crds) await extensions.createCustomResourceDefinition({ body });
  const custom = kc.makeApiClient(CustomObjectsApi);
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  for (const crd of crds) {
    const { group, names } = crd.spec;
    const version = crd.spec.versions.find((v) => v.served)?.name ?? crd.spec.versions[0]?.name ?? '';
    for (;;) {
      try {
        await custom.listClusterCustomObject({ group, version, plural: names.plural });
        break;
      } catch (e) {
        if (Date.now() > deadline) {
          throw new Error(`the API server did not serve ${names.plural}.${group}`, { cause: e });
        }
        await sleep(realClock, POLL_INTERVAL_MS);
      }
    }
  }
}
