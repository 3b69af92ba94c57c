import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { EtcdClient } from '../../../src/etcd/index.js';
import { EtcdCluster, type EtcdBinaries } from '../../../src/envtest/etcd/index.js';
import type { KubeSim } from '../../../src/envtest/kube-sim/index.js';
import type { KubeApi } from './kube-api.js';
import { OperatorProcess } from './operator-process.js';
import { startSimWithCrds } from './sim-with-crds.js';

/** Options of {@link OperatorEnv.start}. */
export interface OperatorEnvOptions {
  /** Extra etcd flags. */
  etcdArgs?: readonly string[];
  /** etcd members (default 1). */
  etcdMembers?: 1 | 3;
  /** etcd release to run (default: `etcd`/`etcdctl` on PATH). */
  etcd?: EtcdBinaries;
  /** Start the operator right away (default true). */
  startOperator?: boolean;
  /** Operator log level (default `info`). */
  logLevel?: string;
  /** Extra flags for every operator started (e.g. `['--workers', '16']`). */
  operatorArgs?: readonly string[];
  /** The script every operator runs (see SpawnOperatorRunOptions.entry); default the package's bin. */
  operatorEntry?: string;
}

/**
 * Everything an operator e2e test needs: a real etcd, the Kubernetes API simulator with our CRDs
 * installed, a kubeconfig file on disk, client-node APIs to look at what the operator did (as a user
 * with kubectl would), and the operator itself as a child process. `close()` stops all of it.
 */
export class OperatorEnv {
  /** The running operator, if any (replaced by {@link restartOperator}). */
  operator: OperatorProcess | undefined;
  /** Every operator process started, so that close() can stop all of them. */
  private readonly operators: OperatorProcess[] = [];
  private closing: Promise<void> | undefined;

  private constructor(
    readonly etcd: EtcdCluster,
    readonly sim: KubeSim,
    /** Temp dir holding the kubeconfig. */
    readonly dir: string,
    readonly kubeconfigPath: string,
    readonly kc: KubeConfig,
    /** An etcd client for the test's writes (the operator has its own). */
    readonly etcdClient: EtcdClient,
    readonly kube: KubeApi,
    private readonly options: OperatorEnvOptions,
  ) {}

  /** Starts etcd and the simulator, installs the CRDs, and (by default) the operator. */
  static async start(options: OperatorEnvOptions = {}): Promise<OperatorEnv> {
    const dir = await mkdtemp(join(tmpdir(), 'operator-e2e-'));
    let etcd: EtcdCluster | undefined;
    let sim: KubeSim | undefined;
    try {
      etcd = await EtcdCluster.start({
        members: options.etcdMembers ?? 1,
        extraArgs: options.etcdArgs ?? [],
        ...(options.etcd ? { etcdBin: options.etcd.etcdBin, etcdctlBin: options.etcd.etcdctlBin } : {}),
      });
      const k8s = await startSimWithCrds(dir, { port: 0 });
      sim = k8s.sim;
      const { kubeconfigPath, kc, kube } = k8s;
      const etcdClient = new EtcdClient({ endpoints: etcd.endpoints });
      const env = new OperatorEnv(etcd, sim, dir, kubeconfigPath, kc, etcdClient, kube, options);
      if (options.startOperator ?? true) await env.startOperator();
      return env;
    } catch (e) {
      await sim?.close();
      await etcd?.close();
      await rm(dir, { recursive: true, force: true });
      throw e;
    }
  }

  /** `127.0.0.1:<port>` of the etcd member, as a ClusterEtcdSource names it. */
  get etcdEndpoint(): string {
    return this.etcd.endpoints[0]!;
  }

  /**
   * Starts an operator process and makes it {@link operator}. Without leader election the previous one
   * must be gone; with it, several replicas may run side by side.
   */
  async startOperator(
    extraArgs: readonly string[] = [],
    options: { leaderElect?: boolean } = {},
  ): Promise<OperatorProcess> {
    const op = await OperatorProcess.start({
      kubeconfig: this.kubeconfigPath,
      logLevel: this.options.logLevel,
      extraArgs: [...(this.options.operatorArgs ?? []), ...extraArgs],
      leaderElect: options.leaderElect,
      ...(this.options.operatorEntry !== undefined ? { entry: this.options.operatorEntry } : {}),
    });
    this.operators.push(op);
    this.operator = op;
    return op;
  }

  /** SIGKILLs the operator and starts a new one, as a crash and a pod restart would. */
  async restartOperator(): Promise<OperatorProcess> {
    await this.operator?.kill();
    return this.startOperator();
  }

  /** The operator's recent log, for failure messages. */
  get operatorLog(): string {
    return this.operator?.log ?? '(no operator)';
  }

  /** The current etcd revision (a Range's header revision). */
  async etcdRevision(): Promise<bigint> {
    return (await this.etcdClient.kv.range({ key: '/' })).revision;
  }

  /** etcd's exact content under `prefix`, as ConfigMap `files` data with separator `.`. */
  async etcdPrefix(prefix: string): Promise<{ revision: bigint; entries: Map<string, string> }> {
    const r = await this.etcdClient.kv.range({ prefix });
    return {
      revision: r.revision,
      entries: new Map(
        r.kvs.map((kv) => [kv.key.toString('utf8').slice(prefix.length), kv.value.toString('utf8')]),
      ),
    };
  }

  /** Stops every operator process, the simulator and etcd, and removes the temp dir. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.all(this.operators.map((o) => o.kill()));
      await this.etcdClient.close();
      await this.sim.close();
      await this.etcd.close();
      await rm(this.dir, { recursive: true, force: true });
    })();
    return this.closing;
  }
}
