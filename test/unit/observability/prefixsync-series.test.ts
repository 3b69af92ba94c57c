// The per-PrefixSync gauges rendered beside prom-client: the same text a prom-client gauge would give
// (label escaping included), one line set per PrefixSync, forgotten on removal.
import { strict as assert } from 'node:assert';
import { Gauge, Registry } from 'prom-client';
import { PrefixSyncSeries } from '../../../src/observability/prefixsync-series.js';

/** What prom-client renders for the same series. */
async function promClientText(
  conditions: { namespace: string; name: string; type: string; status: string; reason: string }[],
  lags: { namespace: string; name: string; lag: number }[],
): Promise<string> {
  const registry = new Registry();
  const lag = new Gauge({
    name: 'etcdconfig_prefixsync_revision_lag',
    help: 'etcd revisions the mirror has seen beyond the revision the ConfigMap holds, per PrefixSync',
    labelNames: ['namespace', 'name'],
    registers: [registry],
  });
  const condition = new Gauge({
    name: 'etcdconfig_prefixsync_status_condition',
    help: 'The current status and reason of each condition of each PrefixSync (1 per condition), as kube-state-metrics does for built-in kinds',
    labelNames: ['namespace', 'name', 'type', 'status', 'reason'],
    registers: [registry],
  });
  for (const l of lags) lag.set({ namespace: l.namespace, name: l.name }, l.lag);
  for (const c of conditions) condition.set(c, 1);
  return registry.metrics();
}

const lines = (text: string): string[] => text.split('\n').filter((l) => l !== '');

describe('PrefixSyncSeries', () => {
  it('renders what prom-client gauges would, label values escaped', async () => {
    const series = new PrefixSyncSeries();
    const odd = 'quote " back \\ new\nline';
    series.setConditions('team', 'app', [
      { type: 'Ready', status: 'False', reason: odd },
      { type: 'Synced', status: 'True', reason: 'Synced' },
    ]);
    series.setLag('team', 'app', 3n);
    series.setLag('team', 'behind', -2n); // never below 0
    const expected = await promClientText(
      [
        { namespace: 'team', name: 'app', type: 'Ready', status: 'False', reason: odd },
        { namespace: 'team', name: 'app', type: 'Synced', status: 'True', reason: 'Synced' },
      ],
      [
        { namespace: 'team', name: 'app', lag: 3 },
        { namespace: 'team', name: 'behind', lag: 0 },
      ],
    );
    assert.deepEqual(lines(series.render()), lines(expected));
  });

  it('keeps only the conditions given last, and forgets a removed PrefixSync or everything on clear()', () => {
    const series = new PrefixSyncSeries();
    series.setConditions('team', 'a', [{ type: 'Ready', status: 'True', reason: 'Synced' }]);
    series.setConditions('team', 'a', [{ type: 'Ready', status: 'False', reason: 'SourceUnavailable' }]);
    series.setConditions('team', 'b', [{ type: 'Ready', status: 'True', reason: 'Synced' }]);
    series.setLag('team', 'a', 1n);
    const data = (): string[] => lines(series.render()).filter((l) => !l.startsWith('#'));
    assert.deepEqual(data(), [
      'etcdconfig_prefixsync_revision_lag{namespace="team",name="a"} 1',
      'etcdconfig_prefixsync_status_condition{namespace="team",name="a",type="Ready",status="False",reason="SourceUnavailable"} 1',
      'etcdconfig_prefixsync_status_condition{namespace="team",name="b",type="Ready",status="True",reason="Synced"} 1',
    ]);
    series.remove('team', 'a');
    assert.deepEqual(data(), [
      'etcdconfig_prefixsync_status_condition{namespace="team",name="b",type="Ready",status="True",reason="Synced"} 1',
    ]);
    series.clear();
    assert.deepEqual(data(), []);
    assert.equal(lines(series.render()).length, 4, 'HELP and TYPE of both gauges stay');
  });
});
