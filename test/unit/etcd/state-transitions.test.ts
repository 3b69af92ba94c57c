import { strict as assert } from 'node:assert';
import { MIRROR_TRANSITIONS, type MirrorState } from '../../../src/etcd/prefix-mirror.js';
import { STREAM_TRANSITIONS, type StreamState } from '../../../src/etcd/watch-stream.js';

/** States reachable from `from` through `table`. */
function reachable<S extends string>(table: Readonly<Record<S, readonly S[]>>, from: S): Set<S> {
  const seen = new Set<S>([from]);
  const todo: S[] = [from];
  for (let s = todo.pop(); s !== undefined; s = todo.pop()) {
    for (const next of table[s]) if (!seen.has(next)) seen.add(next) && todo.push(next);
  }
  return seen;
}

describe('WatchStream transitions', () => {
  const states = Object.keys(STREAM_TRANSITIONS) as StreamState[];
  it('ends in closed, which has no way out', () => {
    assert.deepEqual(STREAM_TRANSITIONS.closed, []);
    for (const s of states) assert.ok(STREAM_TRANSITIONS[s].includes('closed') || s === 'closed', s);
  });
  it('reaches every state from idle', () => {
    assert.deepEqual([...reachable(STREAM_TRANSITIONS, 'idle')].sort(), [...states].sort());
  });
  it('leaves idle and backoff only by connecting (or closing)', () => {
    assert.deepEqual([...STREAM_TRANSITIONS.idle], ['connecting', 'closed']);
    assert.deepEqual([...STREAM_TRANSITIONS.backoff], ['connecting', 'closed']);
  });
  it('opens only from connecting, and never stays in a state by transition', () => {
    for (const s of states) {
      assert.equal(STREAM_TRANSITIONS[s].includes('open'), s === 'connecting', s);
      assert.equal(STREAM_TRANSITIONS[s].includes(s), false, s);
    }
  });
});

describe('PrefixMirror transitions', () => {
  it('starts only when new, runs only after starting, and ends in closed', () => {
    const states = Object.keys(MIRROR_TRANSITIONS) as MirrorState[];
    for (const s of states) {
      assert.equal(MIRROR_TRANSITIONS[s].includes('starting'), s === 'new', s);
      assert.equal(MIRROR_TRANSITIONS[s].includes('running'), s === 'starting', s);
      if (s !== 'closed') assert.ok(MIRROR_TRANSITIONS[s].includes('closed'), s);
    }
    assert.deepEqual(MIRROR_TRANSITIONS.closed, []);
  });
  it('goes back to new only from a failed start', () => {
    assert.deepEqual(
      (Object.keys(MIRROR_TRANSITIONS) as MirrorState[]).filter((s) => MIRROR_TRANSITIONS[s].includes('new')),
      ['starting'],
    );
  });
});
