// Phase "template": the cost of format template next to the plain formats. Three PrefixSyncs on one
// operator, each over its own prefix holding the same 50 keys: files, yaml, and an nginx.conf template
// (a loop over the keys and a conditional). Sequential puts to one key; each latency runs from just
// before the put to a client-node watch delivering the new value.
import type { V1ConfigMap } from '@kubernetes/client-node';
import type { PrefixSyncSpec } from '../../src/api/index.js';
import { ObjectRecorder } from '../../test/e2e/support/object-recorder.js';
import type { OperatorEnv } from '../../test/e2e/support/operator-env.js';
import { newTenant, specFor } from '../../test/e2e/support/scenario.js';
import { waitFor } from '../../test/support/wait.js';
import { quantile } from '../watch/stats.js';

/** Keys besides the measured one, so that every format has some content to lay out. */
const EXTRA_KEYS = 50;
const SAMPLE_TIMEOUT_MS = 10_000;

const NGINX = `upstream app {
{%- assign ups = "upstreams" | children %}
{%- for u in ups %}
  server {{ u.value }};
{%- endfor %}
}
server {
  server_name {{ "k" | get }};
{%- assign tls = "tls" | has %}{% if tls %}
  ssl on;{% endif %}
}
`;

/** The three layouts, and how each shows the measured value. */
const FORMATS: {
  name: string;
  target: PrefixSyncSpec['target'];
  holds: (cm: V1ConfigMap, v: string) => boolean;
}[] = [
  { name: 'files', target: { name: 'app-config' }, holds: (cm, v) => cm.data?.['k'] === v },
  {
    name: 'yaml',
    target: { name: 'app-config', format: 'yaml', key: 'app.yaml' },
    holds: (cm, v) => (cm.data?.['app.yaml'] ?? '').includes(`k: ${v}\n`),
  },
  {
    name: 'template',
    target: { name: 'app-config', format: 'template', template: { inline: { 'nginx.conf': NGINX } } },
    holds: (cm, v) => (cm.data?.['nginx.conf'] ?? '').includes(`server_name ${v};`),
  },
];

/** put→ConfigMap percentiles (ms) per format. */
export type TemplateResult = Record<string, { p50: number; p99: number }>;

/** `samples` puts per format, after 5 unmeasured ones (the template pool starts its workers on the first). */
export async function measureTemplate(env: OperatorEnv, samples: number): Promise<TemplateResult> {
  const result: TemplateResult = {};
  for (const format of FORMATS) {
    const t = await newTenant(env, format.name.slice(0, 3));
    for (let i = 0; i < EXTRA_KEYS; i++)
      await env.etcdClient.kv.put(`${t.prefix}upstreams/u${i}`, `10.0.${i}.1:80`);
    await env.etcdClient.kv.put(`${t.prefix}k`, 'initial');
    await env.kube.createPrefixSync(
      t.namespace,
      t.prefixSync,
      specFor(t, { target: format.target, rollout: { mode: 'none' } }),
    );
    const synced = await waitFor(`${format.name} synced`, async () => {
      const cm = await env.kube.getConfigMap(t.namespace, t.configMap);
      return cm && format.holds(cm, 'initial') ? cm : 'not yet';
    });
    const rec = await ObjectRecorder.start<V1ConfigMap>(
      env.kc,
      `/api/v1/namespaces/${t.namespace}/configmaps`,
      t.configMap,
      synced.metadata?.resourceVersion,
    );
    const latencies: number[] = [];
    try {
      for (let i = -5; i < samples; i++) {
        const value = `v${i}`;
        const seen = rec.next((c) => format.holds(c.object, value));
        const t0 = performance.now();
        await env.etcdClient.kv.put(`${t.prefix}k`, value);
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`${format.name} put ${i}: no update`)),
            SAMPLE_TIMEOUT_MS,
          );
        });
        await Promise.race([seen, timeout]).finally(() => clearTimeout(timer));
        if (i >= 0) latencies.push(performance.now() - t0);
      }
    } finally {
      rec.stop();
    }
    latencies.sort((a, b) => a - b);
    result[format.name] = { p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99) };
  }
  return result;
}
