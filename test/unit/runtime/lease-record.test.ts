import { strict as assert } from 'node:assert';
import { V1MicroTime, type V1Lease } from '@kubernetes/client-node';
import {
  isHeldByOther,
  nextAttemptAt,
  nextLeaseSpec,
  observeLease,
  releasedLeaseSpec,
  type Observation,
} from '../../../src/runtime/lease-record.js';

const lease = (rv: string, holder?: string, seconds?: number): V1Lease => ({
  metadata: { name: 'l', resourceVersion: rv },
  spec: { holderIdentity: holder, leaseDurationSeconds: seconds },
});
const seen = (holder: string, observedAt = 1_000, leaseDurationMs = 15_000): Observation => ({
  resourceVersion: '1',
  holder,
  leaseDurationMs,
  observedAt,
});

describe('Lease record arithmetic', () => {
  describe('observeLease', () => {
    it('dates a new record from this clock, and keeps the date while the record is unchanged', () => {
      const first = observeLease(undefined, lease('1', 'a', 10), 15_000, 1_000);
      assert.deepEqual(first, {
        resourceVersion: '1',
        holder: 'a',
        leaseDurationMs: 10_000,
        observedAt: 1_000,
      });
      assert.equal(observeLease(first, lease('1', 'a', 10), 15_000, 5_000), first);
      assert.equal(observeLease(first, lease('2', 'a', 10), 15_000, 5_000).observedAt, 5_000);
    });

    it('reads a Lease without holder or duration as free, with the default duration', () => {
      const o = observeLease(undefined, { metadata: { resourceVersion: '3' } }, 15_000, 0);
      assert.equal(o.holder, '');
      assert.equal(o.leaseDurationMs, 15_000);
    });
  });

  describe('isHeldByOther', () => {
    const table: Array<[string, Observation, number, boolean]> = [
      ['another holder, before expiry', seen('b'), 15_999, true],
      ['another holder, at expiry', seen('b'), 16_000, false],
      ['this process', seen('me'), 2_000, false],
      ['nobody (released)', seen(''), 2_000, false],
    ];
    for (const [what, observation, now, expected] of table) {
      it(`${what} → ${expected}`, () => assert.equal(isHeldByOther(observation, 'me', now), expected));
    }
  });

  describe('nextAttemptAt (now 2 000, retry at 4 000)', () => {
    const table: Array<[string, Observation | undefined, boolean, boolean, number]> = [
      ['held by another, watching: at its expiry', seen('b'), false, true, 16_000],
      ['held by another, not watching: at the retry, if sooner', seen('b'), false, false, 4_000],
      ['held by another, expiring before the retry', seen('b', 1_000, 2_500), false, false, 3_500],
      ['held by another, changed since: still at its expiry', seen('b'), true, true, 16_000],
      ['free and unchanged: at the retry', seen(''), false, true, 4_000],
      ['free and changed since the attempt: at once', seen(''), true, true, 2_000],
      ['expired and unchanged: at the retry', seen('b', 0, 1_000), false, true, 4_000],
      ['never seen, changed: at once', undefined, true, false, 2_000],
      ['its own: at the retry', seen('me'), false, true, 4_000],
    ];
    for (const [what, observation, changed, watching, expected] of table) {
      it(what, () =>
        assert.equal(nextAttemptAt(observation, 'me', 2_000, 4_000, changed, watching), expected),
      );
    }
  });

  describe('nextLeaseSpec', () => {
    it('creates with no transitions, acquired and renewed now', () => {
      const spec = nextLeaseSpec('me', 15_000, 1_000, undefined);
      assert.equal(spec.holderIdentity, 'me');
      assert.equal(spec.leaseDurationSeconds, 15);
      assert.equal(spec.leaseTransitions, 0);
      assert.equal(spec.acquireTime?.getTime(), 1_000);
      assert.equal(spec.renewTime?.getTime(), 1_000);
      assert.ok(spec.renewTime instanceof V1MicroTime);
    });

    it('keeps acquireTime and the transition count on a renewal', () => {
      const acquired = new V1MicroTime(500);
      const previous = { holderIdentity: 'me', acquireTime: acquired, leaseTransitions: 3 };
      const spec = nextLeaseSpec('me', 15_000, 9_000, previous);
      assert.equal(spec.acquireTime, acquired);
      assert.equal(spec.leaseTransitions, 3);
      assert.equal(spec.renewTime?.getTime(), 9_000);
    });

    it('counts a takeover (from another holder or a released Lease) as a transition', () => {
      const previous = { holderIdentity: 'b', acquireTime: new V1MicroTime(500), leaseTransitions: 3 };
      const spec = nextLeaseSpec('me', 15_000, 9_000, previous);
      assert.equal(spec.leaseTransitions, 4);
      assert.equal(spec.acquireTime?.getTime(), 9_000);
      assert.equal(nextLeaseSpec('me', 15_000, 9_000, { holderIdentity: '' }).leaseTransitions, 1);
    });
  });

  describe('releasedLeaseSpec', () => {
    it('empties the holder and shortens the duration to 1 s, keeping the rest', () => {
      const spec = releasedLeaseSpec(
        { holderIdentity: 'me', leaseDurationSeconds: 15, leaseTransitions: 2 },
        7_000,
      );
      assert.equal(spec.holderIdentity, '');
      assert.equal(spec.leaseDurationSeconds, 1);
      assert.equal(spec.leaseTransitions, 2);
      assert.equal(spec.renewTime?.getTime(), 7_000);
    });
  });
});
