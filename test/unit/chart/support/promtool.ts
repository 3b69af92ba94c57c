// promtool (Debian's prometheus package; scripts/ensure-tools.mjs installs it), run for the chart's tests.
import { execFile } from 'node:child_process';

/** What promtool printed, and how it ended (-1: it could not be run). */
export interface PromtoolRun {
  readonly code: number;
  readonly output: string;
}

/** Runs `promtool ...args` in `cwd`; never rejects (the result says how it ended). */
export function promtool(args: readonly string[], cwd: string): Promise<PromtoolRun> {
  return new Promise((resolve) => {
    execFile('promtool', [...args], { cwd, timeout: 60_000 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') {
        resolve({
          code: -1,
          output: `cannot run promtool (scripts/ensure-tools.mjs installs it): ${err.message}`,
        });
        return;
      }
      resolve({ code: err ? Number(err.code) : 0, output: `${stdout}${stderr}` });
    });
  });
}
