// `etcd-config-operator run`: the operator (DESIGN.md §5). Flags win over environment variables,
// which win over defaults.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { KubeConfig } from '@kubernetes/client-node';
import { formatDuration, parseDuration, validateLabelSelector, type WorkloadKind } from '../api/index.js';
import { LOG_LEVELS, createLogger, routeProcessWarnings, type LogLevel } from '../observability/index.js';
import { DEFAULT_LEASE_NAME, Manager, parseBindAddress } from '../operator/index.js';
import { RETRY_JITTER } from '../runtime/index.js';

/** Default operator namespace when neither --namespace nor POD_NAMESPACE is set. */
export const DEFAULT_OPERATOR_NAMESPACE = 'etcd-config-operator';
/** Shutdown must finish within this; past it the process exits anyway. */
export const SHUTDOWN_DEADLINE_MS = 10_000;
const ENV = 'ETCD_CONFIG_OPERATOR_';

export const RUN_USAGE = `Usage: etcd-config-operator run [flags]

Runs the operator: mirrors etcd prefixes (PrefixSync) into ConfigMaps and rolls the workloads that use
them when their content changes. Stops cleanly on SIGTERM or SIGINT (within 10 s).

Flags (environment variable in brackets; flags win):
  --kubeconfig FILE        kubeconfig to use [KUBECONFIG]; default: in-cluster config, else ~/.kube/config
  --namespace NS           operator namespace: Lease, and the Secrets ClusterEtcdSources refer to
                           [${ENV}NAMESPACE, then POD_NAMESPACE]; default: the pod's own namespace
                           in-cluster, else the kubeconfig context's namespace, else
                           "${DEFAULT_OPERATOR_NAMESPACE}"
  --leader-elect BOOL      campaign for a Lease and act only while leading; --leader-elect=false runs
                           alone [${ENV}LEADER_ELECT] (default true)
  --lease-name NAME        name of the Lease [${ENV}LEASE_NAME] (default "${DEFAULT_LEASE_NAME}")
  --lease-duration DUR     how long a standby waits, from when it saw the Lease last renewed, before
                           taking over; whole seconds [${ENV}LEASE_DURATION] (default 15s)
  --renew-deadline DUR     how long the leader keeps acting without a successful renewal; less than
                           --lease-duration [${ENV}RENEW_DEADLINE] (default 10s)
  --retry-period DUR       pause between renewals (and between a standby's reads while it cannot watch
                           the Lease); --renew-deadline must exceed 1.2 × this [${ENV}RETRY_PERIOD]
                           (default 2s)
  --metrics-addr ADDR      where /metrics listens, ":PORT" or "HOST:PORT"; "0" disables
                           [${ENV}METRICS_ADDR] (default ":8080")
  --metrics-secure BOOL    serve /metrics over HTTPS (TLS 1.2+), only to callers whose bearer token the
                           API server accepts (TokenReview) and allows "get" on /metrics
                           (SubjectAccessReview); --metrics-secure=false serves plain HTTP to anyone,
                           for local runs [${ENV}METRICS_SECURE] (default true)
  --metrics-cert-dir DIR   directory holding tls.crt and tls.key for /metrics (e.g. a mounted
                           kubernetes.io/tls Secret), read again when they change
                           [${ENV}METRICS_CERT_DIR] (default: a self-signed certificate made at start)
  --probe-addr ADDR        where /healthz and /readyz listen; "0" disables [${ENV}PROBE_ADDR] (default ":8081")
  --log-level LEVEL        ${LOG_LEVELS.join(', ')} [${ENV}LOG_LEVEL] (default info); JSON lines on stderr
  --shard-selector SEL     only handle PrefixSyncs whose labels match this selector, e.g. "shard=a"
                           (run one release per shard) [${ENV}SHARD_SELECTOR] (default: all)
  --watch-namespaces NS,NS only watch, read and write PrefixSyncs, ConfigMaps, workloads and Events in
                           these namespaces (a namespace-scoped install; RBAC Roles there suffice);
                           ClusterEtcdSources and Namespaces are still read cluster-wide
                           [${ENV}WATCH_NAMESPACES] (default: all namespaces)
  --workers N              PrefixSyncs reconciled in parallel [${ENV}WORKERS] (default 4)
  --resync-period DUR      re-check every PrefixSync this often even without changes, e.g. 10m
                           [${ENV}RESYNC_PERIOD] (default 10m)
  --source-probe-period DUR
                           probe each ClusterEtcdSource's etcd this often [${ENV}SOURCE_PROBE_PERIOD]
                           (default 10s)
  --max-concurrent-rollouts N
                           most rollouts in progress at once over every PrefixSync; others wait
                           (RolloutDelayed) for a free slot; 0 for no limit [${ENV}MAX_CONCURRENT_ROLLOUTS]
                           (default 0)
  --rollout-non-consumers BOOL
                           also restart a workload named in rollout.targets whose pod template does not
                           reference the ConfigMap; by default it is left alone and reported
                           (TargetNotConsumer) [${ENV}ROLLOUT_NON_CONSUMERS] (default false)
  --secret-targets BOOL    allow PrefixSyncs with target.kind Secret: the operator then creates, replaces
                           and deletes the Secrets they name, in their namespaces. Needs
                           get/list/create/update/delete on secrets; without it such a PrefixSync fails
                           with SecretTargetsDisabled [${ENV}SECRET_TARGETS] (default false)
  --rollout-cronjobs BOOL  also roll CronJobs (batch/v1): a change annotates the pod template of their
                           job template, so the next Job runs the new content; running Jobs are not
                           restarted. Needs get/list/watch/patch on cronjobs.batch
                           [${ENV}ROLLOUT_CRONJOBS] (default false)
  --rollout-argo-rollouts BOOL
                           also roll Argo Rollouts (argoproj.io/v1alpha1 Rollout), followed through their
                           own status. Needs get/list/watch/patch on rollouts.argoproj.io; without the
                           CRD, Rollout targets fail and the rest goes on [${ENV}ROLLOUT_ARGO_ROLLOUTS]
                           (default false)
  --identity NAME          leader-election identity [POD_NAME] (default: host name + random suffix)
  -h, --help               show this help

A metrics or probe port that is taken is logged as an error and that endpoint stays off; syncing goes on.
A --metrics-cert-dir without a readable certificate and matching key stops the start (exit 1).
Requires the CRDs in crds/ to be installed; without them it logs what is missing and keeps retrying.
`;

/** Parsed `run` flags. */
export interface RunArgs {
  kubeconfig?: string;
  /** Undefined: not given, decided once the kubeconfig is loaded (see {@link operatorNamespace}). */
  namespace?: string;
  leaderElect: boolean;
  leaseName: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  metricsAddr: string;
  /** HTTPS with TokenReview + SubjectAccessReview on /metrics. */
  metricsSecure: boolean;
  /** tls.crt + tls.key for /metrics; undefined: self-signed. Only with metricsSecure. */
  metricsCertDir?: string;
  probeAddr: string;
  logLevel: LogLevel;
  shardSelector?: string;
  /** `--watch-namespaces`; absent: every namespace. */
  watchNamespaces?: string[];
  workers: number;
  resyncPeriodMs: number;
  sourceProbePeriodMs: number;
  rolloutNonConsumers: boolean;
  /** `--secret-targets`: PrefixSyncs may write Secrets. */
  secretTargets: boolean;
  /** Roll CronJobs too (`--rollout-cronjobs`). */
  rolloutCronJobs: boolean;
  /** Roll Argo Rollouts too (`--rollout-argo-rollouts`). */
  rolloutArgoRollouts: boolean;
  maxConcurrentRollouts: number;
  identity?: string;
}

/** A bad flag or environment value; the message says which and why. */
export class RunUsageError extends Error {}

const FLAGS = {
  '--kubeconfig': 'KUBECONFIG',
  '--namespace': `${ENV}NAMESPACE`,
  '--leader-elect': `${ENV}LEADER_ELECT`,
  '--lease-name': `${ENV}LEASE_NAME`,
  '--lease-duration': `${ENV}LEASE_DURATION`,
  '--renew-deadline': `${ENV}RENEW_DEADLINE`,
  '--retry-period': `${ENV}RETRY_PERIOD`,
  '--metrics-addr': `${ENV}METRICS_ADDR`,
  '--metrics-secure': `${ENV}METRICS_SECURE`,
  '--metrics-cert-dir': `${ENV}METRICS_CERT_DIR`,
  '--probe-addr': `${ENV}PROBE_ADDR`,
  '--log-level': `${ENV}LOG_LEVEL`,
  '--shard-selector': `${ENV}SHARD_SELECTOR`,
  '--watch-namespaces': `${ENV}WATCH_NAMESPACES`,
  '--workers': `${ENV}WORKERS`,
  '--resync-period': `${ENV}RESYNC_PERIOD`,
  '--source-probe-period': `${ENV}SOURCE_PROBE_PERIOD`,
  '--rollout-non-consumers': `${ENV}ROLLOUT_NON_CONSUMERS`,
  '--max-concurrent-rollouts': `${ENV}MAX_CONCURRENT_ROLLOUTS`,
  '--secret-targets': `${ENV}SECRET_TARGETS`,
  '--rollout-cronjobs': `${ENV}ROLLOUT_CRONJOBS`,
  '--rollout-argo-rollouts': `${ENV}ROLLOUT_ARGO_ROLLOUTS`,
  '--identity': 'POD_NAME',
} as const;
type Flag = keyof typeof FLAGS;
/** Boolean flags that may stand alone (`--leader-elect` means `--leader-elect=true`). */
const BARE_BOOL_FLAGS: ReadonlySet<Flag> = new Set<Flag>(['--leader-elect', '--metrics-secure']);

/** Parses flags over environment over defaults. Pure apart from reading `env`; throws {@link RunUsageError}. */
export function parseRunArgs(argv: readonly string[], env: NodeJS.ProcessEnv): RunArgs | 'help' {
  const given = new Map<Flag, string>();
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i] ?? '';
    if (raw === '-h' || raw === '--help') return 'help';
    const eq = raw.indexOf('=');
    const name = eq > 0 ? raw.slice(0, eq) : raw;
    if (!(name in FLAGS)) throw new RunUsageError(`unknown flag '${raw}'`);
    const flag = name as Flag;
    let value: string | undefined;
    if (eq > 0) value = raw.slice(eq + 1);
    else if (BARE_BOOL_FLAGS.has(flag) && (argv[i + 1] === undefined || argv[i + 1]?.startsWith('--')))
      value = 'true';
    else value = argv[++i];
    if (value === undefined) throw new RunUsageError(`${flag} needs a value`);
    given.set(flag, value);
  }
  const get = (flag: Flag): string | undefined => {
    const fromFlag = given.get(flag);
    if (fromFlag !== undefined) return fromFlag;
    const fromEnv = env[FLAGS[flag]];
    return fromEnv === undefined || fromEnv === '' ? undefined : fromEnv;
  };
  const where = (flag: Flag): string => (given.has(flag) ? flag : `${FLAGS[flag]} (for ${flag})`);

  const namespace = get('--namespace') ?? nonEmpty(env['POD_NAMESPACE']);
  const leaderElect = parseBool(get('--leader-elect') ?? 'true', where('--leader-elect'));
  const logLevel = get('--log-level') ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new RunUsageError(`${where('--log-level')}: '${logLevel}' is not one of ${LOG_LEVELS.join(', ')}`);
  }
  const metricsAddr = get('--metrics-addr') ?? ':8080';
  const probeAddr = get('--probe-addr') ?? ':8081';
  for (const [flag, value] of [
    ['--metrics-addr', metricsAddr],
    ['--probe-addr', probeAddr],
  ] as const) {
    try {
      parseBindAddress(value);
    } catch (err) {
      throw new RunUsageError(`${where(flag)}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const metricsSecure = parseBool(get('--metrics-secure') ?? 'true', where('--metrics-secure'));
  const metricsCertDir = get('--metrics-cert-dir');
  if (metricsCertDir !== undefined) {
    if (metricsCertDir === '') throw new RunUsageError(`${where('--metrics-cert-dir')} needs a directory`);
    if (!metricsSecure) {
      throw new RunUsageError(
        `${where('--metrics-cert-dir')} needs --metrics-secure=true: plain HTTP serves no certificate`,
      );
    }
  }
  const shardSelector = get('--shard-selector');
  const shardSelectorProblem = shardSelector === undefined ? undefined : selectorProblem(shardSelector);
  if (shardSelectorProblem !== undefined) {
    throw new RunUsageError(
      `${where('--shard-selector')}: '${String(shardSelector)}' is not a label selector like "shard=a" or "shard in (a,b)": ${shardSelectorProblem}`,
    );
  }
  const watchNamespaces = parseNamespaceList(get('--watch-namespaces') ?? '', where('--watch-namespaces'));
  const workersText = get('--workers') ?? '4';
  const workers = Number(workersText);
  if (!/^\d+$/.test(workersText) || workers < 1 || workers > 256) {
    throw new RunUsageError(`${where('--workers')}: '${workersText}' is not an integer in 1..256`);
  }
  const rolloutsText = get('--max-concurrent-rollouts') ?? '0';
  const maxConcurrentRollouts = Number(rolloutsText);
  if (!/^\d+$/.test(rolloutsText) || maxConcurrentRollouts > 100_000) {
    throw new RunUsageError(
      `${where('--max-concurrent-rollouts')}: '${rolloutsText}' is not an integer in 0..100000`,
    );
  }
  const duration = (flag: Flag, fallback: string, minMs: number): number => {
    const text = get(flag) ?? fallback;
    const parsed = parseDuration(text);
    if (!parsed.ok) throw new RunUsageError(`${where(flag)}: ${parsed.message}`);
    if (parsed.ms < minMs) throw new RunUsageError(`${where(flag)}: must be at least ${minMs} ms`);
    return parsed.ms;
  };
  const leaseDurationMs = duration('--lease-duration', '15s', 1_000);
  if (leaseDurationMs % 1_000 !== 0) {
    throw new RunUsageError(`${where('--lease-duration')}: must be whole seconds (the Lease stores seconds)`);
  }
  const renewDeadlineMs = duration('--renew-deadline', '10s', 1);
  const retryPeriodMs = duration('--retry-period', '2s', 1);
  // Name each side as the user set it (flag, variable) or as a default, with its value.
  const told = (flag: Flag, ms: number): string =>
    `${given.has(flag) || get(flag) !== undefined ? where(flag) : `${flag} (default)`} = ${formatDuration(ms)}`;
  if (!(renewDeadlineMs < leaseDurationMs)) {
    throw new RunUsageError(
      `${told('--renew-deadline', renewDeadlineMs)} must be less than ${told('--lease-duration', leaseDurationMs)}: the leader has to stop acting before a standby may take over`,
    );
  }
  if (!(renewDeadlineMs > retryPeriodMs * (1 + RETRY_JITTER))) {
    throw new RunUsageError(
      `${told('--renew-deadline', renewDeadlineMs)} must exceed ${told('--retry-period', retryPeriodMs)} × ${1 + RETRY_JITTER}: the leader needs room to retry a failed renewal`,
    );
  }
  const args: RunArgs = {
    leaderElect,
    leaseName: get('--lease-name') ?? DEFAULT_LEASE_NAME,
    leaseDurationMs,
    renewDeadlineMs,
    retryPeriodMs,
    metricsAddr,
    metricsSecure,
    probeAddr,
    logLevel: logLevel as LogLevel,
    workers,
    resyncPeriodMs: duration('--resync-period', '10m', 1_000),
    sourceProbePeriodMs: duration('--source-probe-period', '10s', 100),
    maxConcurrentRollouts,
    rolloutNonConsumers: parseBool(
      get('--rollout-non-consumers') ?? 'false',
      where('--rollout-non-consumers'),
    ),
    secretTargets: parseBool(get('--secret-targets') ?? 'false', where('--secret-targets')),
    rolloutCronJobs: parseBool(get('--rollout-cronjobs') ?? 'false', where('--rollout-cronjobs')),
    rolloutArgoRollouts: parseBool(
      get('--rollout-argo-rollouts') ?? 'false',
      where('--rollout-argo-rollouts'),
    ),
  };
  if (namespace !== undefined) args.namespace = namespace;
  const kubeconfig = given.get('--kubeconfig');
  if (kubeconfig !== undefined) args.kubeconfig = kubeconfig;
  if (shardSelector !== undefined) args.shardSelector = shardSelector;
  if (watchNamespaces.length > 0) args.watchNamespaces = watchNamespaces;
  if (metricsCertDir !== undefined) args.metricsCertDir = metricsCertDir;
  const identity = get('--identity');
  if (identity !== undefined) args.identity = identity;
  return args;
}

/** A namespace name (DNS-1123 label), as the API server validates it. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * `--watch-namespaces`: comma-separated namespace names, spaces around them ignored; '' is every
 * namespace. A name that cannot be a namespace, an empty item or a repeat throws {@link RunUsageError}.
 */
export function parseNamespaceList(text: string, where: string): string[] {
  if (text.trim() === '') return [];
  const names = text.split(',').map((n) => n.trim());
  for (const name of names) {
    if (!DNS_LABEL.test(name)) {
      throw new RunUsageError(
        `${where}: '${name}' is not a namespace name (lower-case letters, digits and '-', at most 63, starting and ending with a letter or digit)`,
      );
    }
  }
  const repeated = names.find((n, i) => names.indexOf(n) !== i);
  if (repeated !== undefined) throw new RunUsageError(`${where}: '${repeated}' is listed twice`);
  return names;
}

/** The workload kinds the operator rolls: the `apps` kinds, and those the flags switch on. */
export function rolloutKinds(args: Pick<RunArgs, 'rolloutCronJobs' | 'rolloutArgoRollouts'>): WorkloadKind[] {
  return [
    'Deployment',
    'StatefulSet',
    'DaemonSet',
    ...(args.rolloutCronJobs ? (['CronJob'] as const) : []),
    ...(args.rolloutArgoRollouts ? (['Rollout'] as const) : []),
  ];
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function parseBool(text: string, where: string): boolean {
  if (/^(true|1|yes)$/i.test(text)) return true;
  if (/^(false|0|no)$/i.test(text)) return false;
  throw new RunUsageError(`${where}: '${text}' is not true or false`);
}

/**
 * Why a selector in kubectl's string form (`a=b,c!=d,e in (x,y),!f,g,h>1`) is not one the API server
 * would parse, or undefined when it is: each requirement is turned into a LabelSelector expression and
 * checked like one (keys and values); unbalanced parentheses, an empty `in ()` or a stray operator are
 * refused here rather than by 400s from every list and watch once the operator is running.
 */
export function selectorProblem(text: string): string | undefined {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (depth < 0 || depth > 1) return 'unbalanced parentheses';
    if (ch === ',' && depth === 0) {
      parts.push(current.trim());
      current = '';
    } else current += ch;
  }
  if (depth !== 0) return 'unbalanced parentheses';
  parts.push(current.trim());
  const matchExpressions: Array<{ key: string; operator: string; values?: string[] }> = [];
  for (const part of parts) {
    if (part === '') return 'empty requirement';
    const set = /^(\S+)\s+(in|notin)\s*\(([^()]*)\)$/.exec(part);
    const equality = /^([^\s!=<>(),]+)\s*(==|=|!=)\s*([^\s!=<>(),]*)$/.exec(part);
    const numeric = /^([^\s!=<>(),]+)\s*(>|<)\s*(-?\d+)$/.exec(part);
    const absent = /^!\s*([^\s!=<>(),]+)$/.exec(part);
    const present = /^([^\s!=<>(),]+)$/.exec(part);
    if (set) {
      const values = (set[3] ?? '').split(',').map((v) => v.trim());
      if (values.some((v) => v === '')) return `'${part}': values set can't be empty`;
      matchExpressions.push({ key: set[1] ?? '', operator: set[2] === 'in' ? 'In' : 'NotIn', values });
    } else if (equality) {
      const operator = equality[2] === '!=' ? 'NotIn' : 'In';
      matchExpressions.push({ key: equality[1] ?? '', operator, values: [equality[3] ?? ''] });
    } else if (numeric) matchExpressions.push({ key: numeric[1] ?? '', operator: 'Exists' });
    else if (absent) matchExpressions.push({ key: absent[1] ?? '', operator: 'DoesNotExist' });
    else if (present) matchExpressions.push({ key: present[1] ?? '', operator: 'Exists' });
    else return `unable to parse requirement '${part}'`;
  }
  const errors = validateLabelSelector({ matchExpressions }, 'selector');
  return errors.length === 0 ? undefined : errors.map((e) => e.message).join('; ');
}

/** Where a pod finds its own namespace. */
const SERVICE_ACCOUNT_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

/**
 * The operator namespace when no flag or variable names it: in a pod, its own namespace; run from a
 * kubeconfig, the current context's namespace (as kubectl would use); else the default.
 */
export function operatorNamespace(kc: KubeConfig, readFile: (path: string) => string | undefined): string {
  const own = readFile(SERVICE_ACCOUNT_NAMESPACE_FILE)?.trim();
  if (own) return own;
  const context = kc.getContextObject(kc.getCurrentContext());
  return context?.namespace || DEFAULT_OPERATOR_NAMESPACE;
}

function readOptional(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function loadKubeConfig(path: string | undefined): KubeConfig {
  const kc = new KubeConfig();
  if (path !== undefined) kc.loadFromFile(path);
  else kc.loadFromDefault();
  if (!kc.getCurrentCluster())
    throw new Error('no cluster in the kubeconfig (set --kubeconfig or KUBECONFIG)');
  return kc;
}

/** Runs the operator until SIGTERM/SIGINT; 0 on a clean stop, 2 on bad flags, 1 when it cannot start. */
export async function runMain(argv: string[]): Promise<number> {
  let args: RunArgs | 'help';
  try {
    args = parseRunArgs(argv, process.env);
  } catch (err) {
    if (!(err instanceof RunUsageError)) throw err;
    process.stderr.write(`etcd-config-operator run: ${err.message}\n\n${RUN_USAGE}`);
    return 2;
  }
  if (args === 'help') {
    process.stdout.write(RUN_USAGE);
    return 0;
  }
  const logger = createLogger({ level: args.logLevel });
  // stderr carries JSON lines only: Node's warnings (grpc-js's DEP0123 for an IP endpoint) included.
  routeProcessWarnings(logger);
  let kubeConfig: KubeConfig;
  try {
    kubeConfig = loadKubeConfig(args.kubeconfig);
  } catch (err) {
    logger.error('cannot load kubeconfig', { error: err instanceof Error ? err.message : String(err) });
    return 1;
  }
  const namespace = args.namespace ?? operatorNamespace(kubeConfig, readOptional);
  const manager = new Manager({
    kubeConfig,
    namespace,
    leaderElection: args.leaderElect,
    leaseName: args.leaseName,
    leaseDurationMs: args.leaseDurationMs,
    renewDeadlineMs: args.renewDeadlineMs,
    retryPeriodMs: args.retryPeriodMs,
    identity: args.identity ?? `${hostname()}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`,
    metricsAddr: args.metricsAddr,
    ...(args.metricsSecure
      ? { metricsSecurity: args.metricsCertDir !== undefined ? { certDir: args.metricsCertDir } : {} }
      : {}),
    probeAddr: args.probeAddr,
    workers: args.workers,
    resyncPeriodMs: args.resyncPeriodMs,
    sourceProbeIntervalMs: args.sourceProbePeriodMs,
    ...(args.rolloutNonConsumers ? { restartNonConsumers: true } : {}),
    ...(args.secretTargets ? { secretTargets: true } : {}),
    ...(args.maxConcurrentRollouts > 0 ? { maxConcurrentRollouts: args.maxConcurrentRollouts } : {}),
    rolloutKinds: rolloutKinds(args),
    logger,
    ...(args.shardSelector !== undefined ? { shardSelector: args.shardSelector } : {}),
    ...(args.watchNamespaces ? { watchNamespaces: args.watchNamespaces } : {}),
  });
  const stopRequested = new Promise<string>((resolve) => {
    const onSignal = (signal: string): void => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      // A second signal while stopping exits at once.
      process.once('SIGINT', () => process.exit(130));
      process.once('SIGTERM', () => process.exit(143));
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  try {
    await manager.start();
  } catch (err) {
    logger.error('cannot start', { error: err instanceof Error ? err.message : String(err) });
    await manager.close();
    return 1;
  }
  const signal = await stopRequested;
  logger.info('shutting down', { signal });
  const deadline = setTimeout(() => {
    logger.error('shutdown took too long, exiting', { deadlineMs: SHUTDOWN_DEADLINE_MS });
    process.exit(1);
  }, SHUTDOWN_DEADLINE_MS);
  deadline.unref();
  await manager.close();
  clearTimeout(deadline);
  // Whatever a library left open must not keep a stopped operator alive.
  setTimeout(() => process.exit(process.exitCode ?? 0), 2_000).unref();
  return 0;
}
