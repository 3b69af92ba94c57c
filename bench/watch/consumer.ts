// One consumer process: watches with one client under test, as the benchmark tells it over IPC, so that
// each client's CPU can be measured on its own (process.cpuUsage, or /proc for etcdctl).
import { pathToFileURL } from 'node:url';
import type * as OursAdapter from './consume-ours.js';
import { ownCpuMicros, type RunningWatch, type StartWatch } from './consumer-adapter.js';
import { CONSUMERS, type ChildMessage, type ConsumerName, type ParentMessage } from './protocol.js';
import { Tally } from './tally.js';

async function loadAdapter(name: ConsumerName): Promise<StartWatch> {
  switch (name) {
    case 'ours': {
      // BENCH_WATCH_OURS_ADAPTER: a module exporting startOurWatch, to measure a patched client copy.
      const override = process.env['BENCH_WATCH_OURS_ADAPTER'];
      if (override) return ((await import(pathToFileURL(override).href)) as typeof OursAdapter).startOurWatch;
      return (await import('./consume-ours.js')).startOurWatch;
    }
    case 'etcd3':
      return (await import('./consume-etcd3.js')).startEtcd3Watch;
    case 'etcdctl':
      return (await import('./consume-etcdctl.js')).startEtcdctlWatch;
  }
}

function send(message: ChildMessage): void {
  process.send!(message);
}

const name = process.argv[2] as ConsumerName;
if (!CONSUMERS.includes(name)) throw new Error(`unknown consumer '${name}'`);
const start = await loadAdapter(name);

let current: { tally: Tally; watch: RunningWatch } | undefined;

process.on('message', (message: ParentMessage) => {
  void handle(message).catch((err: unknown) => {
    // A failed start is a result too: report it instead of leaving the benchmark waiting.
    if (message.cmd === 'watch') {
      const tally = new Tally(1, false, ownCpuMicros, ownCpuMicros(), noop, noop);
      tally.error = String(err);
      current = { tally, watch: { stop: () => Promise.resolve() } };
      send({ kind: 'watching' });
    } else if (current) {
      current.tally.error ??= String(err);
    }
  });
});

function noop(): void {}

async function handle(message: ParentMessage): Promise<void> {
  switch (message.cmd) {
    case 'watch': {
      const spec = message.spec;
      let tally: Tally | undefined;
      const watch = await start(spec, (cpuMicros) => {
        tally = new Tally(
          spec.eventsPerRevision,
          spec.isLatencyTracked,
          cpuMicros,
          cpuMicros(),
          () => send({ kind: 'first-event' }),
          () => send({ kind: 'reached' }),
        );
        return tally;
      });
      current = { tally: tally!, watch };
      send({ kind: 'watching' });
      return;
    }
    case 'expect':
      current?.tally.expect(message.events);
      return;
    case 'stop': {
      if (!current) return;
      const { tally, watch } = current;
      current = undefined;
      const result = tally.result();
      await watch.stop().catch(() => undefined);
      send({ kind: 'result', result });
      return;
    }
  }
}

process.on('disconnect', () => process.exit(0));
send({ kind: 'ready' });
