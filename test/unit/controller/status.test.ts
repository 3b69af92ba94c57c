import { strict as assert } from 'node:assert';
import type { PrefixSyncStatus } from '../../../src/api/index.js';
import { nextStatus, type SyncOutcome } from '../../../src/controller/index.js';

const T0 = new Date('2026-01-01T00:00:00.000Z');
const T1 = new Date('2026-01-01T00:05:00.000Z');

function synced(
  rollout: Extract<SyncOutcome, { kind: 'synced' }>['rollout'],
  hash = 'h1',
  revision = 9n,
): SyncOutcome {
  return {
    kind: 'synced',
    configMap: 'cfg',
    prefix: '/app/',
    revision,
    contentHash: hash,
    keyCount: 2,
    byteCount: 5,
    rollout,
  };
}

function conditions(status: PrefixSyncStatus): Record<string, string> {
  return Object.fromEntries((status.conditions ?? []).map((c) => [c.type, `${c.status}/${c.reason}`]));
}

describe('PrefixSync status', () => {
  it('the first sync records revision, hash and counts, with RolledOut InitialSync', () => {
    const s = nextStatus(undefined, synced({ kind: 'initial' }), 4, T0);
    assert.equal(s.syncedRevision, '9');
    assert.equal(s.contentHash, 'h1');
    assert.equal(s.keyCount, 2);
    assert.equal(s.byteCount, 5);
    assert.equal(s.observedGeneration, 4);
    assert.equal(s.lastSyncTime, '2026-01-01T00:00:00Z');
    assert.equal(s.lastRolloutTime, undefined);
    assert.deepEqual(conditions(s), {
      Ready: 'True/Synced',
      Synced: 'True/Synced',
      RolledOut: 'True/InitialSync',
    });
    assert.deepEqual(
      s.conditions?.map((c) => c.type),
      ['Ready', 'Synced', 'RolledOut'],
    );
    assert.ok(s.conditions?.every((c) => c.observedGeneration === 4));
    assert.match(
      s.conditions?.find((c) => c.type === 'Synced')?.message ?? '',
      /cfg holds 2 keys of \/app\/ at revision 9/,
    );
  });

  it('a rollout records the workloads and the time', () => {
    const before = nextStatus(undefined, synced({ kind: 'initial' }), 1, T0);
    const rolled = [{ kind: 'Deployment' as const, name: 'web', hash: 'h2' }];
    const started = {
      kind: 'progressing' as const,
      started: true,
      rolled,
      patched: rolled,
      message: 'rolling',
      requeueAfterMs: 1,
    };
    const s = nextStatus(before, synced(started, 'h2', 10n), 1, T1);
    assert.equal(s.contentHash, 'h2');
    assert.deepEqual(s.rolledOut, rolled);
    assert.equal(s.lastRolloutTime, '2026-01-01T00:05:00Z');
    assert.deepEqual(s.rollout, {
      revision: '10',
      contentHash: 'h2',
      phase: 'Progressing',
      startTime: '2026-01-01T00:05:00Z',
      message: 'rolling',
    });
    assert.equal(conditions(s)['RolledOut'], 'Unknown/Progressing');
    const done = nextStatus(
      s,
      synced({ kind: 'complete', rolled, message: '1 of 1 available' }, 'h2', 11n),
      1,
      T1,
    );
    assert.equal(conditions(done)['RolledOut'], 'True/RolledOut');
    assert.equal(done.rollout?.phase, 'Complete');
    assert.equal(done.rollout?.revision, '10', 'the revision that was rolled out');
  });

  it('a failed rollout keeps the old hash so that the next reconcile retries it, and Ready says why', () => {
    const before = nextStatus(undefined, synced({ kind: 'initial' }), 1, T0);
    const s = nextStatus(
      before,
      synced(
        { kind: 'failed', reason: 'RolloutFailed', message: 'patching Deployment web failed', rolled: [] },
        'h2',
        10n,
      ),
      1,
      T1,
    );
    assert.equal(s.contentHash, 'h1');
    assert.equal(s.syncedRevision, '10');
    assert.deepEqual(conditions(s), {
      Ready: 'False/RolloutFailed',
      Synced: 'True/Synced',
      RolledOut: 'False/RolloutFailed',
    });
  });

  it('a missing target records the hash (the others run it; one created later starts with it)', () => {
    const before = nextStatus(undefined, synced({ kind: 'initial' }), 1, T0);
    const s = nextStatus(
      before,
      synced(
        { kind: 'failed', reason: 'TargetNotFound', message: 'Deployment web not found', rolled: [] },
        'h2',
        10n,
      ),
      1,
      T1,
    );
    assert.equal(s.contentHash, 'h2');
    assert.deepEqual(conditions(s), {
      Ready: 'False/TargetNotFound',
      Synced: 'True/Synced',
      RolledOut: 'False/TargetNotFound',
    });
  });

  it('a failed sync changes conditions only, and keeps transition times while the status holds', () => {
    const good = nextStatus(undefined, synced({ kind: 'disabled' }), 1, T0);
    const failed = nextStatus(
      good,
      { kind: 'failed', reason: 'InvalidKey', message: 'invalid key "/app/bad key"' },
      1,
      T1,
    );
    assert.equal(failed.syncedRevision, '9');
    assert.equal(failed.contentHash, 'h1');
    assert.deepEqual(conditions(failed), {
      Ready: 'False/InvalidKey',
      Synced: 'False/InvalidKey',
      RolledOut: 'True/RolloutDisabled',
    });
    const ready = failed.conditions?.find((c) => c.type === 'Ready');
    assert.equal(ready?.lastTransitionTime, '2026-01-01T00:05:00Z');
    assert.equal(
      failed.conditions?.find((c) => c.type === 'RolledOut')?.lastTransitionTime,
      '2026-01-01T00:00:00Z',
    );
    const again = nextStatus(
      failed,
      { kind: 'failed', reason: 'InvalidKey', message: 'invalid key "/app/bad key"' },
      1,
      new Date('2026-01-02T00:00:00Z'),
    );
    assert.deepEqual(again, failed, 'a repeated failure must not change status (no write)');
  });

  it('suspended and pending say so', () => {
    assert.deepEqual(conditions(nextStatus(undefined, { kind: 'suspended' }, 1, T0)), {
      Ready: 'False/Suspended',
      Synced: 'False/Suspended',
    });
    assert.deepEqual(conditions(nextStatus(undefined, { kind: 'pending', message: 'waiting' }, 1, T0)), {
      Ready: 'Unknown/Pending',
      Synced: 'Unknown/Pending',
    });
  });
});
