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

/** Every subcommand, in the order `--help` lists them. Each lives in its own file in this folder. */
const SUBCOMMANDS: Record<string, Subcommand> = {
  watch: {
    summary: 'stream the changes under an etcd prefix, like etcdctl watch',
    load: async () => (await import('./watch.js')).watchMain,
  },
  sim: { summary: 'run the Kubernetes API simulator', load: async () => (await import('./sim.js')).simMain },
  demo: {
    summary: 'run etcd, the simulator and the operator locally, and show what it does',
    load: async () => (await import('./demo.js')).demoMain,
  },
  run: { summary: 'run the operator', load: async () => (await import('./run.js')).runMain },
};

const PROGRAM = 'etcd-config-operator';

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

function usage(): string {
  const width = Math.max(...Object.keys(SUBCOMMANDS).map((n) => n.length), 4);
  const lines = Object.entries(SUBCOMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return [
    `${PROGRAM} keeps Kubernetes ConfigMaps in step with etcd prefixes.`,
    '',
    `Usage: ${PROGRAM} <command> [flags]`,
    '',
    'Commands:',
    ...lines,
    '',
    `Run '${PROGRAM} <command> --help' for a command's flags.`,
  ].join('\n');
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
  const command = SUBCOMMANDS[name];
  if (!command) {
    process.stderr.write(`${PROGRAM}: unknown command '${name}'\n\n${usage()}\n`);
    return 2;
  }
  const main = await command.load();
  return main(rest);
}
