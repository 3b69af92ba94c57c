// Every metric the chart's Grafana dashboard (and its alerts) query is one a live operator exports: the
// Manager runs against real etcd and the simulator, and its /metrics is scraped over HTTP.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { Manager } from '../../../src/operator/index.js';
import { useTestEnv, waitFor } from '../controller/support.js';
import { dashboardExpressions } from '../../unit/chart/support/grafana-dashboard-check.js';
import { metricNamesOf, queryableNames } from '../../unit/chart/support/promql-metrics.js';
import { CHART } from './support/helm.js';

const dashboard = JSON.parse(readFileSync(join(CHART, 'files/grafana-dashboard.json'), 'utf8')) as {
  templating: { list: Array<{ query?: string | { query?: string } }> };
};
const rules = parse(readFileSync(join(CHART, 'files/prometheus-rules.yaml'), 'utf8')) as {
  groups: Array<{ rules: Array<{ alert?: string; expr: string }> }>;
};

/** The metric a `label_values(metric, label)` template variable query reads. */
function variableMetrics(): string[] {
  return dashboard.templating.list.flatMap((v) => {
    const q = typeof v.query === 'string' ? v.query : (v.query?.query ?? '');
    const m = /^label_values\(\s*([A-Za-z_:][A-Za-z0-9_:]*)/.exec(q);
    return m?.[1] ? [m[1]] : [];
  });
}

describe('the chart’s dashboard and alerts against a live operator’s /metrics', function () {
  this.timeout(60_000);
  let body: string;
  let manager: Manager;
  useTestEnv(async (env) => {
    manager = await env.startManager({ metricsAddr: '127.0.0.1:0', probeAddr: '127.0.0.1:0' });
  });

  before(async () => {
    const port = manager.boundPorts.metrics;
    assert.ok(port, 'metrics endpoint not bound');
    // Scrape once the source has been probed, so the operator's own series are there, not only declared.
    await waitFor('the source reported ready on /metrics', async () => {
      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      body = await res.text();
      return res.status === 200 && /^etcdconfig_source_ready\{source="main"\} 1$/m.test(body)
        ? true
        : `HTTP ${res.status}`;
    });
  });

  it('exports every metric a dashboard query or template variable names', () => {
    const exported = queryableNames(body);
    const used = [
      ...new Set([...dashboardExpressions(dashboard).flatMap(metricNamesOf), ...variableMetrics()]),
    ];
    assert.ok(used.length >= 15, `only ${used.length} metrics found in the dashboard`);
    assert.deepEqual(
      used.filter((n) => !exported.has(n)),
      [],
    );
  });

  it('exports every metric an alert expression names', () => {
    const exported = queryableNames(body);
    const used = [...new Set(rules.groups.flatMap((g) => g.rules.flatMap((r) => metricNamesOf(r.expr))))];
    assert.ok(used.length >= 6, `only ${used.length} metrics found in the alerts`);
    assert.deepEqual(
      used.filter((n) => !exported.has(n)),
      [],
    );
  });
});
