import { PassThrough, type Writable } from 'node:stream';

/** What a CLI command run in this process printed, and its exit code. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** A command's entry point that writes to the streams it is given (render, the kubectl plugin). */
export type CliMain = (argv: string[], io: { stdout: Writable; stderr: Writable }) => Promise<number>;

/**
 * Runs `main` in this process (its etcd and API calls are real) and collects what it printed: no child
 * process, so no start-up through tsx per call.
 */
export async function runInProcess(main: CliMain, argv: string[]): Promise<CliRun> {
  const out = new PassThrough();
  const err = new PassThrough();
  const chunks = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
  out.on('data', (c: Buffer) => chunks.stdout.push(c));
  err.on('data', (c: Buffer) => chunks.stderr.push(c));
  const code = await main(argv, { stdout: out, stderr: err });
  return {
    code,
    stdout: Buffer.concat(chunks.stdout).toString(),
    stderr: Buffer.concat(chunks.stderr).toString(),
  };
}
