// The chart's alerts: the PrometheusRule it renders with prometheusRule.enabled carries the rule groups
// of files/prometheus-rules.yaml, which promtool checks and unit-tests (support/alerts.promtest.yaml)
// exactly as rendered, so the alerts shipped are the alerts tested.
import { strict as assert } from 'node:assert';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { parse, stringify } from 'yaml';
import { CHART, helms, template, type Manifest } from '../../integration/chart/support/helm.js';
import { promtool } from './support/promtool.js';

const RULES_FILE = join(CHART, 'files/prometheus-rules.yaml');
const PROMTEST_FILE = join(dirname(fileURLToPath(import.meta.url)), 'support/alerts.promtest.yaml');

interface Rule {
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RuleGroup {
  name: string;
  rules: Rule[];
}
interface PromTest {
  rule_files: string[];
  tests: Array<{ alert_rule_test?: Array<{ alertname: string; exp_alerts: unknown[] }> }>;
}

/** The rule groups of the rendered PrometheusRule. */
function groupsOf(rule: Manifest): RuleGroup[] {
  return (rule['spec'] as { groups: RuleGroup[] }).groups;
}

describe('the chart’s alerts (prometheusRule.enabled)', function () {
  this.timeout(60_000);
  const helm = helms()[0];
  let home: string;
  let work: string;
  let rule: Manifest;

  before(async () => {
    assert.ok(helm, 'no Helm binary: run node scripts/ensure-tools.mjs');
    home = mkdtempSync(join(tmpdir(), 'eco-alerts-home-'));
    work = mkdtempSync(join(tmpdir(), 'eco-alerts-'));
    const objs = await template(helm, home, [
      '--set',
      'prometheusRule.enabled=true',
      '--set',
      'prometheusRule.labels.release=prometheus',
    ]);
    const rules = objs.filter((o) => o.kind === 'PrometheusRule');
    assert.equal(rules.length, 1, 'expected one PrometheusRule');
    rule = rules[0] as Manifest;
    // What Prometheus loads from the PrometheusRule, as a rule file beside the promtool tests.
    writeFileSync(join(work, 'rules.yaml'), stringify({ groups: groupsOf(rule) }));
    copyFileSync(PROMTEST_FILE, join(work, 'alerts.promtest.yaml'));
  });

  after(() => {
    rmSync(home, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  });

  it('renders no PrometheusRule by default', async () => {
    const objs = await template(helm as NonNullable<typeof helm>, home);
    assert.deepEqual(
      objs.filter((o) => o.kind === 'PrometheusRule'),
      [],
    );
  });

  it('renders the groups of files/prometheus-rules.yaml unchanged, labelled, valid for the Prometheus Operator', () => {
    const fromFile = (parse(readFileSync(RULES_FILE, 'utf8')) as { groups: RuleGroup[] }).groups;
    assert.deepEqual(groupsOf(rule), fromFile);
    assert.equal(rule.metadata.labels?.['release'], 'prometheus');
    assert.equal(rule.metadata.namespace, 'eco-system');
    new PrometheusRule(rule as unknown as ConstructorParameters<typeof PrometheusRule>[0]).validate();
  });

  it('gives every alert a duration or an instant reason, a severity, a summary, a description and a runbook', () => {
    const alerts = groupsOf(rule).flatMap((g) => g.rules.filter((r) => r.alert !== undefined));
    assert.ok(alerts.length >= 6, `only ${alerts.length} alerts`);
    for (const a of alerts) {
      assert.match(a.labels?.['severity'] ?? '', /^(critical|warning|info)$/, `${a.alert}: severity`);
      for (const key of ['summary', 'description', 'runbook']) {
        assert.ok((a.annotations?.[key] ?? '').length > 20, `${a.alert}: annotation ${key}`);
      }
      // An alert on a counter's increase fires at once; every other one waits to ride out blips.
      assert.ok(a.for !== undefined || /increase\(/.test(a.expr), `${a.alert}: no for:`);
    }
  });

  it('passes promtool check rules', async () => {
    const { code, output } = await promtool(['check', 'rules', 'rules.yaml'], work);
    assert.equal(code, 0, output);
    assert.match(output, /SUCCESS: \d+ rules found/);
  });

  it('has promtool cases where each alert fires and where it must not', () => {
    const tests = parse(readFileSync(PROMTEST_FILE, 'utf8')) as PromTest;
    assert.deepEqual(tests.rule_files, ['rules.yaml']);
    const cases = tests.tests.flatMap((t) => t.alert_rule_test ?? []);
    for (const g of groupsOf(rule)) {
      for (const r of g.rules) {
        if (r.alert === undefined) continue;
        const mine = cases.filter((c) => c.alertname === r.alert);
        assert.ok(
          mine.some((c) => c.exp_alerts.length > 0),
          `${r.alert}: no case where it fires`,
        );
        assert.ok(
          mine.some((c) => c.exp_alerts.length === 0),
          `${r.alert}: no case where it must stay silent`,
        );
      }
    }
  });

  it('passes every promtool test rules case', async () => {
    const { code, output } = await promtool(['test', 'rules', 'alerts.promtest.yaml'], work);
    assert.equal(code, 0, output);
    assert.match(output, /SUCCESS/);
  });

  it('fails the promtool cases when an alert is changed (the cases can fail)', async () => {
    const broken = groupsOf(rule).map((g) => ({
      ...g,
      rules: g.rules.map((r) => (r.alert === 'EtcdConfigSourceDown' ? { ...r, for: '1m' } : r)),
    }));
    const dir = mkdtempSync(join(tmpdir(), 'eco-alerts-broken-'));
    try {
      writeFileSync(join(dir, 'rules.yaml'), stringify({ groups: broken }));
      copyFileSync(PROMTEST_FILE, join(dir, 'alerts.promtest.yaml'));
      const { code, output } = await promtool(['test', 'rules', 'alerts.promtest.yaml'], dir);
      assert.notEqual(code, 0, output);
      assert.match(output, /alertname: EtcdConfigSourceDown/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
