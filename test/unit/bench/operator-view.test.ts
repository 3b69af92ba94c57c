// The benchmark's reading of the operator's /metrics: a histogram's quantile over a window (two
// scrapes), counters summed over labels, and the event loop and GC figures of the window.
import { strict as assert } from 'node:assert';
import {
  counterDelta,
  histogramQuantileDelta,
  operatorWindow,
  parseMetrics,
} from '../../../bench/operator/operator-view.js';

/** A sync-latency histogram scrape with these cumulative counts at 5, 10, 25 ms and +Inf. */
function latency(c5: number, c10: number, c25: number, inf: number, extra = ''): string {
  const name = 'etcdconfig_sync_latency_seconds';
  return [
    `# HELP ${name} x`,
    `# TYPE ${name} histogram`,
    `${name}_bucket{le="0.005"} ${c5}`,
    `${name}_bucket{le="0.01"} ${c10}`,
    `${name}_bucket{le="0.025"} ${c25}`,
    `${name}_bucket{le="+Inf"} ${inf}`,
    `${name}_sum 1`,
    `${name}_count ${inf}`,
    extra,
  ].join('\n');
}

describe('bench operator-view', () => {
  it('takes a quantile of what was observed between two scrapes only', () => {
    // Before: 100 fast observations. Window: 90 more under 5 ms, 9 in 10–25 ms, 1 above 25 ms.
    const before = parseMetrics(latency(100, 100, 100, 100));
    const after = parseMetrics(latency(190, 190, 199, 200));
    assert.equal(histogramQuantileDelta(before, after, 'etcdconfig_sync_latency_seconds', 0.5), 0.005);
    assert.equal(histogramQuantileDelta(before, after, 'etcdconfig_sync_latency_seconds', 0.95), 0.025);
    assert.equal(histogramQuantileDelta(before, after, 'etcdconfig_sync_latency_seconds', 1), Infinity);
    assert.ok(Number.isNaN(histogramQuantileDelta(after, after, 'etcdconfig_sync_latency_seconds', 0.5)));
  });

  it('sums a counter over its label sets, and reads the GC and event-loop figures of the window', () => {
    const before = parseMetrics(
      latency(
        0,
        0,
        0,
        0,
        'nodejs_gc_duration_seconds_sum{kind="minor"} 1.5\nx_total{a="1"} 2\nx_total{a="2"} 3',
      ),
    );
    const after = parseMetrics(
      latency(
        10,
        10,
        10,
        10,
        [
          'nodejs_gc_duration_seconds_sum{kind="minor"} 2',
          'nodejs_gc_duration_seconds_sum{kind="major"} 0.25',
          'nodejs_eventloop_lag_p99_seconds 0.012',
          'nodejs_eventloop_lag_max_seconds 0.2',
          'x_total{a="1"} 4',
          'x_total{a="2"} 5',
          'x_totally_else 100',
        ].join('\n'),
      ),
    );
    assert.equal(counterDelta(before, after, 'x_total'), 4);
    const w = operatorWindow(before, after);
    assert.equal(w.gcS['minor'], 0.5);
    assert.equal(w.gcS['major'], 0.25);
    assert.equal(w.syncP99Ms, 5);
    assert.equal(w.loopLagP99Ms, 12);
    assert.equal(w.loopLagMaxMs, 200);
  });
});
