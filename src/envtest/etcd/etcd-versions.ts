// The etcd servers the client is tested on (TOOLCHAIN.md): Debian bookworm's 3.4.23 on PATH and
// trixie's 3.5.16, unpacked by scripts/ensure-tools.mjs into .tools/etcd-3.5 (bookworm has no 3.5).
import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** One etcd release's binaries. */
export interface EtcdBinaries {
  /** `3.5.16`, as `etcd --version` prints it. */
  version: string;
  etcdBin: string;
  etcdctlBin: string;
}

/** Where ensure-tools unpacks etcd 3.5 (same depth from src/ and dist/: the project root's .tools). */
const ETCD_35_DIR = fileURLToPath(new URL('../../../.tools/etcd-3.5/usr/bin/', import.meta.url));

let cached: EtcdBinaries[] | undefined;

function versionOf(etcdBin: string): string {
  const out = execFileSync(etcdBin, ['--version'], { encoding: 'utf8' });
  const match = /etcd Version: (\S+)/.exec(out);
  if (!match) throw new Error(`cannot read the version of ${etcdBin}: ${out}`);
  return match[1]!;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Every etcd release the tests run on, newest first: 3.5 (from .tools) and the one on PATH (or
 * `$ETCD_BIN`/`$ETCDCTL_BIN`). Throws, naming the install step, when 3.5 is missing — a suite that
 * silently ran on one version would hide the other's behaviour.
 */
export function etcdVersionsUnderTest(): EtcdBinaries[] {
  if (cached) return cached;
  const etcd35 = `${ETCD_35_DIR}etcd`;
  if (!isExecutable(etcd35)) {
    throw new Error(`etcd 3.5 is not installed in ${ETCD_35_DIR}: run node scripts/ensure-tools.mjs`);
  }
  const pathBin = process.env['ETCD_BIN'] || 'etcd';
  const found: EtcdBinaries[] = [
    { version: versionOf(etcd35), etcdBin: etcd35, etcdctlBin: `${ETCD_35_DIR}etcdctl` },
    { version: versionOf(pathBin), etcdBin: pathBin, etcdctlBin: process.env['ETCDCTL_BIN'] || 'etcdctl' },
  ];
  cached = found.filter((b, i) => found.findIndex((o) => o.version === b.version) === i);
  return cached;
}
