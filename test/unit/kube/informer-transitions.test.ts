import { strict as assert } from 'node:assert';
import { INFORMER_TRANSITIONS, type InformerState } from '../../../src/kube/informer.js';

describe('Informer transitions', () => {
  const states = Object.keys(INFORMER_TRANSITIONS) as InformerState[];
  it('lists first, and watches only after a list, a watch or a backoff', () => {
    assert.deepEqual([...INFORMER_TRANSITIONS.idle], ['listing', 'closed']);
    assert.deepEqual(
      states.filter((s) => INFORMER_TRANSITIONS[s].includes('watching')),
      ['listing', 'watching', 'backoff'],
    );
  });
  it('relists after 410 Gone (watching → listing) and rewatches a healthy watch that ended', () => {
    assert.ok(INFORMER_TRANSITIONS.watching.includes('listing'));
    assert.ok(INFORMER_TRANSITIONS.watching.includes('watching'));
  });
  it('can close from anywhere, and closed is terminal', () => {
    for (const s of states) if (s !== 'closed') assert.ok(INFORMER_TRANSITIONS[s].includes('closed'), s);
    assert.deepEqual(INFORMER_TRANSITIONS.closed, []);
  });
});
