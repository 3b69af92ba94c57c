// `etcd-config-operator render`: the target a PrefixSync would write now, computed by the operator's
// own code (resolvePrefixSyncSpec → renderContent → desiredConfigMap, versionName, toSecret), for
// reviews and CI.
import { readFile } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import type { V1ConfigMap, V1Secret } from '@kubernetes/client-node';
import { parseAllDocuments, stringify } from 'yaml';
import {
  PrefixSyncReason,
  formatFieldErrors,
  resolvePrefixSyncSpec,
  type ClusterEtcdSource,
  type PrefixSync,
  type ResolvedPrefixSyncSpec,
} from '../api/index.js';
import {
  TemplatePool,
  desiredConfigMap,
  fromSecret,
  renderContent,
  targetKindOf,
  toSecret,
  versionName,
  type TemplateRendering,
} from '../controller/index.js';
import { EtcdClient, type EtcdClientOptions } from '../etcd/index.js';
import { ClusterReader, contextNamespace, loadKubeConfig } from './render-cluster.js';
import { diffConfigMapData } from './render-diff.js';
import { maskedDataPair, maskedSecret } from './render-secret.js';
import { parseRenderArgs, RENDER_USAGE, type RenderOptions } from './render-options.js';
import { readSources, RenderFailure } from './render-read.js';
import type { EtcdConnectionFlags } from './watch-options.js';

const COMMAND = 'etcd-config-operator render';

/** Exit statuses of `render`, those of `kubectl diff`. */
export const EXIT_SAME = 0;
/** `--diff` found differences. */
export const EXIT_DIFFERENT = 1;
/** Bad flags, an unreadable manifest, or a failure the Ready condition would report. */
export const EXIT_ERROR = 2;

/** Where `render` prints. */
export interface RenderIo {
  stdout: Writable;
  stderr: Writable;
}

/**
 * Runs `render` with its arguments (after the subcommand name); resolves to its exit status (see
 * {@link EXIT_SAME}). Never throws. `command` names it in messages (the kubectl plugin's `diff` passes
 * its own).
 */
export async function renderMain(
  argv: string[],
  io: RenderIo = { stdout: process.stdout, stderr: process.stderr },
  command = COMMAND,
): Promise<number> {
  const parsed = parseRenderArgs(argv);
  if (parsed.kind === 'help') {
    io.stdout.write(RENDER_USAGE);
    return EXIT_SAME;
  }
  if (parsed.kind === 'error') {
    io.stderr.write(`${command}: ${parsed.message} (see --help)\n`);
    return EXIT_ERROR;
  }
  const { options } = parsed;
  try {
    const rendered = await render(options);
    if (!options.isDiff) {
      const { object } = rendered;
      const shown = object.kind === 'Secret' && !options.showSecretValues ? maskedSecret(object) : object;
      io.stdout.write(format(shown, options.output));
      return EXIT_SAME;
    }
    const diff = diffOf(rendered, options.showSecretValues);
    io.stdout.write(diff);
    return diff === '' ? EXIT_SAME : EXIT_DIFFERENT;
  } catch (err) {
    const text =
      err instanceof RenderFailure
        ? `${err.reason}: ${err.message}`
        : err instanceof Error
          ? err.message
          : String(err);
    io.stderr.write(`${command}: ${text}\n`);
    return EXIT_ERROR;
  }
}

function format(object: V1ConfigMap | V1Secret, output: RenderOptions['output']): string {
  return output === 'json' ? `${JSON.stringify(object, null, 2)}\n` : stringify(object);
}

/**
 * The target as the operator would write it: `view` is its ConfigMap form (a Secret target's view, see
 * secret-view.ts), `object` what is written (the view itself, or its Secret). With --diff, the live
 * target's view (undefined when absent) and, for a Secret, the live Secret.
 */
interface Rendered {
  view: V1ConfigMap;
  object: V1ConfigMap | V1Secret;
  live?: V1ConfigMap;
  liveSecret?: V1Secret;
  /** `<namespace>/<name>` of the live target compared with (see {@link liveName}). */
  liveLabel: string;
  /** `<namespace>/<name>` of the rendered target. */
  label: string;
}

/** The unified diff of `--diff`; a Secret's values masked unless `showSecretValues`. */
function diffOf(rendered: Rendered, showSecretValues: boolean): string {
  const { object, liveSecret } = rendered;
  if (object.kind === 'Secret' && !showSecretValues) {
    const [before, after] = maskedDataPair(
      liveSecret ? (toSecret(fromSecret(liveSecret)).data ?? {}) : {},
      (object as V1Secret).data ?? {},
    );
    return diffConfigMapData(before, after, rendered.liveLabel, rendered.label);
  }
  return diffConfigMapData(rendered.live ?? {}, rendered.view, rendered.liveLabel, rendered.label);
}

async function render(options: RenderOptions): Promise<Rendered> {
  // The cluster is only asked what the flags leave open: `-f` with --endpoints needs no kubeconfig.
  let reader: ClusterReader | undefined;
  const cluster = (): ClusterReader =>
    (reader ??= new ClusterReader(loadKubeConfig(options.kubeconfig, options.context)));
  const psync = await loadPrefixSync(options, cluster);
  const spec = resolveSpec(psync);
  const snapshot = await withEtcd(
    await etcdOptions(options.connection, spec, cluster),
    options.connection,
    (client, signal) => readSources(client, spec, signal),
  );
  const namespace = psync.metadata.namespace ?? '';
  let content;
  // A template renders on a worker pool of render's own, closed here so that the process exits.
  const pool = spec.target.format === 'template' ? new TemplatePool({ workers: 1 }) : undefined;
  try {
    content = await renderContent(
      spec,
      snapshot,
      pool && templateRendering(pool, namespace, options, cluster),
    );
  } catch (err) {
    throw asRenderFailure(err);
  } finally {
    await pool?.close();
  }
  // Named and built as the reconciler writes it (reconciler.ts: publish, target-configmaps.ts: write).
  const base = spec.target.name;
  const versioned = spec.target.versioned;
  const name = versioned ? versionName(base, content.contentHash) : base;
  const view = desiredConfigMap(psync, name, content, snapshot.revision, versioned ? base : undefined);
  const isSecret = targetKindOf(psync) === 'Secret';
  const object = isSecret ? toSecret(view) : view;
  const label = `${namespace}/${name}`;
  if (!options.isDiff) return { view, object, label, liveLabel: label };
  const live = liveName(psync, name);
  const liveLabel = `${namespace}/${live}`;
  if (!isSecret) {
    return { view, object, label, liveLabel, live: await cluster().configMap(namespace, live) };
  }
  const liveSecret = await cluster().secret(namespace, live);
  return {
    view,
    object,
    label,
    liveLabel,
    ...(liveSecret ? { liveSecret, live: fromSecret(liveSecret) } : {}),
  };
}

/**
 * The live target `--diff` compares with: for a versioned target, the version the workloads run (that
 * of status.contentHash, as the reconciler's guards see it) when the PrefixSync has synced, else the
 * rendered version's name; otherwise the target itself.
 */
function liveName(psync: PrefixSync, rendered: string): string {
  const target = psync.spec?.target;
  const hash = psync.status?.contentHash;
  return target?.versioned === true && hash !== undefined && hash !== ''
    ? versionName(target.name, hash)
    : rendered;
}

/**
 * Where `format: template` renders, and where a `target.template.configMapRef` comes from: the
 * `--template-file` files when given, else the ConfigMap in the PrefixSync's namespace of the cluster.
 */
function templateRendering(
  pool: TemplatePool,
  namespace: string,
  options: RenderOptions,
  cluster: () => ClusterReader,
): TemplateRendering {
  const files = Object.entries(options.templateFiles);
  return {
    pool,
    configMapData: async (name) => {
      if (files.length > 0) {
        const data: Record<string, string> = {};
        for (const [key, path] of files) data[key] = await readText('--template-file', path);
        return data;
      }
      try {
        const cm = await cluster().configMap(namespace, name);
        return cm && (cm.data ?? {});
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        throw new Error(
          `target.template.configMapRef ${name}: cannot read ConfigMap ${namespace}/${name} from the cluster (${why}): give a kubeconfig that can read it, or its keys as --template-file KEY=PATH (repeatable)`,
          { cause: err },
        );
      }
    },
  };
}

/** renderContent's failures carry the condition reason; anything else is a plain error. */
function asRenderFailure(err: unknown): unknown {
  if (err instanceof Error && 'reason' in err && typeof err.reason === 'string') {
    return new RenderFailure(err.reason, err.message, { cause: err });
  }
  return err;
}

/** The PrefixSync from its manifest or the cluster, with its namespace settled. */
async function loadPrefixSync(options: RenderOptions, cluster: () => ClusterReader): Promise<PrefixSync> {
  if (options.origin.kind === 'cluster') {
    const reader = cluster();
    const namespace = options.namespace ?? contextNamespace(reader.kubeConfig);
    const found = await reader.prefixSync(namespace, options.origin.name);
    if (!found) throw new Error(`PrefixSync ${namespace}/${options.origin.name} not found`);
    return found;
  }
  const psync = await readManifest(options.origin.path);
  const namespace =
    options.namespace ??
    psync.metadata.namespace ??
    (options.isDiff || options.connection.endpoints === undefined
      ? contextNamespace(cluster().kubeConfig)
      : 'default');
  return { ...psync, metadata: { ...psync.metadata, namespace } };
}

/** The one PrefixSync of a YAML or JSON manifest (`-` reads stdin). */
async function readManifest(path: string): Promise<PrefixSync> {
  let text;
  try {
    text = path === '-' ? await readStdin() : await readFile(path, 'utf8');
  } catch (err) {
    throw new Error(`-f: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, {
      cause: err,
    });
  }
  const docs = parseAllDocuments(text)
    .map((d) => d.toJS() as unknown)
    .filter((d) => d !== null && d !== undefined);
  const psyncs = docs.filter(
    (d): d is PrefixSync => typeof d === 'object' && (d as { kind?: unknown }).kind === 'PrefixSync',
  );
  if (psyncs.length !== 1) {
    throw new Error(`-f ${path}: expected one PrefixSync, found ${psyncs.length}`);
  }
  const psync = psyncs[0]!;
  if (typeof psync.metadata?.name !== 'string')
    throw new Error(`-f ${path}: the PrefixSync has no metadata.name`);
  return psync;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function resolveSpec(psync: PrefixSync): ResolvedPrefixSyncSpec {
  const resolved = resolvePrefixSyncSpec(psync.spec);
  if (!resolved.ok) {
    throw new RenderFailure(
      PrefixSyncReason.InvalidSpec,
      `invalid spec: ${formatFieldErrors(resolved.errors)}`,
    );
  }
  return resolved.spec;
}

/**
 * How to reach a PrefixSync's etcd: the flags, else the ClusterEtcdSource's spec.endpoints (TLS from the
 * flags: its Secrets live in the operator's namespace, which a user may not read).
 */
export async function etcdOptions(
  connection: EtcdConnectionFlags,
  spec: Pick<ResolvedPrefixSyncSpec, 'sourceRef'>,
  cluster: () => ClusterReader,
): Promise<EtcdClientOptions> {
  let endpoints = connection.endpoints;
  let source: ClusterEtcdSource | undefined;
  if (endpoints === undefined) {
    source = await cluster().source(spec.sourceRef.name);
    if (!source) {
      throw new RenderFailure(
        PrefixSyncReason.SourceNotFound,
        `ClusterEtcdSource ${spec.sourceRef.name} not found: create it, or set spec.sourceRef.name to one that exists (kubectl get clusteretcdsources)`,
      );
    }
    endpoints = source.spec.endpoints;
  }
  const tlsFiles = connection.tls;
  const tls = tlsFiles
    ? {
        ca: await readPem('--cacert', tlsFiles.caFile),
        cert: await readPem('--cert', tlsFiles.certFile),
        key: await readPem('--key', tlsFiles.keyFile),
        ...(source?.spec.tls?.serverName !== undefined ? { serverName: source.spec.tls.serverName } : {}),
      }
    : source?.spec.tls !== undefined || endpoints.some((e) => e.startsWith('https://'))
      ? // TLS without files: verified against the system's trusted CAs.
        {}
      : undefined;
  return {
    endpoints,
    ...(tls ? { tls } : {}),
    ...(connection.auth ? { auth: connection.auth } : {}),
    connectTimeoutMs: connection.dialTimeoutMs,
    requestTimeoutMs: connection.dialTimeoutMs,
  };
}

async function readText(flag: string, file: string): Promise<string> {
  return (await readPem(flag, file))?.toString('utf8') ?? '';
}

async function readPem(flag: string, file: string | undefined): Promise<Buffer | undefined> {
  if (file === undefined) return undefined;
  try {
    return await readFile(file);
  } catch (err) {
    throw new Error(`${flag}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, {
      cause: err,
    });
  }
}

/**
 * Runs `use` with a client of `clientOptions`, closed afterwards; the signal fires when etcd has not
 * answered within the dial timeout (the client itself retries an unreachable member for ever).
 */
export async function withEtcd<T>(
  clientOptions: EtcdClientOptions,
  connection: EtcdConnectionFlags,
  use: (client: EtcdClient, signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const client = new EtcdClient(clientOptions);
  const deadline = new AbortController();
  const timer = setTimeout(
    () =>
      deadline.abort(
        new Error(
          `no answer from ${clientOptions.endpoints.join(',')} within ${connection.dialTimeoutMs} ms (--dial-timeout)`,
        ),
      ),
    connection.dialTimeoutMs,
  );
  try {
    return await use(client, deadline.signal);
  } finally {
    clearTimeout(timer);
    await client.close();
  }
}
