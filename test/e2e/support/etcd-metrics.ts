/**
 * Reads one gauge/counter from a Prometheus text endpoint (etcd serves /metrics on its client URL):
 * the sum over every label set, or undefined when the metric is absent.
 */
export async function scrapeMetric(url: string, name: string): Promise<number | undefined> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  const text = await res.text();
  let sum: number | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (m && m[1] === name) sum = (sum ?? 0) + Number(m[3]);
  }
  return sum;
}
