// `npm run bench:operator`: the operator end to end (real etcd, the API simulator, the operator as a
// child process) — put→ConfigMap latency, a put burst, and many PrefixSyncs. See bench/README.md.
import { OperatorEnv } from '../../test/e2e/support/operator-env.js';
import { formatNumber, median, renderTable } from '../watch/stats.js';
import { measureBurst, type BurstResult } from './burst.js';
import { measureLatency, type LatencyResult } from './latency.js';
import { measureTemplate, type TemplateResult } from './template.js';
import { measureRollout, type RolloutResult } from './rollout.js';
import { buildOperator, startOperator, type Launch } from './launch.js';
import { measureScale, type ScaleResult } from './scale.js';

const USAGE = `Usage: npm run bench:operator -- [flags]

  --runs N              repeat everything N times (fresh etcd, simulator and operator each run) and
                        print the median of each metric (default 1)
  --prefixsyncs N       PrefixSyncs in the scale phase (default 1000; the issue's large case: 10000)
  --samples N           put→ConfigMap latency samples (default 200)
  --burst N             puts in the burst (default 10000)
  --rollout-samples N   put→rollout complete samples (default 20)
  --phases LIST         comma-separated subset of latency,burst,rollout,scale,template (default all)
  --operator-args ARGS  extra flags for 'etcd-config-operator run', space-separated
                        (e.g. "--workers 16")
  --launch built|source built (default): \`npm run build\` first, then \`node dist/main.js run\`,
                        as the image runs it; source: the package bin in a checkout (tsx)
  --cpu-prof DIR        (built) write a node --cpu-prof profile of each operator into DIR
  -h, --help            this help
`;

interface Args {
  runs: number;
  prefixSyncs: number;
  samples: number;
  burst: number;
  rolloutSamples: number;
  phases: Set<string>;
  operatorArgs: string[];
  launch: Launch;
  cpuProfDir: string | undefined;
}

function parseArgs(argv: readonly string[]): Args | undefined {
  const args: Args = {
    runs: 1,
    prefixSyncs: 1000,
    samples: 200,
    burst: 10_000,
    phases: new Set(['latency', 'burst', 'rollout', 'scale', 'template']),
    rolloutSamples: 20,
    operatorArgs: [],
    launch: 'built',
    cpuProfDir: undefined,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const int = (): number => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 1) throw new Error(`${flag} needs a positive integer`);
      return v;
    };
    if (flag === '-h' || flag === '--help') return undefined;
    else if (flag === '--runs') args.runs = int();
    else if (flag === '--prefixsyncs') args.prefixSyncs = int();
    else if (flag === '--samples') args.samples = int();
    else if (flag === '--burst') args.burst = int();
    else if (flag === '--rollout-samples') args.rolloutSamples = Number(argv[++i]);
    else if (flag === '--phases') args.phases = new Set((argv[++i] ?? '').split(','));
    else if (flag === '--operator-args') args.operatorArgs = (argv[++i] ?? '').split(/\s+/).filter(Boolean);
    else if (flag === '--launch') {
      const v = argv[++i];
      if (v !== 'built' && v !== 'source') throw new Error('--launch needs built or source');
      args.launch = v;
    } else if (flag === '--cpu-prof') args.cpuProfDir = argv[++i];
    else throw new Error(`unknown flag ${flag}`);
  }
  return args;
}

interface RunResult {
  latency?: LatencyResult;
  burst?: BurstResult;
  rollout?: RolloutResult;
  scale?: ScaleResult;
  template?: TemplateResult;
}

const progress = (msg: string): void => {
  process.stderr.write(`[bench:operator ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
};

/** One run: each phase gets its own etcd, simulator and operator, so that none disturbs another. */
async function runOnce(args: Args, run: number): Promise<RunResult> {
  const result: RunResult = {};
  const withEnv = async <T>(
    phase: string,
    body: (
      env: OperatorEnv,
      start: () => ReturnType<typeof startOperator>,
      running: () => Awaited<ReturnType<typeof startOperator>> | undefined,
    ) => Promise<T>,
    startNow = true,
  ): Promise<T> => {
    progress(`run ${run}: ${phase}`);
    const env = await OperatorEnv.start({
      startOperator: false,
      logLevel: 'info',
      operatorArgs: args.operatorArgs,
    });
    let op: Awaited<ReturnType<typeof startOperator>> | undefined;
    const start = async (): ReturnType<typeof startOperator> =>
      (op = await startOperator(env, args.launch, args.operatorArgs, args.cpuProfDir));
    try {
      if (startNow) await (await start()).waitReady(120_000);
      return await body(env, start, () => op);
    } catch (e) {
      progress(`run ${run}: ${phase} failed; operator log tail:\n${(op?.log ?? '').slice(-3000)}`);
      throw e;
    } finally {
      await op?.stop();
      await env.close();
    }
  };
  if (args.phases.has('latency'))
    result.latency = await withEnv('latency', (env) => measureLatency(env, args.samples));
  if (args.phases.has('burst')) result.burst = await withEnv('burst', (env) => measureBurst(env, args.burst));
  if (args.phases.has('rollout'))
    result.rollout = await withEnv('rollout', (env, _start, running) =>
      measureRollout(env, args.rolloutSamples, running()?.metricsUrl),
    );
  if (args.phases.has('scale'))
    result.scale = await withEnv(
      'scale',
      (env, start) => measureScale(env, start, args.prefixSyncs, progress),
      false,
    );
  if (args.phases.has('template'))
    result.template = await withEnv('template', (env) => measureTemplate(env, Math.min(args.samples, 100)));
  progress(`run ${run}: ${JSON.stringify(result)}`);
  return result;
}

interface Metric {
  name: string;
  goal: string;
  digits: number;
  pick: (r: RunResult) => number | undefined;
  /** Whether a value meets the goal (undefined: no goal). */
  meets?: (v: number) => boolean;
}

function metrics(args: Args): Metric[] {
  const n = args.prefixSyncs.toLocaleString('en-US');
  const b = args.burst.toLocaleString('en-US');
  return [
    { name: 'put→ConfigMap p50 (ms), debounce 0', goal: '', digits: 1, pick: (r) => r.latency?.p50 },
    {
      name: 'put→ConfigMap p99 (ms), debounce 0',
      goal: '≤ 50',
      digits: 1,
      pick: (r) => r.latency?.p99,
      meets: (v) => v <= 50,
    },
    { name: 'put→ConfigMap max (ms)', goal: '', digits: 1, pick: (r) => r.latency?.max },
    ...['files', 'yaml', 'template'].flatMap((f) => [
      {
        name: `50 keys, format ${f}: put→ConfigMap p50 (ms)`,
        goal: '',
        digits: 1,
        pick: (r: RunResult) => r.template?.[f]?.p50,
      },
      {
        name: `50 keys, format ${f}: put→ConfigMap p99 (ms)`,
        goal: '',
        digits: 1,
        pick: (r: RunResult) => r.template?.[f]?.p99,
      },
    ]),
    {
      name: 'operator metric: sync latency mean (ms), without debounce',
      goal: '',
      digits: 1,
      pick: (r) => r.rollout?.syncMetricMeanMs,
    },
    {
      name: 'put→rollout complete p50 (ms), 2 replicas',
      goal: '',
      digits: 0,
      pick: (r) => r.rollout?.p50,
    },
    {
      name: 'put→rollout complete p99 (ms)',
      goal: '',
      digits: 0,
      pick: (r) => r.rollout?.p99,
    },
    {
      name: 'operator metric: change→rollout complete mean (ms)',
      goal: '',
      digits: 0,
      pick: (r) => r.rollout?.rolloutMetricMeanMs,
    },
    { name: `burst of ${b} puts: duration (ms)`, goal: '', digits: 0, pick: (r) => r.burst?.burstMs },
    { name: `burst: first put → converged (ms)`, goal: '', digits: 0, pick: (r) => r.burst?.convergeMs },
    {
      name: 'burst: ConfigMap writes',
      goal: '≤ 5',
      digits: 0,
      pick: (r) => r.burst?.configMapWrites,
      meets: (v) => v <= 5,
    },
    {
      name: 'burst: rollouts',
      goal: '= 1',
      digits: 0,
      pick: (r) => r.burst?.rollouts,
      meets: (v) => v === 1,
    },
    {
      name: `${n} PrefixSyncs: operator start → /readyz (ms)`,
      goal: '',
      digits: 0,
      pick: (r) => r.scale?.startMs,
    },
    {
      name: `${n} PrefixSyncs: start → all synced (s)`,
      goal: args.prefixSyncs <= 1000 ? '≤ 10' : '',
      digits: 2,
      pick: (r) => (r.scale ? r.scale.initialSyncMs / 1000 : undefined),
      meets: args.prefixSyncs <= 1000 ? (v) => v <= 10 : undefined,
    },
    {
      name: `${n} PrefixSyncs: /readyz → all synced (s)`,
      goal: '',
      digits: 2,
      pick: (r) => (r.scale ? (r.scale.initialSyncMs - r.scale.startMs) / 1000 : undefined),
    },
    {
      name: `${n} PrefixSyncs: all synced → all watches open (ms)`,
      goal: '',
      digits: 0,
      pick: (r) => r.scale?.watchesOpenMs,
    },
    {
      name: `${n} PrefixSyncs: operator CPU until synced (s)`,
      goal: '',
      digits: 1,
      pick: (r) => r.scale?.operatorCpuS,
    },
    {
      name: `${n} PrefixSyncs: simulator CPU meanwhile (s)`,
      goal: '',
      digits: 1,
      pick: (r) => r.scale?.simCpuS,
    },
    { name: `${n} PrefixSyncs: operator RSS (MiB)`, goal: '', digits: 0, pick: (r) => r.scale?.rssMiB },
    {
      name: `${n} PrefixSyncs: etcd watchers (when all watches open)`,
      goal: `${n}`,
      digits: 0,
      pick: (r) => r.scale?.etcdWatchers,
    },
    {
      name: `${n} PrefixSyncs: etcd watch streams`,
      goal: '1',
      digits: 0,
      pick: (r) => r.scale?.etcdWatchStreams,
      meets: (v) => v === 1,
    },
  ];
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
  const launchLine =
    args.launch === 'built'
      ? buildOperator()
      : 'operator: the package bin in a checkout, i.e. the TypeScript sources through tsx';
  progress(launchLine);
  const runs: RunResult[] = [];
  for (let i = 1; i <= args.runs; i++) runs.push(await runOnce(args, i));
  const header = [
    'metric',
    'goal',
    ...runs.map((_, i) => `run ${i + 1}`),
    ...(runs.length > 1 ? ['median'] : []),
    'ok',
  ];
  const rows = metrics(args)
    .filter((m) => runs.some((r) => m.pick(r) !== undefined))
    .map((m) => {
      const values = runs.map((r) => m.pick(r) ?? Number.NaN);
      const med = median(values);
      const ok = m.meets === undefined || Number.isNaN(med) ? '' : m.meets(med) ? 'yes' : 'NO';
      return [
        m.name,
        m.goal,
        ...values.map((v) => formatNumber(v, m.digits)),
        ...(runs.length > 1 ? [formatNumber(med, m.digits)] : []),
        ok,
      ];
    });
  process.stdout.write(`\n${launchLine}\n${renderTable(header, rows)}\n`);
  return 0;
}

process.exitCode = await main();
