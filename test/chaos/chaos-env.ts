import { join } from 'node:path';
import type { KubeConfig, V1ConfigMap, V1Deployment, V1Lease } from '@kubernetes/client-node';
import type { PrefixSyncSpec } from '../../src/api/index.js';
import { EtcdClient } from '../../src/etcd/index.js';
import { EtcdCluster, etcdVersionsUnderTest, type KubeSim } from '../../src/envtest/index.js';
import type { KubeApi } from '../e2e/support/kube-api.js';
import { startSimWithCrds } from '../e2e/support/sim-with-crds.js';
import { BlackholeProxy } from './blackhole-proxy.js';
import type { ChaosOptions } from './chaos-options.js';
import { seedOps, type WriterPrefix } from './chaos-writer.js';
import { ClusterRecorder } from './cluster-recorder.js';
import { OperatorReplica } from './operator-replica.js';

/** The simulator keeps this many changes, so that the recorders can always resume (no 410). */
const SIM_HISTORY_LIMIT = 2_000_000;
/** Deadline of the test's own etcd requests: a member under a fault must not stall the run for long. */
const TEST_CLIENT_TIMEOUT_MS = 5_000;
/** Name of every tenant's ConfigMap. */
export const CONFIG_MAP = 'app-config';
/** Name of every tenant's PrefixSync. */
export const PREFIX_SYNC_NAME = 'app';
/** Name of every tenant's Deployment. */
export const DEPLOYMENT = 'web';

/** The formats the PrefixSyncs cycle through, with their target key and separator. */
const SHAPES: readonly { format: 'files' | 'yaml' | 'json' | 'properties' | 'env'; key?: string }[] = [
  { format: 'files' },
  { format: 'yaml', key: 'config.yaml' },
  { format: 'json', key: 'config.json' },
  { format: 'properties', key: 'app.properties' },
  { format: 'env', key: 'app.env' },
];
/** Debounce settings the PrefixSyncs cycle through. */
const DEBOUNCES = ['0s', '300ms', '1s'];

/** One namespace with its prefix, PrefixSync, ConfigMap and Deployment. */
export interface ChaosTenant {
  namespace: string;
  prefix: string;
  spec: PrefixSyncSpec;
  writer: WriterPrefix;
}

/**
 * Everything a chaos run acts on: a 3-member etcd cluster, a blackhole-capable proxy in front of each
 * member (the operator's ClusterEtcdSource names the proxies, the test's own clients the members), the
 * Kubernetes API simulator with the CRDs, the tenants, cluster-wide recordings of ConfigMaps,
 * Deployments and the Lease, and the operator replicas. `close()` stops all of it; it is idempotent.
 */
export class ChaosEnv {
  /** Every replica ever started, in order; the running ones are those with isRunning. */
  readonly replicas: OperatorReplica[] = [];
  readonly tenants: ChaosTenant[] = [];
  /** Lease namespace and name. */
  readonly lease = { namespace: 'chaos-operator', name: 'etcd-config-operator' };
  private replicaCount = 0;
  private closing: Promise<void> | undefined;
  /** Set once the recorders run. */
  private recordings:
    | {
        configMaps: ClusterRecorder<V1ConfigMap>;
        deployments: ClusterRecorder<V1Deployment>;
        leases: ClusterRecorder<V1Lease>;
      }
    | undefined;

  private constructor(
    readonly options: ChaosOptions,
    /** The run's directory: kubeconfig, snapshot, operator logs. */
    readonly dir: string,
    readonly etcd: EtcdCluster,
    readonly proxies: readonly BlackholeProxy[],
    /** One client per member, direct (not through the proxies). */
    readonly memberClients: readonly EtcdClient[],
    readonly sim: KubeSim,
    readonly kc: KubeConfig,
    readonly kube: KubeApi,
    readonly kubeconfigPath: string,
  ) {}

  /** Starts etcd, the proxies and the simulator with the CRDs; `close()` undoes a partial start too. */
  static async start(options: ChaosOptions, dir: string): Promise<ChaosEnv> {
    const binaries = etcdVersionsUnderTest();
    const bin = options.etcd === '3.5' ? binaries[0]! : binaries[binaries.length - 1]!;
    const etcd = await EtcdCluster.start({ members: 3, etcdBin: bin.etcdBin, etcdctlBin: bin.etcdctlBin });
    const proxies: BlackholeProxy[] = [];
    const clients: EtcdClient[] = [];
    let sim: KubeSim | undefined;
    try {
      for (const m of etcd.members) proxies.push(await BlackholeProxy.start(m.endpoint));
      for (const m of etcd.members)
        clients.push(new EtcdClient({ endpoints: [m.endpoint], requestTimeoutMs: TEST_CLIENT_TIMEOUT_MS }));
      const k8s = await startSimWithCrds(dir, { port: 0, historyLimit: SIM_HISTORY_LIMIT });
      sim = k8s.sim;
      const { kubeconfigPath, kc, kube } = k8s;
      process.stdout.write(`etcd ${bin.version}, 3 members behind blackhole proxies; simulator ${sim.url}\n`);
      return new ChaosEnv(options, dir, etcd, proxies, clients, sim, kc, kube, kubeconfigPath);
    } catch (e) {
      await Promise.all(clients.map((c) => c.close()));
      await Promise.all(proxies.map((p) => p.close()));
      await sim?.close();
      await etcd.close();
      throw e;
    }
  }

  /** The recordings; throws before {@link createTenants}. */
  get recorded(): NonNullable<ChaosEnv['recordings']> {
    if (!this.recordings) throw new Error('nothing is recorded before createTenants()');
    return this.recordings;
  }

  /** The root under which every tenant's prefix lives. */
  get rootPrefix(): string {
    return `/chaos-${process.pid}/`;
  }

  /**
   * Starts the recordings, then creates the operator's namespace, one ClusterEtcdSource (endpoints:
   * the proxies) allowing each tenant namespace its own prefix, and per tenant: the namespace, the
   * seed content, a Deployment mounting the ConfigMap and a PrefixSync rolling it.
   */
  async createTenants(): Promise<void> {
    const ours = (ns: string | undefined): boolean => ns?.startsWith('chaos-t') ?? false;
    this.recordings = {
      configMaps: await ClusterRecorder.start<V1ConfigMap>(
        this.kc,
        '/api/v1/configmaps',
        (o) => ours(o.metadata?.namespace) && o.metadata?.name === CONFIG_MAP,
      ),
      deployments: await ClusterRecorder.start<V1Deployment>(
        this.kc,
        '/apis/apps/v1/deployments',
        (o) => ours(o.metadata?.namespace) && o.metadata?.name === DEPLOYMENT,
      ),
      leases: await ClusterRecorder.start<V1Lease>(
        this.kc,
        `/apis/coordination.k8s.io/v1/namespaces/${this.lease.namespace}/leases`,
        (o) => o.metadata?.name === this.lease.name,
      ),
    };
    await this.kube.createNamespace(this.lease.namespace);
    for (let i = 0; i < this.options.prefixSyncs; i++) {
      const namespace = `chaos-t${i}`;
      const prefix = `${this.rootPrefix}t${i}/`;
      const shape = SHAPES[i % SHAPES.length]!;
      const spec: PrefixSyncSpec = {
        sourceRef: { name: 'chaos' },
        prefix,
        target: { name: CONFIG_MAP, format: shape.format, ...(shape.key ? { key: shape.key } : {}) },
        ...(shape.format === 'env' ? { keys: { separator: '_' } } : {}),
        rollout: { mode: 'targets', targets: [{ kind: 'Deployment', name: DEPLOYMENT }] },
        debounce: DEBOUNCES[i % DEBOUNCES.length]!,
      };
      this.tenants.push({
        namespace,
        prefix,
        spec,
        writer: { prefix, binaryValues: shape.format === 'files' },
      });
    }
    await this.kube.createSource('chaos', {
      endpoints: this.proxies.map((p) => p.endpoint),
      access: this.tenants.map((t) => ({ namespaces: [t.namespace], prefixes: [t.prefix] })),
    });
    const ops = seedOps(this.tenants.map((t) => t.writer));
    for (const success of ops) await this.memberClients[0]!.kv.txn({ success });
    for (const t of this.tenants) {
      await this.kube.createNamespace(t.namespace);
      await this.kube.createDeployment(t.namespace, DEPLOYMENT, CONFIG_MAP);
      await this.kube.createPrefixSync(t.namespace, PREFIX_SYNC_NAME, t.spec);
    }
  }

  /** Starts one more replica (`op-1`, `op-2`, … — a restarted pod gets a new name, as a Deployment's would). */
  async startReplica(): Promise<OperatorReplica> {
    const identity = `op-${++this.replicaCount}`;
    const replica = await OperatorReplica.start({
      identity,
      kubeconfig: this.kubeconfigPath,
      namespace: this.lease.namespace,
      leaseName: this.lease.name,
      logFile: join(this.dir, `${identity}.log`),
    });
    this.replicas.push(replica);
    return replica;
  }

  /** The replicas still running. */
  get running(): OperatorReplica[] {
    return this.replicas.filter((r) => r.isRunning);
  }

  /** The Lease's holder as last recorded ('' when none yet). */
  get leaseHolder(): string {
    const changes = this.recorded.leases.changes;
    return changes[changes.length - 1]?.object.spec?.holderIdentity ?? '';
  }

  /** A member client whose member is running and not under a fault (`exclude`), for the test's own I/O. */
  healthyClient(exclude: ReadonlySet<number> = new Set()): EtcdClient {
    const i = this.etcd.members.findIndex((m, idx) => m.state === 'running' && !exclude.has(idx));
    return this.memberClients[i === -1 ? 0 : i]!;
  }

  /** Stops the recorders, every replica, the clients, the proxies, the simulator and etcd. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.recordings) for (const r of Object.values(this.recordings)) r.stop();
      await Promise.all(this.replicas.map((r) => r.kill()));
      await Promise.all(this.memberClients.map((c) => c.close()));
      await Promise.all(this.proxies.map((p) => p.close()));
      await this.sim.close();
      await this.etcd.close();
    })();
    return this.closing;
  }
}
