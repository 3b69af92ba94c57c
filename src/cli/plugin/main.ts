// `kubectl etcdconfig …` (bin/kubectl-etcdconfig.js): the daily questions about PrefixSyncs — what is
// out of sync, force a sync, suspend, what would change, what changed in etcd — through the user's
// kubeconfig, as kubectl runs any plugin found on PATH.
import type { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import type { KubernetesObject } from '@kubernetes/client-node';
import { resolvePrefixSyncSpec, type ClusterEtcdSource, type PrefixSync } from '../../api/index.js';
import { clusterEtcdSourceResource, prefixSyncResource } from '../../controller/index.js';
import { toKubeError } from '../../kube/index.js';
import { ClusterReader, contextNamespace, loadKubeConfig } from '../render-cluster.js';
import { etcdOptions, renderMain, withEtcd } from '../render.js';
import { ETCD_CONNECTION_FLAGS, parseEtcdConnectionFlags } from '../watch-options.js';
import { formatHistory, prefixHistory } from './history.js';
import { formatStatus, statusRows } from './status.js';
import { forceSyncPatch, patchPrefixSync, suspendPatch } from './writes.js';

const PLUGIN = 'kubectl etcdconfig';

/** Default and most revisions `history` lists. */
export const DEFAULT_HISTORY_LIMIT = 10;
export const MAX_HISTORY_LIMIT = 100;

/** Exit statuses: 0 done, 1 the request failed, 2 bad arguments (`diff` uses kubectl diff's). */
const EXIT_OK = 0;
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;

/** `kubectl etcdconfig --help`. */
export const PLUGIN_USAGE = `kubectl etcdconfig: PrefixSyncs of etcd-config-operator, from kubectl.

Usage: kubectl etcdconfig <command> [flags]

Commands:
  status [-A]          every PrefixSync: Ready, its reason, lag behind the source, last change
  sync NAME            force a fresh etcd read and sync (sets the force-sync annotation)
  suspend NAME         stop syncing (spec.suspend: true); the ConfigMap keeps its content
  resume NAME          sync again (spec.suspend: false)
  diff NAME            what a sync would change in the ConfigMap: a unified diff; exit 0 none, 1 some,
                       2 an error (etcd-config-operator render --diff; same etcd flags)
  history NAME         the recent revisions that changed the prefix in etcd and the keys of each

Flags:
  -n, --namespace NS          the namespace (default: the kubeconfig context's)
  -A, --all-namespaces        status: every namespace
      --limit N               history: how many revisions (default ${DEFAULT_HISTORY_LIMIT}, at most ${MAX_HISTORY_LIMIT})
      --kubeconfig FILE       kubeconfig (default $KUBECONFIG or ~/.kube/config)
      --context NAME          kubeconfig context (default its current context)
      --endpoints host:port,… diff, history: etcd members (default: the ClusterEtcdSource's)
      --cacert, --cert, --key, --user, --dial-timeout: as 'etcd-config-operator watch'
  -h, --help                  print this help

Writes are sent with field manager kubectl-etcdconfig.
`;

/** Where the plugin prints. */
export interface PluginIo {
  stdout: Writable;
  stderr: Writable;
}

/** A usage problem (exit 2). */
class UsageError extends Error {}

/**
 * Runs the plugin with its arguments (after `kubectl etcdconfig`); resolves to the exit status. Never
 * throws.
 */
export async function kubectlPluginMain(
  argv: string[],
  io: PluginIo = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    io.stdout.write(PLUGIN_USAGE);
    return command === undefined ? EXIT_USAGE : EXIT_OK;
  }
  // diff is render --diff: same flags, same exit codes.
  if (command === 'diff') return renderMain([...rest, '--diff'], io, `${PLUGIN} diff`);
  try {
    return await run(command, rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`${PLUGIN}: ${err.message} (see --help)\n`);
      return EXIT_USAGE;
    }
    io.stderr.write(`${PLUGIN} ${command}: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT_FAILED;
  }
}

function parse(argv: readonly string[]) {
  try {
    return parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        ...ETCD_CONNECTION_FLAGS,
        namespace: { type: 'string', short: 'n' },
        'all-namespaces': { type: 'boolean', short: 'A' },
        limit: { type: 'string' },
        kubeconfig: { type: 'string' },
        context: { type: 'string' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message.split('\n')[0]!.split(/\. (?=[A-Z])/)[0]);
  }
}

async function run(command: string, argv: readonly string[], io: PluginIo): Promise<number> {
  const { values, positionals } = parse(argv);
  const nameOf = (): string => {
    if (positionals.length !== 1) throw new UsageError(`${command} takes one PrefixSync NAME`);
    return positionals[0]!;
  };
  const kc = (): ReturnType<typeof loadKubeConfig> => loadKubeConfig(values.kubeconfig, values.context);
  switch (command) {
    case 'status': {
      if (positionals.length > 0) throw new UsageError('status takes no NAME');
      const kubeConfig = kc();
      const all = values['all-namespaces'] ?? false;
      const namespace = all ? undefined : (values.namespace ?? contextNamespace(kubeConfig));
      const [psyncs, sources] = await Promise.all([
        listed<PrefixSync>(prefixSyncResource(kubeConfig).raw.list(namespace ? { namespace } : {})),
        listed<ClusterEtcdSource>(clusterEtcdSourceResource(kubeConfig).raw.list()),
      ]);
      if (psyncs.length === 0) {
        io.stderr.write(`No PrefixSyncs found${namespace ? ` in namespace ${namespace}` : ''}.\n`);
        return EXIT_OK;
      }
      const byName = new Map(sources.map((s) => [s.metadata.name ?? '', s]));
      io.stdout.write(formatStatus(statusRows(psyncs, byName, new Date()), all));
      return EXIT_OK;
    }
    case 'sync':
    case 'suspend':
    case 'resume': {
      const name = nameOf();
      const kubeConfig = kc();
      const namespace = values.namespace ?? contextNamespace(kubeConfig);
      const patch = command === 'sync' ? forceSyncPatch(new Date()) : suspendPatch(command === 'suspend');
      try {
        await patchPrefixSync(kubeConfig, namespace, name, patch);
      } catch (err) {
        throw toKubeError(err, `patch prefixsync ${namespace}/${name}`);
      }
      const done = { sync: 'sync requested', suspend: 'suspended', resume: 'resumed' }[command];
      io.stdout.write(`prefixsync.etcdconfig.dev/${name} ${done}\n`);
      return EXIT_OK;
    }
    case 'history': {
      const name = nameOf();
      const limit = historyLimit(values.limit);
      const connection = parseEtcdConnectionFlags(values);
      if (!connection.ok) throw new UsageError(connection.message);
      const reader = new ClusterReader(kc());
      const namespace = values.namespace ?? contextNamespace(reader.kubeConfig);
      const psync = await reader.prefixSync(namespace, name);
      if (!psync) throw new Error(`PrefixSync ${namespace}/${name} not found`);
      const resolved = resolvePrefixSyncSpec(psync.spec);
      if (!resolved.ok) throw new Error(`PrefixSync ${namespace}/${name} has an invalid spec`);
      const spec = resolved.spec;
      const history = await withEtcd(
        await etcdOptions(connection.flags, spec, () => reader),
        connection.flags,
        (client) => prefixHistory(client.kv, spec.prefix, limit),
      );
      io.stdout.write(formatHistory(spec.prefix, history));
      return EXIT_OK;
    }
    default:
      throw new UsageError(`unknown command '${command}'`);
  }
}

/** The list's items as the api layer's type (the JSON as the server sent it). */
async function listed<T>(list: Promise<{ items: KubernetesObject[] }>): Promise<T[]> {
  return (await list).items as unknown as T[];
}

function historyLimit(text: string | undefined): number {
  if (text === undefined) return DEFAULT_HISTORY_LIMIT;
  const n = /^[0-9]+$/.test(text) ? Number(text) : NaN;
  if (!(n >= 1 && n <= MAX_HISTORY_LIMIT)) {
    throw new UsageError(`--limit: '${text}' is not a number from 1 to ${MAX_HISTORY_LIMIT}`);
  }
  return n;
}
