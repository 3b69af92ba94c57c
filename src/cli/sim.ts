// `etcd-config-operator sim`: the Kubernetes API simulator as a standalone server, for kubectl,
// demos and acceptance checks.
import {
  DEFAULT_ROLLOUT_STEP_MS,
  DEFAULT_SIMULATED_NODES,
  FAIL_ROLLOUTS_ANNOTATION,
  FAIL_WHEN_ANNOTATION,
  KubeSim,
} from '../envtest/index.js';
import { readSimAccessFile, type SimAccess } from '../envtest/index.js';

export const SIM_USAGE = `Usage: etcd-config-operator sim [flags]

Runs the Kubernetes API simulator (an in-memory API server that kubectl and client-node accept)
until SIGINT or SIGTERM.

Flags:
  --port N               TCP port to listen on (default 0: a free port)
  --host ADDR            address to listen on (default 127.0.0.1)
  --kubeconfig-out FILE  write a kubeconfig for the simulator to FILE once it listens
  --namespace NS         the kubeconfig context's namespace (default "default")
  --history-limit N      watch history length; older resourceVersions get 410 Gone (default 10000)
  --access-file FILE     who TokenReviews authenticate and what SubjectAccessReviews allow, YAML or
                         JSON: {tokens: {TOKEN: {username, uid, groups}}, rules: [{users | groups,
                         verbs, nonResourceURLs | apiGroups + resources}]} (default: the kubeconfig's
                         token is an administrator, any other token is not authenticated)
  --rollout-step-ms N    time between two steps of a workload rollout (default ${DEFAULT_ROLLOUT_STEP_MS}):
                         a step after a new pod template its new pods exist, a step later they are ready
  --nodes N              simulated nodes, the pods a DaemonSet runs (default ${DEFAULT_SIMULATED_NODES})
  -h, --help             show this help

Workloads: Deployments, StatefulSets and DaemonSets roll out as kube-controller-manager rolls them
(status, conditions, revisions), so \`kubectl rollout status\` finishes or fails as on a cluster.
To rehearse a failing release, annotate the workload itself (metadata.annotations):
  ${FAIL_ROLLOUTS_ANNOTATION}: "true"
      every rollout that starts while it is set fails: its new pods never become ready (a Deployment
      reports ProgressDeadlineExceeded after spec.progressDeadlineSeconds)
  ${FAIL_WHEN_ANNOTATION}: "<key>=<value>[,<key>=<value>...]"
      a rollout fails when a ConfigMap the pod template uses (volumes, projected volumes, envFrom,
      env valueFrom) holds that value under that key when the rollout starts
`;

interface SimArgs {
  port: number;
  host: string;
  kubeconfigOut?: string;
  namespace: string;
  historyLimit?: number;
  accessFile?: string;
  rolloutStepMs?: number;
  nodes?: number;
}

class UsageError extends Error {}

function parseSimArgs(argv: string[]): SimArgs | 'help' {
  const args: SimArgs = { port: 0, host: '127.0.0.1', namespace: 'default' };
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i] ?? '';
    if (raw === '-h' || raw === '--help') return 'help';
    const eq = raw.indexOf('=');
    const flag = eq > 0 ? raw.slice(0, eq) : raw;
    const value = (): string => {
      const v = eq > 0 ? raw.slice(eq + 1) : argv[++i];
      if (v === undefined || v === '') throw new UsageError(`${flag} needs a value`);
      return v;
    };
    const integer = (min: number, max: number): number => {
      const v = value();
      const n = Number(v);
      if (!/^\d+$/.test(v) || n < min || n > max)
        throw new UsageError(`${flag}: '${v}' is not an integer in ${min}..${max}`);
      return n;
    };
    switch (flag) {
      case '--port':
        args.port = integer(0, 65535);
        break;
      case '--host':
        args.host = value();
        break;
      case '--kubeconfig-out':
        args.kubeconfigOut = value();
        break;
      case '--namespace':
        args.namespace = value();
        break;
      case '--history-limit':
        args.historyLimit = integer(1, 10_000_000);
        break;
      case '--access-file':
        args.accessFile = value();
        break;
      case '--rollout-step-ms':
        args.rolloutStepMs = integer(0, 3_600_000);
        break;
      case '--nodes':
        args.nodes = integer(0, 10_000);
        break;
      default:
        throw new UsageError(`unknown flag '${raw}'`);
    }
  }
  return args;
}

/** Runs the simulator until SIGINT/SIGTERM; 0 on a clean stop, 2 on bad flags, 1 when it cannot listen. */
export async function simMain(argv: string[]): Promise<number> {
  let args: SimArgs | 'help';
  try {
    args = parseSimArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`etcd-config-operator sim: ${e.message}\n\n${SIM_USAGE}`);
    return 2;
  }
  if (args === 'help') {
    process.stdout.write(SIM_USAGE);
    return 0;
  }
  let access: SimAccess | undefined;
  if (args.accessFile !== undefined) {
    try {
      access = await readSimAccessFile(args.accessFile);
    } catch (e) {
      process.stderr.write(
        `etcd-config-operator sim: --access-file ${e instanceof Error ? e.message : String(e)}\n`,
      );
      return 2;
    }
  }
  let sim: KubeSim;
  try {
    sim = await KubeSim.start({
      ...(access ? { access } : {}),
      port: args.port,
      host: args.host,
      ...(args.historyLimit !== undefined ? { historyLimit: args.historyLimit } : {}),
      workloads: {
        ...(args.rolloutStepMs !== undefined ? { stepDelayMs: args.rolloutStepMs } : {}),
        ...(args.nodes !== undefined ? { nodes: args.nodes } : {}),
      },
    });
  } catch (e) {
    process.stderr.write(
      `etcd-config-operator sim: cannot listen on ${args.host}:${args.port}: ${e instanceof Error ? e.message : String(e)}\n`,
    );
    return 1;
  }
  const stopped = new Promise<void>((resolve) => {
    const onSignal = (): void => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  if (args.kubeconfigOut !== undefined) {
    // Written after listening, so a reader that sees the file can connect at once.
    await sim.writeKubeconfig(args.kubeconfigOut, args.namespace);
  }
  process.stdout.write(
    `kube-sim listening on ${sim.url}${args.kubeconfigOut !== undefined ? `; kubeconfig written to ${args.kubeconfigOut}` : ''}\n`,
  );
  await stopped;
  await sim.close();
  process.stdout.write('kube-sim stopped\n');
  return 0;
}
