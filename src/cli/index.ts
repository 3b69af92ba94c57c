import { readFileSync } from 'node:fs';

/**
 * A subcommand's entry point: gets its own arguments (after the subcommand name) and resolves to the
 * process exit code. It owns its signals (SIGINT/SIGTERM) while it runs.
 */
export type SubcommandMain = (argv: string[]) => Promise<number>;

interface Subcommand {
  summary: string;
  /** Loaded lazily so that `watch` does not pay for the Kubernetes client, and the reverse. */
  load: () => Promise<SubcommandMain>;
}

/** The product's subcommands, in the order `--help` lists them. Each lives in its own file in this folder. */
const SUBCOMMANDS: Record<string, Subcommand> = {
  watch: {
    summary: 'stream the changes under an etcd prefix, like etcdctl watch',
    load: async () => (await import('./watch.js')).watchMain,
  },
  run: { summary: 'run the operator', load: async () => (await import('./run.js')).runMain },
  render: {
    summary: 'print the ConfigMap a PrefixSync would write now, or --diff it against the live one',
    load: async () => (await import('./render.js')).renderMain,
  },
};

/**
 * The kubectl plugin's entry (bin/kubectl-etcdconfig.js imports src/cli/plugin/main.ts itself); named
 * here so that the production build, the import closure of src/main.ts, carries dist/cli/plugin/.
 */
export const loadKubectlPlugin = async (): Promise<(argv: string[]) => Promise<number>> =>
  (await import('./plugin/main.js')).kubectlPluginMain;

/**
 * The test bed's subcommands: they run src/envtest (a local etcd, the Kubernetes API simulator), which
 * is neither built into dist/ nor shipped in the npm package or the image. `dev-commands.ts` maps each
 * name to its main.
 */
export const DEV_SUBCOMMANDS = {
  sim: 'run the Kubernetes API simulator',
  demo: 'run etcd, the simulator and the operator locally, and show what it does',
} as const;

/** The name of a test-bed subcommand. */
export type DevSubcommandName = keyof typeof DEV_SUBCOMMANDS;

/** What `dev-commands.ts` exports; checked there with `satisfies`. */
export interface DevCommandsModule {
  readonly DEV_COMMANDS: Record<DevSubcommandName, SubcommandMain>;
}

/**
 * True when this module runs from the TypeScript sources (a checkout, through tsx: what
 * bin/etcd-config-operator.js does when src/ and tsx are there) rather than from dist/.
 */
const RUNS_FROM_SOURCES = import.meta.url.endsWith('.ts');

/**
 * The test bed's entry, as a URL computed at run time so that the production build (the import closure
 * of src/main.ts) never follows it into src/envtest.
 */
const DEV_COMMANDS_URL = new URL('./dev-commands.ts', import.meta.url);

const PROGRAM = 'etcd-config-operator';

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

function usage(): string {
  const names = [...Object.keys(SUBCOMMANDS), ...Object.keys(DEV_SUBCOMMANDS)];
  const width = Math.max(...names.map((n) => n.length), 4);
  const line = ([name, summary]: [string, string]): string => `  ${name.padEnd(width)}  ${summary}`;
  return [
    `${PROGRAM} keeps Kubernetes ConfigMaps in step with etcd prefixes.`,
    '',
    `Usage: ${PROGRAM} <command> [flags]`,
    '',
    'Commands:',
    ...Object.entries(SUBCOMMANDS).map(([name, c]) => line([name, c.summary])),
    '',
    'Test-bed commands (from a checkout of the sources only; not in the npm package or the image):',
    ...Object.entries(DEV_SUBCOMMANDS).map(line),
    '',
    `Run '${PROGRAM} <command> --help' for a command's flags.`,
  ].join('\n');
}

/** Why a test-bed command cannot run here, and how to run it. */
function devCommandMissing(name: DevSubcommandName): string {
  return [
    `${PROGRAM} ${name}: sim and demo are the test bed's commands; they run from a checkout of the`,
    'sources with its dev dependencies installed (they load src/ through tsx). The npm package and the',
    'container image hold the operator only (run, watch). From scratch:',
    '',
    '  git clone <the etcd-config-operator repository> && cd etcd-config-operator',
    '  npm run demo     # installs the dev dependencies and etcd, then runs the demo',
    '  npm install && ./bin/etcd-config-operator.js sim --port 6443 --kubeconfig-out /tmp/sim.kubeconfig',
    '',
  ].join('\n');
}

function isDevSubcommand(name: string): name is DevSubcommandName {
  return Object.hasOwn(DEV_SUBCOMMANDS, name);
}

async function loadDevCommand(name: DevSubcommandName): Promise<SubcommandMain | undefined> {
  if (!RUNS_FROM_SOURCES) return undefined;
  const module = (await import(DEV_COMMANDS_URL.href)) as DevCommandsModule;
  return module.DEV_COMMANDS[name];
}

/** Dispatches `argv` (without node and the script) to a subcommand; resolves to the exit code. */
export async function runCli(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage() + '\n');
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === 'version') {
    process.stdout.write(`${PROGRAM} ${packageVersion()}\n`);
    return 0;
  }
  if (isDevSubcommand(name)) {
    const main = await loadDevCommand(name);
    if (!main) {
      process.stderr.write(devCommandMissing(name));
      return 1;
    }
    return main(rest);
  }
  const command = SUBCOMMANDS[name];
  if (!command) {
    process.stderr.write(`${PROGRAM}: unknown command '${name}'\n\n${usage()}\n`);
    return 2;
  }
  const main = await command.load();
  return main(rest);
}
