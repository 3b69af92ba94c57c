import { strict as assert } from 'node:assert';
import { MAX_DEBOUNCE_FACTOR, PendingChanges } from '../../../src/controller/index.js';
import { FakeClock } from '../../../src/base/index.js';

describe('PendingChanges (what is not yet in a ConfigMap)', () => {
  let clock: FakeClock;
  let pending: PendingChanges;
  beforeEach(() => {
    clock = new FakeClock();
    pending = new PendingChanges({ clock });
  });

  describe('trailing debounce', () => {
    it('waits until the prefix has been quiet for spec.debounce, measured from the last change', () => {
      pending.track('ns/a', 1_000);
      assert.equal(pending.debounceWait('ns/a'), 0, 'nothing pending: go');
      pending.noteChange('ns/a', 10n);
      assert.equal(pending.debounceWait('ns/a'), 1_000);
      clock.advance(600);
      pending.noteChange('ns/a', 11n);
      assert.equal(pending.debounceWait('ns/a'), 1_000, 'a later change restarts the quiet period');
      clock.advance(1_000);
      assert.equal(pending.debounceWait('ns/a'), 0);
    });

    it(`publishes a prefix that never goes quiet after ${MAX_DEBOUNCE_FACTOR} debounce periods`, () => {
      pending.track('ns/a', 100);
      for (let i = 0; i < 30; i++) {
        pending.noteChange('ns/a', BigInt(10 + i));
        clock.advance(50);
      }
      assert.equal(pending.debounceWait('ns/a'), 0, `${30 * 50} ms > ${MAX_DEBOUNCE_FACTOR} × 100 ms`);
    });

    it('a snapshot that covers the burst ends it; an older one does not', () => {
      pending.track('ns/a', 1_000);
      pending.noteChange('ns/a', 20n);
      pending.noteSnapshot('ns/a', 19n);
      assert.equal(pending.debounceWait('ns/a'), 1_000);
      pending.noteSnapshot('ns/a', 20n);
      assert.equal(pending.debounceWait('ns/a'), 0);
      assert.equal(pending.mirrorRevision('ns/a'), 20n);
    });

    it('ignores changes of a PrefixSync never reconciled, and forgets a deleted one', () => {
      pending.noteChange('ns/new', 5n);
      assert.equal(pending.debounceWait('ns/new'), 0);
      assert.equal(pending.debounceOf('ns/new'), 0);
      pending.track('ns/a', 500);
      assert.equal(pending.debounceOf('ns/a'), 500);
      pending.noteChange('ns/a', 6n);
      pending.forget('ns/a');
      assert.equal(pending.debounceWait('ns/a'), 0);
      assert.equal(pending.debounceOf('ns/a'), 0);
    });
  });

  describe('put → ConfigMap latency', () => {
    it('is measured from the first change not yet applied to the write that covers the latest one', () => {
      pending.track('ns/a', 0);
      pending.noteChange('ns/a', 10n);
      clock.advance(30);
      pending.noteChange('ns/a', 12n);
      clock.advance(20);
      assert.equal(pending.noteApplied('ns/a', 11n, true), undefined, 'an older snapshot does not end it');
      clock.advance(5);
      assert.equal(pending.noteApplied('ns/a', 12n, true), 55);
      assert.equal(pending.noteApplied('ns/a', 12n, true), undefined, 'measured once');
    });

    it('ends without a sample when the ConfigMap already held the content (no write)', () => {
      pending.track('ns/a', 0);
      pending.noteChange('ns/a', 10n);
      clock.advance(40);
      assert.equal(pending.noteApplied('ns/a', 10n, false), undefined);
      pending.noteChange('ns/a', 11n);
      clock.advance(7);
      assert.equal(pending.noteApplied('ns/a', 11n, true), 7, 'the next change starts a new clock');
    });
  });

  describe('put → ConfigMap latency without the debounce wait', () => {
    it('counts from when spec.debounce let the burst through, not from its first change', () => {
      pending.track('ns/a', 500);
      pending.noteChange('ns/a', 10n);
      clock.advance(200);
      pending.noteChange('ns/a', 11n);
      clock.advance(500); // quiet for 500 ms since the last change: released now
      pending.noteSnapshot('ns/a', 11n);
      clock.advance(12);
      assert.equal(pending.noteApplied('ns/a', 11n, true), 12);
    });

    it('a burst that never goes quiet is released at 10 debounce periods after its first change', () => {
      pending.track('ns/a', 100);
      pending.noteChange('ns/a', 10n);
      for (let i = 0; i < 15; i++) {
        clock.advance(90);
        pending.noteChange('ns/a', BigInt(11 + i));
      }
      pending.noteSnapshot('ns/a', 25n); // at 1350 ms; released at 1000 ms
      clock.advance(3);
      assert.equal(pending.noteApplied('ns/a', 25n, true), 353);
    });

    it('the change a write published is aged once, for the change → rollout complete metric', () => {
      pending.track('ns/a', 0);
      pending.noteChange('ns/a', 10n);
      clock.advance(8);
      pending.noteApplied('ns/a', 10n, true);
      clock.advance(4000);
      assert.equal(pending.takePublishedChangeAge('ns/a'), 4008);
      assert.equal(pending.takePublishedChangeAge('ns/a'), undefined);
    });
  });

  describe('force-sync annotation', () => {
    it('the first look only records it; a change is due until honoured, also across a failed read', () => {
      assert.equal(pending.isForceSyncDue('ns/a', undefined), false);
      pending.recordForceSync('ns/a', undefined);
      assert.equal(pending.isForceSyncDue('ns/a', undefined), false);
      assert.equal(pending.isForceSyncDue('ns/a', 'now'), true);
      // the fresh read failed: nothing recorded, still due on the retry
      assert.equal(pending.isForceSyncDue('ns/a', 'now'), true);
      pending.recordForceSync('ns/a', 'now');
      assert.equal(pending.isForceSyncDue('ns/a', 'now'), false);
      assert.equal(
        pending.isForceSyncDue('ns/a', undefined),
        true,
        'removing the annotation is a change too',
      );
    });

    it('an annotation present at the first look is not a change', () => {
      assert.equal(pending.isForceSyncDue('ns/b', 'x'), false);
    });
  });
});
