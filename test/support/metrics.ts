// Reading the operator's metrics as a scrape would, without HTTP.
import type { Manager } from '../../src/operator/index.js';

/** The value of the `etcdconfig_prefix_mirrors` gauge: etcd watches (prefix mirrors) open now. */
export async function openMirrors(manager: Manager): Promise<number> {
  return (await metricValues(manager, 'etcdconfig_prefix_mirrors'))[0]?.value ?? 0;
}

/** Every series of metric `name` with its labels and value (empty when the metric has none). */
export async function metricValues(
  manager: Manager,
  name: string,
): Promise<{ labels: Record<string, string | number | undefined>; value: number }[]> {
  const read = await manager.metrics.registry.getSingleMetric(name)?.get();
  return (read?.values ?? []).map((v) => ({ labels: { ...v.labels }, value: v.value }));
}

/** The value of the series of `name` whose labels include `labels`; undefined when there is none. */
export async function metricValue(
  manager: Manager,
  name: string,
  labels: Record<string, string>,
): Promise<number | undefined> {
  const series = await metricValues(manager, name);
  return series.find((s) => Object.entries(labels).every(([k, v]) => String(s.labels[k]) === v))?.value;
}
