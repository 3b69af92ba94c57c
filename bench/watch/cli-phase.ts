// Phase 6 of bench:watch, "6 cli replay": what it writes, what it runs, and its own table (its columns
// are commands, not the in-process clients of phases 1–5).
import { buildOurs, CLI_TOOLS, replayThroughPipe, type CliReplayResult, type CliTool } from './cli-replay.js';
import type { RawWriter } from './raw-writer.js';
import { formatNumber, median, renderTable } from './stats.js';

const PREFIX = '/cli/';
/** Writes in flight while loading the backlog. */
const LOAD_CONCURRENCY = 8;
const TIMEOUT_MS = 120_000;

/** The reference the ratio column divides by. */
const REFERENCE: CliTool = 'etcdctl';

export class CliPhase {
  private readonly results = new Map<CliTool, CliReplayResult[]>();
  /** Problems seen (a tool short of events, output that differs from etcdctl's). */
  readonly notes: string[] = [];
  /** Whether two tools decoded different events in some run: the benchmark then exits non-zero. */
  isMismatch = false;

  constructor(
    readonly tools: readonly CliTool[],
    private readonly txns: number,
    private readonly txnSize: number,
    private readonly log: (message: string) => void,
    /** Flags for the node of our commands (e.g. --cpu-prof). */
    private readonly nodeFlags: readonly string[] = [],
  ) {
    for (const t of tools) if (!CLI_TOOLS.includes(t)) throw new Error(`unknown CLI tool '${t}'`);
  }

  get events(): number {
    return this.txns * this.txnSize;
  }

  /** Builds our command, once, before the runs. */
  async prepare(): Promise<void> {
    if (this.tools.includes('ours-built') || this.tools.includes('ours-bundle')) {
      this.log('phase 6: building the watch command (tsc -p tsconfig.build.json, then scripts/bundle.mjs)');
      await buildOurs();
    }
  }

  /**
   * Writes the backlog (txns of txnSize puts, every value distinct), then replays it with each tool
   * in turn, `settle` before each.
   */
  async run(writer: RawWriter, endpoint: string, settle: () => Promise<void>): Promise<void> {
    this.log(`phase 6: writing ${this.txns} txns of ${this.txnSize} puts`);
    const first = (await writer.currentRevision()) + 1n;
    let next = 0;
    await Promise.all(
      Array.from({ length: LOAD_CONCURRENCY }, async () => {
        while (next < this.txns) {
          const t = next++;
          await writer.txnPuts(
            Array.from(
              { length: this.txnSize },
              (_, j) => [`${PREFIX}${j}`, `v${t}.${j}`] as [string, string],
            ),
          );
        }
      }),
    );
    const digests = new Map<CliTool, string>();
    for (const tool of this.tools) {
      await settle();
      const r = await replayThroughPipe(
        tool,
        endpoint,
        PREFIX,
        first,
        this.events,
        TIMEOUT_MS,
        this.nodeFlags,
      );
      let list = this.results.get(tool);
      if (!list) this.results.set(tool, (list = []));
      list.push(r);
      if (r.error) this.notes.push(`6 cli replay, ${tool}: ${r.error.split('\n')[0]!.slice(0, 200)}`);
      else digests.set(tool, r.digest);
      this.log(
        `phase 6 ${tool}: ${r.events}/${this.events} in ${(r.wallMs / 1000).toFixed(2)} s, ` +
          `cpu ${(r.toolCpuMicros / 1e6).toFixed(2)} s (reader ${(r.readerCpuMicros / 1e6).toFixed(2)} s)`,
      );
    }
    // "The same output": every tool's reader decoded the same (key, value, mod_revision), in order.
    const distinct = new Set(digests.values());
    if (distinct.size > 1) {
      this.isMismatch = true;
      this.notes.push(
        `6 cli replay: MISMATCH, the tools' events differ: ${[...digests].map(([t, d]) => `${t} ${d.slice(0, 12)}`).join(', ')}`,
      );
    }
  }

  /** The phase's table: one row per tool, medians of the runs, and each run's events/s. */
  render(): string {
    const runs = Math.max(0, ...[...this.results.values()].map((l) => l.length));
    const med = (tool: CliTool, pick: (r: CliReplayResult) => number): number =>
      median((this.results.get(tool) ?? []).map(pick));
    const rate = (r: CliReplayResult): number => this.events / (r.wallMs / 1000);
    const reference = med(REFERENCE, rate);
    const header = [
      `6 cli replay (${formatNumber(this.events)} events${runs > 1 ? `, median of ${runs}` : ''})`,
      'events/s',
      `÷ ${REFERENCE}`,
      'wall s',
      'first byte ms',
      'CPU s',
      'reader CPU s',
      'events/s each run',
    ];
    const rows = this.tools.map((tool) => [
      tool,
      formatNumber(med(tool, rate)),
      formatNumber(med(tool, rate) / reference, 2),
      formatNumber(
        med(tool, (r) => r.wallMs / 1000),
        2,
      ),
      formatNumber(med(tool, (r) => r.firstByteMs)),
      formatNumber(
        med(tool, (r) => r.toolCpuMicros / 1e6),
        2,
      ),
      formatNumber(
        med(tool, (r) => r.readerCpuMicros / 1e6),
        2,
      ),
      (this.results.get(tool) ?? []).map((r) => formatNumber(rate(r))).join(' / '),
    ]);
    return renderTable(header, rows);
  }
}
