import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { EtcdMember, PortInUseError, type EtcdServerTls } from './etcd-member.js';
import { freeLoopbackPorts } from './free-ports.js';
import { guardDir, releaseDir } from './process-guard.js';

const execFileAsync = promisify(execFile);

/** Attempts at starting a cluster when another process steals one of its ports. */
const MAX_START_ATTEMPTS = 5;
/** Default deadline for a cluster to become healthy. */
const DEFAULT_START_TIMEOUT_MS = 30_000;

/** Options of {@link EtcdCluster.start}. */
export interface EtcdClusterOptions {
  /** Number of members. Default 1. */
  members?: 1 | 3;
  /** Extra etcd flags for every member, e.g. `['--auto-compaction-retention', '1']`. Default none. */
  extraArgs?: readonly string[];
  /** Serve the client URL over TLS (the metrics URL used for readiness stays plain HTTP). */
  tls?: EtcdServerTls;
  /**
   * Client credentials used by {@link EtcdCluster.etcdctl} (CA to verify the server, and a client
   * certificate when the server requires one).
   */
  etcdctlTls?: { caFile: string; certFile?: string; keyFile?: string };
  /** etcd binary. Default `$ETCD_BIN`, else `etcd` on PATH. */
  etcdBin?: string;
  /** etcdctl binary. Default `$ETCDCTL_BIN`, else `etcdctl` on PATH. */
  etcdctlBin?: string;
  /** Where the temp dir goes. Default `$ETCD_ENVTEST_DIR`, else /dev/shm (cheap fsync), else os.tmpdir(). */
  baseDir?: string;
  /** Deadline for every member to be healthy. Default 30 s. */
  startTimeoutMs?: number;
}

/** A role for {@link EtcdCluster.enableAuth}. */
export interface EtcdRoleSpec {
  name: string;
  permissions: readonly { type: 'read' | 'write' | 'readwrite'; key: string; prefix?: boolean }[];
}

/** A user for {@link EtcdCluster.enableAuth}. */
export interface EtcdUserSpec {
  name: string;
  password: string;
  roles: readonly string[];
}

function defaultBaseDir(): string {
  const fromEnv = process.env['ETCD_ENVTEST_DIR'];
  if (fromEnv) return fromEnv;
  try {
    accessSync('/dev/shm', constants.W_OK);
    return '/dev/shm';
  } catch {
    return tmpdir();
  }
}

/**
 * A real etcd cluster (1 or 3 members) on free loopback ports with its data in a temp dir. Everything it
 * starts is gone after {@link close} — and also when the process exits or is killed (see process-guard).
 */
export class EtcdCluster {
  /** Root password once {@link enableAuth} ran; etcdctl then authenticates as root. */
  private rootPassword: string | undefined;
  /** Set by the first close(); later calls return the same promise. */
  private closing: Promise<void> | undefined;

  private constructor(
    /** The temp dir holding every member's data dir. */
    readonly dir: string,
    /** The members, in `--initial-cluster` order. */
    readonly members: readonly EtcdMember[],
    private readonly options: EtcdClusterOptions,
  ) {}

  /**
   * Starts a cluster and resolves once every member is healthy. Retries on a port race with fresh ports;
   * throws (leaving nothing behind) if etcd cannot be started.
   */
  static async start(options: EtcdClusterOptions = {}): Promise<EtcdCluster> {
    const count = options.members ?? 1;
    const etcdBin = options.etcdBin ?? process.env['ETCD_BIN'] ?? 'etcd';
    const root = await mkdtemp(join(options.baseDir ?? defaultBaseDir(), 'etcd-envtest-'));
    guardDir(root);
    for (let attempt = 1; ; attempt++) {
      const ports = await freeLoopbackPorts(count * 3);
      const names = Array.from({ length: count }, (_, i) => `m${i}`);
      const peerPort = (i: number): number => ports[i * 3 + 1]!;
      const initialCluster = names.map((n, i) => `${n}=http://127.0.0.1:${peerPort(i)}`).join(',');
      const members = await Promise.all(
        names.map(async (name, i) => {
          const dataDir = join(root, `attempt${attempt}`, name);
          await mkdir(dataDir, { recursive: true, mode: 0o700 });
          return new EtcdMember({
            name,
            dataDir,
            ownerDir: root,
            clientPort: ports[i * 3]!,
            peerPort: peerPort(i),
            metricsPort: ports[i * 3 + 2]!,
            initialCluster,
            clusterToken: `envtest-${process.pid}-${attempt}`,
            etcdBin,
            tls: options.tls,
            extraArgs: options.extraArgs ?? [],
          });
        }),
      );
      try {
        await Promise.all(members.map((m) => m.start({ waitForHealth: false })));
        const timeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
        await Promise.all(members.map((m) => m.waitHealthy(timeoutMs)));
        return new EtcdCluster(root, members, options);
      } catch (err) {
        await Promise.all(members.map((m) => m.kill()));
        await rm(join(root, `attempt${attempt}`), { recursive: true, force: true });
        if (err instanceof PortInUseError && attempt < MAX_START_ATTEMPTS) continue;
        await rm(root, { recursive: true, force: true });
        releaseDir(root);
        throw err;
      }
    }
  }

  /** `127.0.0.1:<port>` of every member, in member order. */
  get endpoints(): string[] {
    return this.members.map((m) => m.endpoint);
  }

  /** Client URLs (`http(s)://127.0.0.1:<port>`) of every member. */
  get clientUrls(): string[] {
    return this.members.map((m) => m.clientUrl);
  }

  /**
   * Runs etcdctl (API v3) against every member, as root once auth is enabled. Resolves with stdout;
   * throws with stderr on a non-zero exit.
   */
  async etcdctl(
    args: readonly string[],
    options: { user?: string; endpoints?: string[] } = {},
  ): Promise<string> {
    const bin = this.options.etcdctlBin ?? process.env['ETCDCTL_BIN'] ?? 'etcdctl';
    const flags = [
      `--endpoints=${(options.endpoints ?? this.clientUrls).join(',')}`,
      '--command-timeout=10s',
    ];
    const tls = this.options.etcdctlTls;
    if (tls) {
      flags.push(`--cacert=${tls.caFile}`);
      if (tls.certFile && tls.keyFile) flags.push(`--cert=${tls.certFile}`, `--key=${tls.keyFile}`);
    }
    const user = options.user ?? (this.rootPassword === undefined ? undefined : `root:${this.rootPassword}`);
    if (user !== undefined) flags.push(`--user=${user}`);
    try {
      const { stdout } = await execFileAsync(bin, [...flags, ...args], {
        env: { ...process.env, ETCDCTL_API: '3' },
      });
      return stdout;
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`etcdctl ${args.join(' ')} failed: ${e.stderr ?? e.message}`, { cause: err });
    }
  }

  /**
   * Creates roles and users, a `root` user with `rootPassword`, and turns authentication on. Afterwards
   * {@link etcdctl} runs as root.
   */
  async enableAuth(spec: {
    rootPassword: string;
    roles?: readonly EtcdRoleSpec[];
    users?: readonly EtcdUserSpec[];
  }): Promise<void> {
    await this.etcdctl(['user', 'add', `root:${spec.rootPassword}`]);
    await this.etcdctl(['user', 'grant-role', 'root', 'root']).catch(() => undefined);
    for (const role of spec.roles ?? []) {
      await this.etcdctl(['role', 'add', role.name]);
      for (const p of role.permissions) {
        const prefix = p.prefix ? ['--prefix=true'] : [];
        await this.etcdctl(['role', 'grant-permission', role.name, ...prefix, p.type, p.key]);
      }
    }
    for (const user of spec.users ?? []) {
      await this.etcdctl(['user', 'add', `${user.name}:${user.password}`]);
      for (const r of user.roles) await this.etcdctl(['user', 'grant-role', user.name, r]);
    }
    await this.etcdctl(['auth', 'enable']);
    this.rootPassword = spec.rootPassword;
  }

  /**
   * Saves a snapshot of the data of member `memberIndex` (default 0) to `file` with etcdctl; resolves
   * with the revision it holds.
   */
  async snapshotSave(file: string, memberIndex = 0): Promise<bigint> {
    const member = this.members[memberIndex];
    if (!member) throw new Error(`no member ${memberIndex}`);
    await this.etcdctl(['snapshot', 'save', file], { endpoints: [member.clientUrl] });
    const status = await this.etcdctl(['endpoint', 'status', '-w', 'json'], {
      endpoints: [member.clientUrl],
    });
    // etcdctl prints the header revision of the member, which is the snapshot's when nothing was
    // written since; callers that write meanwhile know better.
    const match = /"revision":(\d+)/.exec(status);
    return match ? BigInt(match[1]!) : 0n;
  }

  /**
   * Restores every member from `snapshotFile`, as `etcdctl snapshot restore` (etcdutl on 3.5+) does in
   * a disaster recovery: kills all members, replaces their data dirs with the restored data (same
   * names, peer URLs and cluster token, so the same addresses serve the older content) and starts
   * them again; resolves once every member is healthy. The revision goes back to the snapshot's.
   */
  async restore(snapshotFile: string): Promise<void> {
    await Promise.all(this.members.map((m) => m.wipe()));
    for (const m of this.members) {
      await rm(m.dataDir, { recursive: true, force: true });
      const args = [
        'snapshot',
        'restore',
        snapshotFile,
        `--name=${m.name}`,
        `--data-dir=${m.dataDir}`,
        `--initial-cluster=${m.initialCluster}`,
        `--initial-cluster-token=${m.clusterToken}`,
        `--initial-advertise-peer-urls=${m.peerUrl}`,
      ];
      try {
        await execFileAsync(this.etcdutlBin(), args, { env: { ...process.env, ETCDCTL_API: '3' } });
      } catch (err) {
        const e = err as { stderr?: string; message: string };
        throw new Error(`snapshot restore failed: ${e.stderr ?? e.message}`, { cause: err });
      }
    }
    await this.startAll();
  }

  /**
   * Wipes every member's data and starts the cluster again, empty, at revision 1. With
   * `newClusterToken`, it bootstraps with another token: a different cluster ID behind the same
   * addresses. Resolves once every member is healthy.
   */
  async wipe(options: { newClusterToken?: boolean } = {}): Promise<void> {
    const token = options.newClusterToken ? `envtest-${process.pid}-${Date.now()}` : undefined;
    await Promise.all(this.members.map((m) => m.wipe(token === undefined ? {} : { clusterToken: token })));
    await this.startAll();
  }

  private async startAll(): Promise<void> {
    const timeoutMs = this.options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
    await Promise.all(this.members.map((m) => m.restart({ waitForHealth: false, timeoutMs })));
    await Promise.all(this.members.map((m) => m.waitHealthy(timeoutMs)));
  }

  /** etcdutl beside the etcdctl in use when there is one (etcd 3.5+), else etcdctl itself (3.4). */
  private etcdutlBin(): string {
    const etcdctl = this.options.etcdctlBin ?? process.env['ETCDCTL_BIN'] ?? 'etcdctl';
    if (!etcdctl.includes('/')) return etcdctl;
    const etcdutl = join(dirname(etcdctl), 'etcdutl');
    try {
      accessSync(etcdutl, constants.X_OK);
      return etcdutl;
    } catch {
      return etcdctl;
    }
  }

  /**
   * Kills every member (SIGKILL) and removes the data dirs. Idempotent; resolves once nothing of the
   * cluster runs or remains on disk.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.all(this.members.map((m) => m.kill('SIGKILL')));
      await rm(this.dir, { recursive: true, force: true });
      releaseDir(this.dir);
    })();
    return this.closing;
  }
}
