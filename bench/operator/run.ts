// `npm run bench:operator`: the operator end to end (real etcd, the API simulator, the operator as a
// child process) — put→ConfigMap latency, a put burst, rollouts, templates, many PrefixSyncs, a steady
// write load over them, and three shards. See bench/operator/README.md.
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { OperatorEnv } from '../../test/e2e/support/operator-env.js';
import { measureBurst } from './burst.js';
import { measureLatency } from './latency.js';
import { measureTemplate } from './template.js';
import { measureRollout } from './rollout.js';
import { CHART_HEAP_MIB, buildOperator, startOperator, type Launch, type RunningOperator } from './launch.js';
import type { RunResult } from './results.js';
import { measureScale } from './scale.js';
import { measureShards } from './shards.js';
import { measureSteady } from './steady.js';
import { metrics, renderResults } from './table.js';

const USAGE = `Usage: npm run bench:operator -- [flags]

  --runs N              repeat everything N times (fresh etcd, simulator and operator each run) and
                        print the median of each metric (default 1)
  --phases LIST         comma-separated subset of latency,burst,rollout,scale,template,steady,shards
                        (default latency,burst,rollout,scale,template)
  --issue               issue 15's full table: --phases latency,scale,steady,shards
                        --prefixsyncs 1000,10000 (steady and shards at their 10,000 defaults)
  --prefixsyncs LIST    PrefixSyncs in the scale phase, one run of the phase per size
                        (default 1000; the issue's sizes: 1000,10000)
  --steady-prefixsyncs N  PrefixSyncs synced under the steady load (default 10000); when the scale
                        phase runs this size too, steady continues in its environment
  --rate N              steady: changes per second, paced by the clock (default 200)
  --duration S          steady: seconds of load (default 60)
  --soak                steady: sample the operator's RSS, V8 heap and open fds every 10 s and judge
                        them flat (first vs last third); use with a long --duration (600)
  --shard-prefixsyncs N PrefixSyncs per shard in the shards phase, 3 shards (default 10000)
  --samples N           put→ConfigMap latency samples (default 200)
  --burst N             puts in the burst (default 10000)
  --rollout-samples N   put→rollout complete samples (default 20)
  --operator-args ARGS  extra flags for 'etcd-config-operator run', space-separated
                        (e.g. "--workers 16")
  --operator-heap-mib N (built) the operator's V8 heap limit, --max-old-space-size (default 384: what
                        the chart sets with its default 512Mi memory limit; 0: V8's own sizing)
  --launch built|source built (default): \`npm run build\` first, then the esbuild bundle,
                        \`node dist/bundle/main.js run\`, as the image runs it; source: the package
                        bin in a checkout (tsx)
  --cpu-prof DIR        (built) write a node --cpu-prof profile of each operator into DIR
  --operator-node-args ARGS  (built) extra node flags for the operator, space-separated (e.g.
                        "--max-semi-space-size=8"); environment variables (MALLOC_ARENA_MAX=2) pass
                        through from the bench's own environment
  -h, --help            this help
`;

const DEFAULT_PHASES = ['latency', 'burst', 'rollout', 'scale', 'template'];
const ALL_PHASES = new Set([...DEFAULT_PHASES, 'steady', 'shards']);

interface Args {
  runs: number;
  scaleSizes: number[];
  steadyPrefixSyncs: number;
  rate: number;
  durationS: number;
  soak: boolean;
  shardPrefixSyncs: number;
  samples: number;
  burst: number;
  rolloutSamples: number;
  phases: Set<string>;
  operatorArgs: string[];
  launch: Launch;
  cpuProfDir: string | undefined;
  heapMiB: number;
  operatorNodeArgs: string[];
}

function positiveInt(flag: string, text: string | undefined): number {
  const v = Number(text);
  if (!Number.isInteger(v) || v < 1) throw new Error(`${flag} needs a positive integer`);
  return v;
}

function parseArgs(argv: readonly string[]): Args | undefined {
  const args: Args = {
    runs: 1,
    scaleSizes: [1000],
    steadyPrefixSyncs: 10_000,
    rate: 200,
    durationS: 60,
    soak: false,
    shardPrefixSyncs: 10_000,
    samples: 200,
    burst: 10_000,
    phases: new Set(DEFAULT_PHASES),
    rolloutSamples: 20,
    operatorArgs: [],
    launch: 'built',
    cpuProfDir: undefined,
    heapMiB: CHART_HEAP_MIB,
    operatorNodeArgs: [],
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const int = (): number => positiveInt(flag, argv[++i]);
    if (flag === '-h' || flag === '--help') return undefined;
    else if (flag === '--runs') args.runs = int();
    else if (flag === '--issue') {
      args.phases = new Set(['latency', 'scale', 'steady', 'shards']);
      args.scaleSizes = [1000, 10_000];
    } else if (flag === '--prefixsyncs')
      args.scaleSizes = (argv[++i] ?? '').split(',').map((s) => positiveInt(flag, s));
    else if (flag === '--steady-prefixsyncs') args.steadyPrefixSyncs = int();
    else if (flag === '--rate') args.rate = int();
    else if (flag === '--duration') args.durationS = int();
    else if (flag === '--soak') args.soak = true;
    else if (flag === '--shard-prefixsyncs') args.shardPrefixSyncs = int();
    else if (flag === '--samples') args.samples = int();
    else if (flag === '--burst') args.burst = int();
    else if (flag === '--rollout-samples') args.rolloutSamples = Number(argv[++i]);
    else if (flag === '--phases') {
      args.phases = new Set((argv[++i] ?? '').split(','));
      const unknown = [...args.phases].filter((p) => !ALL_PHASES.has(p));
      if (unknown.length > 0) throw new Error(`unknown phase(s) ${unknown.join(', ')}`);
    } else if (flag === '--operator-args') args.operatorArgs = (argv[++i] ?? '').split(/\s+/).filter(Boolean);
    else if (flag === '--launch') {
      const v = argv[++i];
      if (v !== 'built' && v !== 'source') throw new Error('--launch needs built or source');
      args.launch = v;
    } else if (flag === '--cpu-prof') args.cpuProfDir = argv[++i];
    else if (flag === '--operator-node-args')
      args.operatorNodeArgs = (argv[++i] ?? '').split(/\s+/).filter(Boolean);
    else if (flag === '--operator-heap-mib') {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 0) throw new Error('--operator-heap-mib needs 0 or a positive integer');
      args.heapMiB = v;
    } else throw new Error(`unknown flag ${flag}`);
  }
  if (args.soak && !args.phases.has('steady')) throw new Error('--soak needs the steady phase');
  return args;
}

const progress = (msg: string): void => {
  process.stderr.write(`[bench:operator ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
};

const loadLine = (): string =>
  `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`;

/** The scale sizes to run: the scale phase's, and the steady phase's set-up. */
function setUpSizes(args: Args): number[] {
  const sizes = new Set(args.phases.has('scale') ? args.scaleSizes : []);
  if (args.phases.has('steady')) sizes.add(args.steadyPrefixSyncs);
  return [...sizes].sort((a, b) => a - b);
}

/** One run: each phase gets its own etcd, simulator and operator(s), so that none disturbs another. */
async function runOnce(args: Args, run: number): Promise<RunResult> {
  const result: RunResult = { scale: {}, failed: [] };
  const withEnv = async <T>(
    phase: string,
    body: (
      env: OperatorEnv,
      start: (extraArgs?: readonly string[]) => Promise<RunningOperator>,
    ) => Promise<T>,
    startNow = true,
  ): Promise<T | undefined> => {
    progress(`run ${run}: ${phase} (${loadLine()})`);
    const env = await OperatorEnv.start({
      startOperator: false,
      logLevel: 'info',
      operatorArgs: args.operatorArgs,
    });
    const ops: RunningOperator[] = [];
    const start = async (extraArgs: readonly string[] = []): Promise<RunningOperator> => {
      const op = await startOperator(
        env,
        args.launch,
        [...args.operatorArgs, ...extraArgs],
        args.cpuProfDir,
        args.heapMiB,
        args.operatorNodeArgs,
      );
      ops.push(op);
      return op;
    };
    try {
      if (startNow) await (await start()).waitReady(120_000);
      return await body(env, start);
    } catch (e) {
      // One phase failing (a timeout at scale on a loaded machine) leaves the others' figures standing.
      for (const op of ops) progress(`run ${run}: ${phase}: operator log tail:\n${op.log.slice(-3000)}`);
      progress(`run ${run}: ${phase} failed: ${(e as Error).stack ?? String(e)}`);
      result.failed.push(`run ${run}: ${phase}: ${(e as Error).message}`);
      return undefined;
    } finally {
      await Promise.all(ops.map((op) => op.stop()));
      await env.close();
    }
  };
  if (args.phases.has('latency'))
    result.latency = await withEnv(
      'latency',
      async (env, start) => {
        const op = await start();
        await op.waitReady(120_000);
        return measureLatency(env, args.samples, op.metricsUrl);
      },
      false,
    );
  if (args.phases.has('burst')) result.burst = await withEnv('burst', (env) => measureBurst(env, args.burst));
  if (args.phases.has('rollout'))
    result.rollout = await withEnv(
      'rollout',
      async (env, start) => {
        const op = await start();
        await op.waitReady(120_000);
        return measureRollout(env, args.rolloutSamples, op.metricsUrl);
      },
      false,
    );
  for (const n of setUpSizes(args)) {
    const withSteady = args.phases.has('steady') && n === args.steadyPrefixSyncs;
    await withEnv(
      withSteady ? `scale ${n}, then steady` : `scale ${n}`,
      async (env, start) => {
        const scale = await measureScale(env, () => start(), n, progress);
        result.scale[n] = scale.result;
        if (withSteady)
          result.steady = await measureSteady(
            env,
            scale.operator,
            { count: n, rate: args.rate, durationS: args.durationS, soak: args.soak },
            progress,
          );
      },
      false,
    );
  }
  if (args.phases.has('shards'))
    result.shards = await withEnv(
      'shards',
      (env, start) =>
        measureShards(
          env,
          (shard) => start(['--shard-selector', `shard=${shard}`]),
          args.shardPrefixSyncs,
          progress,
        ),
      false,
    );
  if (args.phases.has('template'))
    result.template = await withEnv('template', (env) => measureTemplate(env, Math.min(args.samples, 100)));
  progress(`run ${run}: ${JSON.stringify(result)}`);
  return result;
}

/** The commit of the tree being measured, when it is a git checkout (a `git archive` copy is not). */
function commitLine(): string {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      encoding: 'utf8',
      stdio: 'pipe',
    }).trim();
    return `commit ${sha}`;
  } catch {
    return 'commit: not a git checkout';
  }
}

async function main(): Promise<number> {
  let args: Args | undefined;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (!args) {
    process.stdout.write(USAGE);
    return 0;
  }
  const heapLine =
    args.heapMiB > 0
      ? `, V8 heap limit ${args.heapMiB} MiB (--max-old-space-size, as the chart sets it)`
      : '';
  const launchLine =
    args.launch === 'built'
      ? `${buildOperator()}${heapLine}${
          args.operatorNodeArgs.length ? `, node flags ${args.operatorNodeArgs.join(' ')}` : ''
        }${process.env['MALLOC_ARENA_MAX'] ? `, MALLOC_ARENA_MAX=${process.env['MALLOC_ARENA_MAX']}` : ''}`
      : 'operator: the package bin in a checkout, i.e. the TypeScript sources through tsx';
  progress(launchLine);
  const startLoad = loadLine();
  const startedAt = new Date().toISOString();
  const runs: RunResult[] = [];
  for (let i = 1; i <= args.runs; i++) runs.push(await runOnce(args, i));
  const rows = metrics({
    scaleSizes: setUpSizes(args),
    burst: args.burst,
    steadyPrefixSyncs: args.steadyPrefixSyncs,
    shardPrefixSyncs: args.shardPrefixSyncs,
  });
  process.stdout.write(
    `\n${launchLine}\n${commitLine()}; ${startedAt} → ${new Date().toISOString()}; ` +
      `${startLoad} at the start, ${loadLine()} at the end; ${args.runs} run(s)\n\n` +
      `${renderResults(rows, runs)}\n`,
  );
  const failed = runs.flatMap((r) => r.failed);
  if (failed.length > 0) process.stdout.write(`\nFailed (no figures from these):\n${failed.join('\n')}\n`);
  return failed.length > 0 ? 1 : 0;
}

process.exitCode = await main();
