import { strict as assert } from 'node:assert';
import { CreateQueue } from '../../../src/etcd/create-queue.js';
import { Watcher, type WatcherHost } from '../../../src/etcd/watcher.js';

const host: WatcherHost = { resumePaused: () => undefined, cancelWatcher: (w) => w.finish() };

function watcher(seq: number): Watcher {
  const spec = { key: Buffer.from(`/k${seq}`), rangeEnd: undefined, fromRevision: undefined };
  return new Watcher(
    { ...spec, prevKv: false, filters: [], progressNotify: false },
    seq,
    { maxBytes: 1e6, maxMessages: 100 },
    host,
    undefined,
  );
}

describe('CreateQueue', () => {
  it('sends creates in seq order, whatever order the watchers were queued in', () => {
    const q = new CreateQueue();
    const [w0, w1, w2] = [watcher(0), watcher(1), watcher(2)];
    q.add(w2);
    q.add(w0);
    q.add(w1);
    const sent: number[] = [];
    for (let w = q.startNext(); w; q.settle(), w = q.startNext()) sent.push(w.seq);
    assert.deepEqual(sent, [0, 1, 2]);
  });

  it('has one create in flight at a time, until its reply settles it', () => {
    const q = new CreateQueue();
    const [w0, w1] = [watcher(0), watcher(1)];
    q.add(w0);
    q.add(w1);
    assert.equal(q.startNext(), w0);
    assert.equal(q.creating, w0);
    assert.equal(q.startNext(), undefined, 'a created reply names no request: only one in flight');
    assert.equal(q.settle(), w0);
    assert.equal(q.creating, undefined);
    assert.equal(q.startNext(), w1);
  });

  it('skips watchers that are no longer queued, and removed ones', () => {
    const q = new CreateQueue();
    const [w0, w1, w2] = [watcher(0), watcher(1), watcher(2)];
    for (const w of [w0, w1, w2]) q.add(w);
    w0.finish();
    q.remove(w1);
    assert.equal(q.startNext(), w2);
  });

  it('forgets everything on clear', () => {
    const q = new CreateQueue();
    q.add(watcher(0));
    q.add(watcher(1));
    q.startNext();
    q.clear();
    assert.equal(q.creating, undefined);
    assert.equal(q.startNext(), undefined);
  });
});
