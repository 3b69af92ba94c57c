// What `demo` starts and owns: etcd, the API simulator with the example objects, and the operator as a
// child process. close() stops everything in reverse order and removes the demo's files.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppsV1Api, CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import {
  API_VERSION,
  CLUSTER_ETCD_SOURCE,
  GROUP,
  PREFIX_SYNC,
  VERSION,
  type ClusterEtcdSource,
  type PrefixSync,
} from '../api/index.js';
import { abortable, AbortedError } from '../base/index.js';
import { EtcdClient } from '../etcd/index.js';
import {
  EtcdCluster,
  FAIL_WHEN_ANNOTATION,
  freeLoopbackPorts,
  installCrds,
  KubeSim,
} from '../envtest/index.js';

const BIN = fileURLToPath(new URL('../../bin/etcd-config-operator.js', import.meta.url));
/** How long the operator gets to exit after SIGTERM before it is killed. */
const OPERATOR_STOP_TIMEOUT_MS = 10_000;
/** How long the simulator gets to serve the CRDs after they are created. */
const CRD_READY_TIMEOUT_MS = 15_000;

/** The example the demo sets up. */
export const DEMO = {
  namespace: 'default',
  source: 'local',
  prefix: '/config/app/',
  prefixSync: 'app',
  configMap: 'app-config',
  deployment: 'web',
  /** The first keys, written before the PrefixSync exists. */
  seed: { greeting: 'hello', 'log/level': 'info', 'feature/new-ui': 'false' } as Record<string, string>,
  debounce: '500ms',
  /** The simulated app crashes on this ConfigMap key and value (the simulator's fail-when switch). */
  crashKey: 'log.level',
  crashValue: 'panic',
  /** How long a rollout may take before the operator rolls it back. */
  progressDeadline: '5s',
} as const;

/** Everything the demo runs. */
export class DemoCluster {
  /** Resolves with the operator's exit code (or signal) when it exits. */
  readonly operatorExited: Promise<number | string>;
  private closing: Promise<void> | undefined;

  private constructor(
    readonly dir: string,
    /** The topmost directory the demo created for `dir`, removed whole; undefined: only its files go. */
    private readonly createdRoot: string | undefined,
    readonly etcd: EtcdCluster,
    readonly sim: KubeSim,
    readonly kubeconfigPath: string,
    readonly operatorLogPath: string,
    readonly metricsUrl: string,
    readonly kc: KubeConfig,
    readonly etcdClient: EtcdClient,
    private readonly operator: ChildProcess,
  ) {
    this.operatorExited = new Promise((resolve) =>
      operator.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
    );
  }

  /** The etcd URL to print in commands. */
  get etcdUrl(): string {
    return this.etcd.clientUrls[0]!;
  }

  /**
   * Starts etcd, the simulator (kubeconfig at `<dir>/kubeconfig`), applies the CRDs and the example, and
   * starts the operator. `dir` undefined: a new temp dir. `step` is called after each part is up.
   * Throws, leaving nothing behind (a `dir` that existed before is kept, with only the demo's files removed).
   */
  static async start(
    requestedDir: string | undefined,
    etcdBin: string,
    step: (what: string, cluster: Partial<{ etcdUrl: string; simUrl: string }>) => void,
    signal: AbortSignal = new AbortController().signal,
  ): Promise<DemoCluster> {
    const { dir, createdRoot } = await prepareDir(requestedDir);
    let etcd: EtcdCluster | undefined;
    let sim: KubeSim | undefined;
    let etcdClient: EtcdClient | undefined;
    // Ctrl-C while starting: stop waiting at once (etcd shares our process group, so the terminal's
    // SIGINT has killed it and the next etcd call would retry for long), yet close whatever a step
    // still in flight brings up.
    const abandoned: Promise<unknown>[] = [];
    const stage = async <T>(work: Promise<T>, undo?: (value: T) => Promise<unknown>): Promise<T> => {
      try {
        return await abortable(work, signal);
      } catch (e) {
        if (!(e instanceof AbortedError)) throw e;
        if (undo) abandoned.push(work.then(undo, () => undefined));
        throw new DemoInterrupted();
      }
    };
    try {
      etcd = await stage(EtcdCluster.start({ etcdBin }), (c) => c.close());
      step('etcd', { etcdUrl: etcd.clientUrls[0]! });
      sim = await stage(KubeSim.start({ port: 0 }), (k) => k.close());
      const kubeconfigPath = join(dir, 'kubeconfig');
      await stage(sim.writeKubeconfig(kubeconfigPath));
      step('sim', { simUrl: sim.url });
      const kc = sim.kubeConfig();
      await stage(applyCrds(kc));
      etcdClient = new EtcdClient({ endpoints: etcd.endpoints });
      for (const [k, v] of Object.entries(DEMO.seed)) await stage(etcdClient.kv.put(DEMO.prefix + k, v));
      await stage(applyExample(kc, etcd.endpoints[0]!));
      step('objects', {});
      const [metricsPort, probePort] = (await stage(freeLoopbackPorts(2))) as [number, number];
      const operatorLogPath = join(dir, 'operator.log');
      const operator = await stage(
        startOperator(kubeconfigPath, operatorLogPath, metricsPort, probePort),
        (child) => stopOperator(child),
      );
      step('operator', {});
      return new DemoCluster(
        dir,
        createdRoot,
        etcd,
        sim,
        kubeconfigPath,
        operatorLogPath,
        `http://127.0.0.1:${metricsPort}/metrics`,
        kc,
        etcdClient,
        operator,
      );
    } catch (e) {
      await Promise.all(abandoned);
      await etcdClient?.close();
      await sim?.close();
      await etcd?.close();
      await removeDemoFiles(dir, createdRoot);
      throw e;
    }
  }

  /**
   * Stops the operator (SIGTERM, then SIGKILL after 10 s), the simulator and etcd; removes `dir` when the
   * demo created it, else only the demo's files in it. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await stopOperator(this.operator);
      await this.etcdClient.close();
      await this.sim.close();
      await this.etcd.close();
      await removeDemoFiles(this.dir, this.createdRoot);
    })();
    return this.closing;
  }
}

/** Thrown by {@link DemoCluster.start} when its signal aborts (Ctrl-C) before everything is up. */
export class DemoInterrupted extends Error {
  constructor() {
    super('interrupted while starting');
  }
}

/** SIGTERM, then SIGKILL after {@link OPERATOR_STOP_TIMEOUT_MS}; resolves when it has exited. */
async function stopOperator(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), OPERATOR_STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

/** The files the demo writes into its directory. */
const DEMO_FILES = ['kubeconfig', 'operator.log'];

/** The demo's directory: `requested` (created when missing) or a new temp dir. */
async function prepareDir(
  requested: string | undefined,
): Promise<{ dir: string; createdRoot: string | undefined }> {
  if (requested === undefined) {
    const dir = await mkdtemp(join(tmpdir(), 'etcd-config-operator-demo-'));
    return { dir, createdRoot: dir };
  }
  // mkdir returns the first directory it made, undefined when `requested` already existed: a directory
  // the user had before (even `.` or $HOME) must survive the demo.
  return { dir: requested, createdRoot: await mkdir(requested, { recursive: true }) };
}

async function removeDemoFiles(dir: string, createdRoot: string | undefined): Promise<void> {
  if (createdRoot !== undefined) {
    await rm(createdRoot, { recursive: true, force: true });
    return;
  }
  await Promise.all(DEMO_FILES.map((f) => rm(join(dir, f), { force: true })));
}

async function startOperator(
  kubeconfig: string,
  logPath: string,
  metricsPort: number,
  probePort: number,
): Promise<ChildProcess> {
  const log = createWriteStream(logPath);
  await new Promise<void>((resolve, reject) => log.once('open', () => resolve()).once('error', reject));
  const child = spawn(
    process.execPath,
    [
      BIN,
      'run',
      '--kubeconfig',
      kubeconfig,
      '--leader-elect=false',
      '--metrics-addr',
      `:${metricsPort}`,
      // A local run: plain HTTP, so the printed metrics URL opens without a token (the opt-out).
      '--metrics-secure=false',
      '--probe-addr',
      `:${probePort}`,
    ],
    // Its own process group would survive our Ctrl-C; keep it in ours but stop it ourselves.
    { stdio: ['ignore', log, log] },
  );
  child.once('exit', () => log.end());
  return child;
}

async function applyCrds(kc: KubeConfig): Promise<void> {
  await installCrds(kc, { timeoutMs: CRD_READY_TIMEOUT_MS });
}

async function applyExample(kc: KubeConfig, etcdEndpoint: string): Promise<void> {
  const custom = kc.makeApiClient(CustomObjectsApi);
  const source: ClusterEtcdSource = {
    apiVersion: API_VERSION,
    kind: 'ClusterEtcdSource',
    metadata: { name: DEMO.source },
    spec: { endpoints: [etcdEndpoint], access: [{ namespaces: [DEMO.namespace], prefixes: [DEMO.prefix] }] },
  };
  await custom.createClusterCustomObject({
    group: GROUP,
    version: VERSION,
    plural: CLUSTER_ETCD_SOURCE.plural,
    body: source,
  });
  await kc.makeApiClient(AppsV1Api).createNamespacedDeployment({
    namespace: DEMO.namespace,
    body: {
      metadata: {
        name: DEMO.deployment,
        namespace: DEMO.namespace,
        // A rehearsal of a bad config push: the simulated pods never become ready on this value.
        annotations: { [FAIL_WHEN_ANNOTATION]: `${DEMO.crashKey}=${DEMO.crashValue}` },
      },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: DEMO.deployment } },
        template: {
          metadata: { labels: { app: DEMO.deployment } },
          spec: {
            containers: [
              { name: 'web', image: 'nginx', volumeMounts: [{ name: 'config', mountPath: '/etc/app' }] },
            ],
            volumes: [{ name: 'config', configMap: { name: DEMO.configMap } }],
          },
        },
      },
    },
  });
  const prefixSync: PrefixSync = {
    apiVersion: API_VERSION,
    kind: 'PrefixSync',
    metadata: { name: DEMO.prefixSync, namespace: DEMO.namespace },
    spec: {
      sourceRef: { name: DEMO.source },
      prefix: DEMO.prefix,
      target: { name: DEMO.configMap },
      rollout: {
        mode: 'targets',
        targets: [{ kind: 'Deployment', name: DEMO.deployment }],
        progressDeadline: DEMO.progressDeadline,
        onFailure: 'Rollback',
      },
      debounce: DEMO.debounce,
    },
  };
  await custom.createNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace: DEMO.namespace,
    plural: PREFIX_SYNC.plural,
    body: prefixSync,
  });
  // Read access for the live view (makes a bad kubeconfig fail here, not later).
  await kc.makeApiClient(CoreV1Api).listNamespacedConfigMap({ namespace: DEMO.namespace });
}
