import { strict as assert } from 'node:assert';
import { describeWentBack, sourceWentBack } from '../../../src/controller/connections/went-back.js';
import type { SourceHealth } from '../../../src/controller/index.js';

const ready = (revision: bigint, clusterId = 'c1'): SourceHealth => ({
  state: 'ready',
  clusterId,
  memberCount: 1,
  revision,
});

describe('sourceWentBack (has etcd gone back in time between two probes?)', () => {
  const cases: [string, Parameters<typeof sourceWentBack>[0], SourceHealth, string | undefined][] = [
    ['no status yet', undefined, ready(5n), undefined],
    ['status without a revision', { clusterId: 'c1' }, ready(5n), undefined],
    ['same revision', { revision: '5', clusterId: 'c1' }, ready(5n), undefined],
    ['revision moved on', { revision: '5', clusterId: 'c1' }, ready(9n), undefined],
    [
      'probe failed',
      { revision: '5' },
      { state: 'failed', reason: 'SourceUnavailable', message: 'x' },
      undefined,
    ],
    ['revision lower', { revision: '51', clusterId: 'c1' }, ready(2n), '51->2'],
    [
      'another cluster, revision higher',
      { revision: '5', clusterId: 'c1' },
      ready(90n, 'c2'),
      '5->90 c1->c2',
    ],
    ['another cluster, revision lower', { revision: '51', clusterId: 'c1' }, ready(1n, 'c2'), '51->1 c1->c2'],
  ];
  for (const [name, previous, health, want] of cases) {
    it(name, () => {
      const w = sourceWentBack(previous, health);
      const got =
        w &&
        `${w.fromRevision}->${w.toRevision}${w.clusterId ? ` ${w.previousClusterId}->${w.clusterId}` : ''}`;
      assert.equal(got, want);
    });
  }

  it('names both revisions, and the cluster IDs when they changed', () => {
    assert.match(
      describeWentBack('main', { fromRevision: 51n, toRevision: 1n, previousClusterId: 'a', clusterId: 'b' }),
      /^etcd went back from revision 51 to 1 and its cluster ID changed from a to b: /,
    );
    assert.match(
      describeWentBack('main', { fromRevision: 51n, toRevision: 2n }),
      /^etcd went back from revision 51 to 2: ClusterEtcdSource main was restored/,
    );
    assert.match(
      describeWentBack('main', { fromRevision: 5n, toRevision: 9n, previousClusterId: 'a', clusterId: 'b' }),
      /^etcd's cluster ID changed from a to b \(revision 5 before, 9 now\)/,
    );
  });
});
