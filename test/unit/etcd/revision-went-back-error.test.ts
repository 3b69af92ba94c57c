import { strict as assert } from 'node:assert';
import { EtcdError, RevisionWentBackError, canHeal } from '../../../src/etcd/errors.js';
import * as etcd from '../../../src/etcd/index.js';

describe('RevisionWentBackError', () => {
  it('names both revisions and suggests the likely causes', () => {
    const err = new RevisionWentBackError(51n, 1n);
    assert.ok(err instanceof EtcdError);
    assert.equal(err.name, 'RevisionWentBackError');
    assert.equal(err.seenRevision, 51n);
    assert.equal(err.etcdRevision, 1n);
    assert.equal(err.previousClusterId, undefined);
    assert.equal(err.clusterId, undefined);
    assert.equal(err.message, 'etcd went back from revision 51 to 1 (restored from a backup or wiped?)');
  });

  it('carries both cluster IDs, and names them, when they differ', () => {
    const err = new RevisionWentBackError(51n, 7n, { previousClusterId: '11', clusterId: '22' });
    assert.equal(err.previousClusterId, '11');
    assert.equal(err.clusterId, '22');
    assert.match(err.message, /from revision 51 to 7/);
    assert.match(err.message, /cluster ID changed from 11 to 22/);
  });

  it('leaves cluster IDs out when they are the same', () => {
    const err = new RevisionWentBackError(51n, 7n, { previousClusterId: '11', clusterId: '11' });
    assert.equal(err.previousClusterId, undefined);
    assert.equal(err.clusterId, undefined);
  });

  it('is terminal for the watch: the stream does not heal it', () => {
    assert.equal(canHeal(new RevisionWentBackError(2n, 1n)), false);
  });

  it('is part of the public surface', () => {
    assert.equal(etcd.RevisionWentBackError, RevisionWentBackError);
  });
});
