// Reading the operator's metrics as a scrape does: the text its /metrics serves, without HTTP.
import type { Manager } from '../../src/operator/index.js';

/** One series of a scrape: its labels and value. */
export interface ScrapedSeries {
  labels: Record<string, string>;
  value: number;
}

/** Label values in the text exposition format: `\\`, `\"` and `\n` escaped. */
function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
  for (const m of text.matchAll(re)) {
    labels[m[1]!] = m[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
  }
  return labels;
}

/** Every series of metric `name` in a scrape's text. */
export function seriesOf(scrape: string, name: string): ScrapedSeries[] {
  const out: ScrapedSeries[] = [];
  for (const line of scrape.split('\n')) {
    if (line.startsWith('#') || !line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    if (m?.[1] !== name) continue;
    out.push({ labels: parseLabels(m[2] ?? ''), value: Number(m[3]) });
  }
  return out;
}

/** The names of every metric family in a scrape's text (its `# TYPE` lines). */
export function familiesOf(scrape: string): string[] {
  return [...scrape.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!);
}

/** The value of the `etcdconfig_prefix_mirrors` gauge: etcd watches (prefix mirrors) open now. */
export async function openMirrors(manager: Manager): Promise<number> {
  return (await metricValues(manager, 'etcdconfig_prefix_mirrors'))[0]?.value ?? 0;
}

/** Every series of metric `name` with its labels and value (empty when the metric has none). */
export async function metricValues(manager: Manager, name: string): Promise<ScrapedSeries[]> {
  return seriesOf((await manager.metrics.render()).body, name);
}

/** The value of the series of `name` whose labels include `labels`; undefined when there is none. */
export async function metricValue(
  manager: Manager,
  name: string,
  labels: Record<string, string>,
): Promise<number | undefined> {
  const series = await metricValues(manager, name);
  return series.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}
