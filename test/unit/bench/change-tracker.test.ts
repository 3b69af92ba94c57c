import { strict as assert } from 'node:assert';
import { ChangeTracker } from '../../../bench/operator/change-tracker.js';

describe('ChangeTracker (bench:operator steady phase)', () => {
  it('times each change from when it was made to when a ConfigMap showed it', () => {
    const t = new ChangeTracker();
    t.make('p1', 0, 100);
    t.make('p2', 1, 105);
    t.seen('p2', 1, 115);
    t.seen('p1', 0, 130);
    const s = t.summary();
    assert.deepEqual([s.made, s.seen, s.missing, s.superseded], [2, 2, 0, 0]);
    assert.deepEqual([s.p50, s.max, s.lastSeenAt], [10, 30, 130]);
  });

  it('counts earlier changes of a prefix as seen, and superseded, when a later one shows', () => {
    const t = new ChangeTracker();
    t.make('p', 0, 0);
    t.make('p', 1, 10);
    t.make('p', 2, 20);
    t.seen('p', 1, 50);
    assert.equal(t.outstanding, 1);
    const s = t.summary();
    assert.deepEqual([s.seen, s.superseded, s.missing, s.max], [2, 1, 1, 50]);
  });

  it('ignores repeats, older values and prefixes without changes', () => {
    const t = new ChangeTracker();
    t.make('p', 5, 0);
    t.seen('p', 4, 10);
    t.seen('q', 9, 10);
    assert.equal(t.outstanding, 1);
    t.seen('p', 5, 20);
    t.seen('p', 5, 30);
    const s = t.summary();
    assert.deepEqual([s.made, s.seen, s.missing, s.max], [1, 1, 0, 20]);
  });

  it('gives each window the changes seen since the previous one, and the whole run still in summary()', () => {
    const t = new ChangeTracker();
    t.make('p', 0, 0);
    t.make('q', 1, 0);
    t.seen('p', 0, 10);
    t.seen('q', 1, 900);
    assert.deepEqual(t.sinceLastWindow(), { seen: 2, p99: 900, max: 900 });
    t.make('p', 2, 1000);
    t.seen('p', 2, 1005);
    assert.deepEqual(t.sinceLastWindow(), { seen: 1, p99: 5, max: 5 });
    assert.equal(t.sinceLastWindow().seen, 0);
    assert.equal(t.summary().max, 900);
  });
});
