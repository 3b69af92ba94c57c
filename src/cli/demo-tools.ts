// Where the demo finds etcd, etcdctl and kubectl, and how it tells a new user to install etcd.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The one command that installs etcd and etcdctl on Debian/Ubuntu (what this project runs on). */
export const INSTALL_ETCD_COMMAND = 'sudo apt-get install -y etcd-server etcd-client';

/** The pinned kubectl that `npm run pretest` unpacks into the checkout. */
const PROJECT_KUBECTL = fileURLToPath(new URL('../../.tools/bin/kubectl', import.meta.url));

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The absolute path of `name` on `pathVar` (a $PATH value), or undefined. */
export function findOnPath(name: string, pathVar: string | undefined): string | undefined {
  for (const dir of (pathVar ?? '').split(delimiter)) {
    if (dir && isExecutable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/** What the demo needs from the environment, found once at start. */
export interface DemoTools {
  /** The etcd binary, or undefined when it is not installed. */
  etcd: string | undefined;
  /** How to call etcdctl in the printed commands. */
  etcdctl: string;
  /** How to call kubectl in the printed commands (the project's pinned one when present). */
  kubectl: string;
}

/** Looks up etcd (`$ETCD_BIN` first), etcdctl and kubectl. */
export function findDemoTools(env: NodeJS.ProcessEnv): DemoTools {
  const etcdBin = env['ETCD_BIN'];
  return {
    etcd: etcdBin && isExecutable(etcdBin) ? etcdBin : findOnPath('etcd', env['PATH']),
    etcdctl: env['ETCDCTL_BIN'] ?? 'etcdctl',
    kubectl: isExecutable(PROJECT_KUBECTL) ? PROJECT_KUBECTL : 'kubectl',
  };
}

/** The message for a machine without etcd: what is missing and the one command that fixes it. */
export function etcdMissingMessage(): string {
  return [
    'The demo runs a real etcd on this machine, but etcd is not installed (no `etcd` on your PATH).',
    '',
    'Install it with:',
    '',
    `  ${INSTALL_ETCD_COMMAND}`,
    '',
    'then run `npm run demo` again. (Elsewhere: any etcd 3.4+ release binary on your PATH will do.)',
    '',
  ].join('\n');
}
