import { parseArgs } from 'node:util';
import {
  ETCD_CONNECTION_FLAGS,
  parseEtcdConnectionFlags,
  type EtcdConnectionFlags,
} from './watch-options.js';

/** Output formats of `render`. */
export const RENDER_OUTPUTS = ['yaml', 'json'] as const;
export type RenderOutput = (typeof RENDER_OUTPUTS)[number];

/** Where the PrefixSync comes from: a manifest file, or the cluster by name. */
export type PrefixSyncOrigin = { kind: 'file'; path: string } | { kind: 'cluster'; name: string };

/** The validated flags of `etcd-config-operator render`. Files are not read here: that is I/O. */
export interface RenderOptions {
  origin: PrefixSyncOrigin;
  /** `-n`; undefined: the manifest's namespace, else the kubeconfig context's, else `default`. */
  namespace?: string;
  output: RenderOutput;
  /** Print a unified diff against the live ConfigMap instead of the manifest (kubectl diff's exit codes). */
  isDiff: boolean;
  /** `--kubeconfig`; undefined: $KUBECONFIG or ~/.kube/config, as kubectl. */
  kubeconfig?: string;
  /** `--context`; undefined: the kubeconfig's current context. */
  context?: string;
  /** etcd connection; undefined endpoints: the ClusterEtcdSource's spec.endpoints read from the cluster. */
  connection: EtcdConnectionFlags;
  /** `--show-secret-values`: print a Secret target's values (masked by default, as kubectl diff does). */
  showSecretValues: boolean;
  /**
   * `--template-file KEY=PATH`: the keys of a `target.template.configMapRef` ConfigMap, read from files
   * instead of the cluster (template key → file path); empty: read the ConfigMap from the cluster.
   */
  templateFiles: Record<string, string>;
}

/** What the command line asked for. */
export type ParsedRenderArgs =
  { kind: 'run'; options: RenderOptions } | { kind: 'help' } | { kind: 'error'; message: string };

/** `render --help`. */
export const RENDER_USAGE = `Usage: etcd-config-operator render (-f FILE | NAME) [-n NAMESPACE] [flags]

Prints the ConfigMap a PrefixSync would write now, computed by the operator's own code from the
prefix's current content in etcd (or spec.pinRevision). With --diff, prints a unified diff of its data
keys against the live ConfigMap instead, and exits like 'kubectl diff': 0 no differences, 1
differences, 2 an error (an invalid spec, etcd unreachable, a key the target cannot hold…: the
message is the one the Ready condition would carry).

Flags:
  -f, --filename FILE         a PrefixSync manifest (YAML or JSON); NAME reads one from the cluster
  -n, --namespace NS          its namespace (default: the manifest's, else the kubeconfig context's)
  -o, --output yaml|json      the ConfigMap's format (default yaml)
      --diff                  diff against the live ConfigMap (exit 0 same, 1 different, 2 error)
      --show-secret-values    print a Secret target's values (default: masked as ***)
      --template-file KEY=PATH
                              template KEY of target.template.configMapRef from a file instead of
                              the cluster's ConfigMap (repeatable)
      --kubeconfig FILE       kubeconfig (default $KUBECONFIG or ~/.kube/config)
      --context NAME          kubeconfig context (default its current context)
      --endpoints host:port,… etcd members (default: the ClusterEtcdSource's spec.endpoints)
      --cacert FILE           CA bundle that verifies etcd (turns TLS on)
      --cert FILE, --key FILE client certificate and key (mTLS)
      --user name:password    authenticate to etcd as this user
      --dial-timeout DURATION give up if etcd does not answer in time (default 5s)
  -h, --help                  print this help
`;

/** Parses `render`'s arguments (after the subcommand name). Never throws and reads no files. */
export function parseRenderArgs(argv: readonly string[]): ParsedRenderArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        ...ETCD_CONNECTION_FLAGS,
        filename: { type: 'string', short: 'f' },
        namespace: { type: 'string', short: 'n' },
        output: { type: 'string', short: 'o' },
        diff: { type: 'boolean' },
        'show-secret-values': { type: 'boolean' },
        'template-file': { type: 'string', multiple: true },
        kubeconfig: { type: 'string' },
        context: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    // parseArgs names the flag in its first sentence; the rest is advice about '--'.
    return { kind: 'error', message: (err as Error).message.split('\n')[0]!.split(/\. (?=[A-Z])/)[0]! };
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: 'help' };

  let origin: PrefixSyncOrigin;
  if (values.filename !== undefined) {
    if (positionals.length > 0) return { kind: 'error', message: 'give either -f FILE or NAME, not both' };
    origin = { kind: 'file', path: values.filename };
  } else if (positionals.length === 1) {
    origin = { kind: 'cluster', name: positionals[0]! };
  } else {
    return {
      kind: 'error',
      message:
        positionals.length === 0
          ? 'missing the PrefixSync: -f FILE or NAME'
          : `expected one NAME, got ${positionals.length}: ${positionals.join(' ')}`,
    };
  }

  const output = values.output ?? 'yaml';
  if (!(RENDER_OUTPUTS as readonly string[]).includes(output)) {
    return { kind: 'error', message: `--output: '${output}' is not one of ${RENDER_OUTPUTS.join(', ')}` };
  }
  const connection = parseEtcdConnectionFlags(values);
  if (!connection.ok) return { kind: 'error', message: connection.message };
  const templateFiles = parseTemplateFiles(values['template-file'] ?? []);
  if (typeof templateFiles === 'string') return { kind: 'error', message: templateFiles };

  return {
    kind: 'run',
    options: {
      origin,
      namespace: values.namespace,
      output: output as RenderOutput,
      isDiff: values.diff ?? false,
      kubeconfig: values.kubeconfig,
      context: values.context,
      connection: connection.flags,
      showSecretValues: values['show-secret-values'] ?? false,
      templateFiles,
    },
  };
}

/** `--template-file KEY=PATH` values as key → path; a string is the error. */
function parseTemplateFiles(specs: readonly string[]): Record<string, string> | string {
  const files: Record<string, string> = {};
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    const key = spec.slice(0, eq);
    const path = spec.slice(eq + 1);
    if (eq <= 0 || path === '') return `--template-file: '${spec}' is not KEY=PATH`;
    if (key in files) return `--template-file: key '${key}' given twice`;
    files[key] = path;
  }
  return files;
}
