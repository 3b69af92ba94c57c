import { strict as assert } from 'node:assert';
import { OperatorMetrics } from '../../../src/observability/index.js';

describe('OperatorMetrics.clearLeaderSeries', () => {
  it('drops the per-PrefixSync series and source readiness, keeps the rest, and lets them be set again', async () => {
    const metrics = new OperatorMetrics({ defaultMetrics: false });
    metrics.setLeader('lease', true);
    metrics.setRevisionLag('ns', 'app', 3n);
    metrics.setPrefixSyncConditions('ns', 'app', [{ type: 'Ready', status: 'True', reason: 'Synced' }]);
    metrics.incSyncFailure('ns', 'app', 'RenderFailed');
    metrics.setSourceReady('main', true);
    metrics.incSync('written');
    const leaderOnly = /^etcdconfig_(prefixsync_\w+|source_ready)\{/m;
    assert.match((await metrics.render()).body, leaderOnly);

    metrics.clearLeaderSeries();
    const body = (await metrics.render()).body;
    assert.doesNotMatch(body, leaderOnly);
    assert.match(body, /leader_election_master_status\{name="lease"\} 1/);
    assert.match(body, /etcdconfig_configmap_syncs_total\{result="written"\} 1/);

    // A condition that had a series before is set afresh (the forgotten bookkeeping does not hide it).
    metrics.setPrefixSyncConditions('ns', 'app', [{ type: 'Ready', status: 'True', reason: 'Synced' }]);
    assert.match(
      (await metrics.render()).body,
      /etcdconfig_prefixsync_status_condition\{namespace="ns",name="app",type="Ready",status="True",reason="Synced"\} 1/,
    );
  });
});

describe('OperatorMetrics.setPrefixSyncConditions', () => {
  const series = async (metrics: OperatorMetrics): Promise<string[]> =>
    (await metrics.render()).body
      .split('\n')
      .filter((l) => l.startsWith('etcdconfig_prefixsync_status_condition{'))
      .sort();

  it('keeps one series per condition as it is now: unchanged sets change nothing, a new reason replaces the old', async () => {
    const metrics = new OperatorMetrics({ defaultMetrics: false });
    const ready = { type: 'Ready', status: 'True', reason: 'Synced' };
    const synced = { type: 'Synced', status: 'True', reason: 'Synced' };
    metrics.setPrefixSyncConditions('ns', 'app', [ready, synced]);
    const first = await series(metrics);
    assert.equal(first.length, 2);
    metrics.setPrefixSyncConditions('ns', 'app', [ready, synced]);
    assert.deepEqual(await series(metrics), first);

    metrics.setPrefixSyncConditions('ns', 'app', [
      { ...ready, status: 'False', reason: 'SourceUnavailable' },
      synced,
    ]);
    assert.deepEqual(await series(metrics), [
      'etcdconfig_prefixsync_status_condition{namespace="ns",name="app",type="Ready",status="False",reason="SourceUnavailable"} 1',
      'etcdconfig_prefixsync_status_condition{namespace="ns",name="app",type="Synced",status="True",reason="Synced"} 1',
    ]);
    // A condition that goes away takes its series with it.
    metrics.setPrefixSyncConditions('ns', 'app', [ready]);
    assert.deepEqual(await series(metrics), [
      'etcdconfig_prefixsync_status_condition{namespace="ns",name="app",type="Ready",status="True",reason="Synced"} 1',
    ]);
  });
});
