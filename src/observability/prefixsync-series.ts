// The per-PrefixSync gauges (status conditions, revision lag), kept as rendered exposition lines.
// Why not prom-client gauges: at 10,000 PrefixSyncs they are 40,000 series, and prom-client formats
// every series on every scrape — 300–450 ms of a blocked event loop per scrape (measured, 4.3 MiB of
// text), which every etcd change arriving meanwhile waits behind. Here a line is built when its value
// changes, and a scrape only joins the lines.

/** One per-PrefixSync gauge: its name, help, and each PrefixSync's lines. */
class SeriesTable {
  /** `namespace/name` → the PrefixSync's lines, each ending in a newline. */
  private readonly lines = new Map<string, string>();

  constructor(
    private readonly name: string,
    private readonly help: string,
  ) {}

  /** Sets `key`'s lines; false when they were already exactly these. */
  set(key: string, lines: string): boolean {
    if (this.lines.get(key) === lines) return false;
    if (lines === '') this.lines.delete(key);
    else this.lines.set(key, lines);
    return true;
  }

  delete(key: string): void {
    this.lines.delete(key);
  }

  clear(): void {
    this.lines.clear();
  }

  /** The gauge in the text exposition format, HELP and TYPE first (prom-client's layout). */
  render(): string {
    let out = `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} gauge\n`;
    for (const lines of this.lines.values()) out += lines;
    return out;
  }

  /** `name{labels} value\n`, label values escaped as the exposition format requires. */
  line(labels: readonly (readonly [string, string])[], value: number): string {
    const text = labels.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',');
    return `${this.name}{${text}} ${value}\n`;
  }
}

/** Backslash, double quote and newline escaped (the text exposition format's label value rules). */
function escapeLabelValue(value: string): string {
  return /[\\"\n]/.test(value)
    ? value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
    : value;
}

/** A condition as the series carry it. */
export interface ConditionSeriesInput {
  type: string;
  status: string;
  reason: string;
}

/**
 * `etcdconfig_prefixsync_status_condition` (1 per condition, labelled with its status and reason, as
 * kube-state-metrics does for built-in kinds) and `etcdconfig_prefixsync_revision_lag`, per PrefixSync.
 */
export class PrefixSyncSeries {
  private readonly conditions = new SeriesTable(
    'etcdconfig_prefixsync_status_condition',
    'The current status and reason of each condition of each PrefixSync (1 per condition), as kube-state-metrics does for built-in kinds',
  );
  private readonly lag = new SeriesTable(
    'etcdconfig_prefixsync_revision_lag',
    'etcd revisions the mirror has seen beyond the revision the ConfigMap holds, per PrefixSync',
  );

  /** The PrefixSync's conditions as they are now (a status or reason it no longer has leaves no series). */
  setConditions(namespace: string, name: string, conditions: readonly ConditionSeriesInput[]): void {
    let lines = '';
    for (const c of conditions) {
      lines += this.conditions.line(
        [
          ['namespace', namespace],
          ['name', name],
          ['type', c.type],
          ['status', c.status],
          ['reason', c.reason],
        ],
        1,
      );
    }
    this.conditions.set(`${namespace}/${name}`, lines);
  }

  /** Revisions between what the mirror has seen and what the ConfigMap holds (at least 0). */
  setLag(namespace: string, name: string, lag: bigint): void {
    const value = Number(lag < 0n ? 0n : lag);
    this.lag.set(
      `${namespace}/${name}`,
      this.lag.line(
        [
          ['namespace', namespace],
          ['name', name],
        ],
        value,
      ),
    );
  }

  /** Forgets a PrefixSync's series. */
  remove(namespace: string, name: string): void {
    this.conditions.delete(`${namespace}/${name}`);
    this.lag.delete(`${namespace}/${name}`);
  }

  clear(): void {
    this.conditions.clear();
    this.lag.clear();
  }

  /** Both gauges in the text exposition format. */
  render(): string {
    return this.lag.render() + this.conditions.render();
  }
}
