// Reading the operator's metrics as a scrape would, without HTTP.
import type { Manager } from '../../src/operator/index.js';

/** The value of the `etcdconfig_prefix_mirrors` gauge: etcd watches (prefix mirrors) open now. */
export async function openMirrors(manager: Manager): Promise<number> {
  const gauge = manager.metrics.registry.getSingleMetric('etcdconfig_prefix_mirrors');
  const read = await gauge?.get();
  return read?.values[0]?.value ?? 0;
}
