import { strict as assert } from 'node:assert';
import type { PrefixSync } from '../../../src/api/index.js';
import { SourceConnections } from '../../../src/controller/connections/source-connections.js';
import { PendingChanges } from '../../../src/controller/prefixsync/pending-changes.js';
import { PrefixSnapshots, type SourcesRead } from '../../../src/controller/prefixsync/snapshots.js';

/** A PrefixSync whose status last reported `a` at 100 and `b` at 50 (two clusters). */
const TWO_CLUSTERS: PrefixSync = {
  apiVersion: 'etcdconfig.dev/v1alpha1',
  kind: 'PrefixSync',
  metadata: { name: 'app', namespace: 'ns' },
  spec: { sourceRef: { name: 'a' }, sources: [{ prefix: '/x/' }], target: { name: 'cfg' } },
  status: {
    syncedRevision: '100',
    sources: [
      { sourceRef: { name: 'a' }, prefix: '/x/', revision: '100' },
      { sourceRef: { name: 'b' }, prefix: '/y/', revision: '50' },
    ],
  },
};

function read(a: bigint, b: bigint): SourcesRead {
  return {
    revision: a,
    sources: [],
    clusters: [
      { source: 'a', revision: a },
      { source: 'b', revision: b },
    ],
  };
}

describe('PrefixSnapshots with sources on two clusters', () => {
  let connections: SourceConnections;
  let snapshots: PrefixSnapshots;

  beforeEach(() => {
    connections = new SourceConnections({ progressRequestIntervalMs: 0 });
    for (const name of ['a', 'b']) {
      // Never dialled: the client connects on its first request, and none is made here.
      connections.connect(name, { endpoints: ['127.0.0.1:9'], fingerprint: name });
    }
    connections.setHealth('a', { state: 'ready', clusterId: '1', memberCount: 1, revision: 120n });
    snapshots = new PrefixSnapshots(connections, new PendingChanges());
  });

  afterEach(async () => {
    await connections.close();
  });

  it('waits for a mirror of either cluster that is behind what status reports while its etcd is not', () => {
    connections.setHealth('b', { state: 'ready', clusterId: '2', memberCount: 1, revision: 60n });
    assert.equal(snapshots.isMirrorBehind(TWO_CLUSTERS, read(100n, 40n)), true);
    assert.equal(snapshots.isMirrorBehind(TWO_CLUSTERS, read(100n, 50n)), false);
  });

  it('applies a cluster that went back (its etcd is lower too), and has that cluster report it', () => {
    connections.setHealth('b', { state: 'ready', clusterId: '2', memberCount: 1, revision: 30n });
    const r = read(100n, 30n);
    assert.equal(snapshots.isMirrorBehind(TWO_CLUSTERS, r), false);
    // Not the primary cluster: status.syncedRevision's story is unchanged, the source says it.
    assert.equal(snapshots.wentBackFrom(TWO_CLUSTERS, r), undefined);
    assert.deepEqual(connections.takeWentBack('b'), { fromRevision: 50n, toRevision: 30n });
    assert.equal(connections.takeWentBack('a'), undefined);
  });

  it('says the primary cluster went back from the revision status reports for it', () => {
    connections.setHealth('a', { state: 'ready', clusterId: '1', memberCount: 1, revision: 10n });
    assert.equal(snapshots.wentBackFrom(TWO_CLUSTERS, read(10n, 50n)), 100n);
  });
});
