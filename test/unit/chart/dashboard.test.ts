// The chart's Grafana dashboard: a ConfigMap labelled for Grafana's dashboard sidecar holding
// files/grafana-dashboard.json, which type-checks against @grafana/schema's Dashboard type, passes a
// strict structural check of Grafana's dashboard model and covers what an operator of etcd-config-operator watches. That every metric its queries name is one
// the operator exports is checked against a live /metrics in test/integration/chart/dashboard-metrics.test.ts.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ConfigMap } from 'kubernetes-models/v1';
import { stringify } from 'yaml';
import { CHART, helms, template, type Manifest } from '../../integration/chart/support/helm.js';
import { dashboardExpressions, grafanaDashboardProblems } from './support/grafana-dashboard-check.js';
import { metricNamesOf } from './support/promql-metrics.js';
import { promtool } from './support/promtool.js';

const DASHBOARD_FILE = join(CHART, 'files/grafana-dashboard.json');
const require_ = createRequire(import.meta.url);

/**
 * tsc's errors for the dashboard JSON typed as @grafana/schema's Dashboard (with each enum read as its
 * string values, as JSON holds them); excess-property checks refuse unknown keys.
 */
function dashboardTypeErrors(json: string): string[] {
  // Inside the checkout, so that the import resolves to its node_modules.
  const dir = mkdtempSync(join(process.cwd(), '.tools', 'dashboard-types-'));
  try {
    writeFileSync(
      join(dir, 'check.ts'),
      [
        "import type { Dashboard } from '@grafana/schema';",
        'type Json<T> = T extends string ? `${T}` : T extends (infer U)[] ? Json<U>[] : T extends object ? { [K in keyof T]: Json<T[K]> } : T;',
        `export const dashboard: Json<Dashboard> = ${json};`,
      ].join('\n'),
    );
    const tsc = spawnSync(
      process.execPath,
      [
        require_.resolve('typescript/bin/tsc'),
        '--noEmit',
        '--strict',
        '--skipLibCheck',
        '--module',
        'nodenext',
        '--moduleResolution',
        'nodenext',
        '--target',
        'es2022',
        join(dir, 'check.ts'),
      ],
      { encoding: 'utf8' },
    );
    return tsc.status === 0 ? [] : tsc.stdout.split('\n').filter((l) => l.includes('error TS'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const dashboard = JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')) as Record<string, unknown>;

describe('metricNamesOf (PromQL)', () => {
  const cases: Array<[string, string[]]> = [
    ['up', ['up']],
    ['sum by (result) (rate(a_total{job=~"$job",x="b c"}[$__rate_interval]))', ['a_total']],
    ['histogram_quantile(0.99, sum by (le) (rate(h_bucket[5m])))', ['h_bucket']],
    ['a > 0 unless ignoring (type) b{type="Ready"} == 1', ['a', 'b']],
    ['max by (job) (x and on (job, instance) y) < 1', ['x', 'y']],
    ['count(c == 0) or vector(0)', ['c']],
    ['topk(10, lag) * 1e3 offset 5m', ['lag']],
  ];
  for (const [expr, names] of cases) {
    it(`reads ${names.join(', ')} from ${expr}`, () => {
      assert.deepEqual(metricNamesOf(expr), names);
    });
  }
});

describe('the chart’s Grafana dashboard (grafanaDashboard.enabled)', function () {
  this.timeout(60_000);
  const helm = helms()[0];
  let home: string;

  before(() => {
    assert.ok(helm, 'no Helm binary: run node scripts/ensure-tools.mjs');
    home = mkdtempSync(join(tmpdir(), 'eco-dashboard-home-'));
  });
  after(() => {
    rmSync(home, { recursive: true, force: true });
  });
  const render = (args: string[] = []): Promise<Manifest[]> =>
    template(helm as NonNullable<typeof helm>, home, args);
  const dashboards = (objs: Manifest[]): Manifest[] =>
    objs.filter((o) => o.kind === 'ConfigMap' && o.metadata.name.endsWith('-dashboard'));

  it('renders no dashboard ConfigMap by default', async () => {
    assert.deepEqual(dashboards(await render()), []);
  });

  it('renders the JSON of files/grafana-dashboard.json in a ConfigMap with the sidecar label', async () => {
    const [cm, ...more] = dashboards(await render(['--set', 'grafanaDashboard.enabled=true']));
    assert.ok(cm && more.length === 0, 'expected one dashboard ConfigMap');
    assert.equal(cm.metadata.labels?.['grafana_dashboard'], '1');
    assert.equal(cm.metadata.namespace, 'eco-system');
    new ConfigMap(cm).validate();
    const data = cm['data'] as Record<string, string>;
    assert.deepEqual(Object.keys(data), ['etcd-config-operator.json']);
    assert.deepEqual(JSON.parse(data['etcd-config-operator.json'] ?? ''), dashboard);
  });

  it('takes the label, its value, the namespace and annotations the sidecar is configured with', async () => {
    const [cm] = dashboards(
      await render([
        '--set',
        'grafanaDashboard.enabled=true',
        '--set',
        'grafanaDashboard.label=find_me',
        '--set-string',
        'grafanaDashboard.labelValue=yes',
        '--set',
        'grafanaDashboard.namespace=monitoring',
        '--set',
        'grafanaDashboard.annotations.grafana_folder=Operators',
      ]),
    );
    assert.ok(cm);
    assert.equal(cm.metadata.labels?.['find_me'], 'yes');
    assert.equal(cm.metadata.labels?.['grafana_dashboard'], undefined);
    assert.equal(cm.metadata.namespace, 'monitoring');
    assert.equal(
      (cm.metadata as { annotations?: Record<string, string> }).annotations?.['grafana_folder'],
      'Operators',
    );
  });

  it('passes the structural check of Grafana’s dashboard model', () => {
    assert.deepEqual(grafanaDashboardProblems(dashboard), []);
  });

  it('type-checks against @grafana/schema’s Dashboard type (Grafana’s own schema, as TypeScript)', function () {
    this.timeout(120_000);
    assert.deepEqual(dashboardTypeErrors(readFileSync(DASHBOARD_FILE, 'utf8')), []);
    // The check can fail: a variable's `current` without the text and value Grafana requires.
    const broken = { ...dashboard, templating: { list: [{ name: 'x', type: 'custom', current: {} }] } };
    assert.match(dashboardTypeErrors(JSON.stringify(broken)).join('\n'), /missing the following properties/);
  });

  it('fails the structural check when a required field is wrong (the check can fail)', () => {
    const broken = structuredClone(dashboard) as {
      panels: Array<Record<string, unknown>>;
      [k: string]: unknown;
    };
    delete broken['schemaVersion'];
    broken.panels[1] = { ...broken.panels[1], gridPos: { h: 4, w: 30, x: 0, y: 1 }, colour: 'red' };
    const problems = grafanaDashboardProblems(broken);
    assert.ok(
      problems.some((p) => /schemaVersion/.test(p)),
      problems.join('\n'),
    );
    assert.ok(
      problems.some((p) => /panels\[1\].*leaves the grid/.test(p)),
      problems.join('\n'),
    );
    assert.ok(
      problems.some((p) => /panels\[1\].*unknown key "colour"/.test(p)),
      problems.join('\n'),
    );
  });

  it('shows sync rate and latency, errors by reason, PrefixSyncs not ready, rollouts, etcd health and queue depth', () => {
    const used = new Set(dashboardExpressions(dashboard).flatMap(metricNamesOf));
    for (const name of [
      'etcdconfig_configmap_syncs_total',
      'etcdconfig_sync_latency_seconds_bucket',
      'etcdconfig_prefixsync_sync_failures_total',
      'etcdconfig_prefixsync_status_condition',
      'etcdconfig_prefixsync_revision_lag',
      'etcdconfig_rollouts_total',
      'etcdconfig_rollout_duration_seconds_bucket',
      'etcdconfig_source_ready',
      'etcdconfig_etcd_watch_events_total',
      'etcdconfig_etcd_reconnects_total',
      'workqueue_depth',
      'leader_election_master_status',
    ]) {
      assert.ok(used.has(name), `no panel queries ${name}`);
    }
  });

  it('has only queries Prometheus parses (promtool check rules, Grafana variables filled in)', async () => {
    const exprs = dashboardExpressions(dashboard).map((e) =>
      e.replaceAll('$__rate_interval', '5m').replaceAll('$job', '.+'),
    );
    const rules = {
      groups: [{ name: 'dashboard', rules: exprs.map((expr, i) => ({ record: `q${i}`, expr })) }],
    };
    writeFileSync(join(home, 'dashboard-queries.yaml'), stringify(rules));
    const { code, output } = await promtool(['check', 'rules', 'dashboard-queries.yaml'], home);
    assert.equal(code, 0, output);
    assert.match(output, new RegExp(`SUCCESS: ${exprs.length} rules found`));
  });

  it('scopes every query to the $job variable and every panel to the $datasource variable', () => {
    const exprs = dashboardExpressions(dashboard);
    assert.ok(exprs.length >= 20, `only ${exprs.length} queries`);
    assert.deepEqual(
      exprs.filter((e) => (e.match(/\{/g) ?? []).length !== (e.match(/job=~"\$job"/g) ?? []).length),
      [],
    );
    const panels = (dashboard['panels'] as Array<{ type: string; datasource?: { uid: string } }>).filter(
      (p) => p.type !== 'row',
    );
    assert.deepEqual(
      panels.filter((p) => p.datasource?.uid !== '${datasource}'),
      [],
    );
  });
});
