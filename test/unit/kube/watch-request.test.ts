import { strict as assert } from 'node:assert';
import type { KubernetesObject } from '@kubernetes/client-node';
import { GoneError } from '../../../src/kube/index.js';
import { startWatch, type WatchEventType } from '../../../src/kube/watch-request.js';

/** A client-node `Watch` stand-in: the test connects, feeds events and ends the stream by hand. */
class FakeWatcher {
  calls = 0;
  params: Record<string, unknown> | undefined;
  /** Aborted when startWatch ends the connected stream. */
  readonly stream = new AbortController();
  private send: ((type: string, obj: unknown) => void) | undefined;
  private done: ((err: unknown) => void) | undefined;
  private settle: { resolve: (c: AbortController) => void; reject: (e: unknown) => void } | undefined;

  watch(
    _path: string,
    params: Record<string, unknown>,
    send: (type: string, obj: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    this.calls++;
    this.params = params;
    this.send = send;
    this.done = done;
    return new Promise((resolve, reject) => (this.settle = { resolve, reject }));
  }
  connect(): void {
    this.settle!.resolve(this.stream);
  }
  refuse(err: unknown): void {
    this.settle!.reject(err);
  }
  event(type: string, obj: unknown): void {
    this.send!(type, obj);
  }
  end(err: unknown = null): void {
    this.done!(err);
  }
}

const obj = (rv: string): KubernetesObject => ({ metadata: { name: 'x', resourceVersion: rv } });

function start(watcher: FakeWatcher, signal = new AbortController().signal) {
  const events: Array<[WatchEventType, string | undefined]> = [];
  const watch = startWatch<KubernetesObject>({
    watcher,
    path: '/api/v1/configmaps',
    params: { resourceVersion: '5', allowWatchBookmarks: true },
    resource: 'configmaps',
    signal,
    onEvent: (type, o) => events.push([type, o.metadata?.resourceVersion]),
  });
  return { watch, events };
}

describe('startWatch', () => {
  it('passes events of known types on in order, and ends closed when the stream ends cleanly', async () => {
    const watcher = new FakeWatcher();
    const { watch, events } = start(watcher);
    assert.deepEqual(watcher.params, { resourceVersion: '5', allowWatchBookmarks: true });
    watcher.connect();
    await watch.connecting;
    watcher.event('ADDED', obj('6'));
    watcher.event('BOOKMARK', obj('7'));
    watcher.event('SOMETHING', obj('8'));
    watcher.event('DELETED', obj('9'));
    watcher.end();
    assert.deepEqual(await watch.ended, { kind: 'closed', delivered: true });
    assert.deepEqual(events, [
      ['ADDED', '6'],
      ['BOOKMARK', '7'],
      ['DELETED', '9'],
    ]);
  });

  describe('counts as delivered', () => {
    it('object changes, not bookmarks', async () => {
      const watcher = new FakeWatcher();
      const { watch } = start(watcher);
      watcher.connect();
      watcher.event('BOOKMARK', obj('7'));
      watcher.end();
      assert.deepEqual(await watch.ended, { kind: 'closed', delivered: false });
    });
  });

  describe('on 410 Gone', () => {
    it('ends gone on an ERROR event with code 410, aborts the stream, and ignores later events', async () => {
      const watcher = new FakeWatcher();
      const { watch, events } = start(watcher);
      watcher.connect();
      await watch.connecting;
      watcher.event('ERROR', { code: 410 });
      watcher.event('ADDED', obj('6'));
      watcher.end();
      assert.deepEqual(await watch.ended, { kind: 'gone', delivered: false });
      assert.equal(watcher.stream.signal.aborted, true);
      assert.deepEqual(events, []);
    });

    it('ends gone when the request fails with HTTP 410', async () => {
      const watcher = new FakeWatcher();
      const { watch } = start(watcher);
      watcher.refuse(Object.assign(new Error('Gone'), { statusCode: 410 }));
      assert.deepEqual(await watch.ended, { kind: 'gone', delivered: false });
    });
  });

  describe('on other errors', () => {
    it('ends failed with the typed error of an ERROR event', async () => {
      const watcher = new FakeWatcher();
      const { watch } = start(watcher);
      watcher.connect();
      watcher.event('ERROR', { code: 500 });
      const end = await watch.ended;
      assert.equal(end.kind, 'failed');
      assert.equal(end.kind === 'failed' && end.error.status, 500);
    });

    it('ends failed when the stream ends with an error', async () => {
      const watcher = new FakeWatcher();
      const { watch } = start(watcher);
      watcher.connect();
      watcher.event('MODIFIED', obj('6'));
      watcher.end(Object.assign(new Error('reset'), { statusCode: 503 }));
      const end = await watch.ended;
      assert.equal(end.kind, 'failed');
      assert.equal(end.delivered, true);
      assert.ok(!(end.kind === 'failed' && end.error instanceof GoneError));
    });
  });

  describe('when the signal aborts', () => {
    it('ends closed and aborts the connected stream', async () => {
      const watcher = new FakeWatcher();
      const stop = new AbortController();
      const { watch } = start(watcher, stop.signal);
      watcher.connect();
      await watch.connecting;
      stop.abort();
      assert.deepEqual(await watch.ended, { kind: 'closed', delivered: false });
      assert.equal(watcher.stream.signal.aborted, true);
    });

    it('ends closed while still connecting, and aborts the stream once it connects', async () => {
      const watcher = new FakeWatcher();
      const stop = new AbortController();
      const { watch } = start(watcher, stop.signal);
      stop.abort();
      assert.deepEqual(await watch.ended, { kind: 'closed', delivered: false });
      assert.equal(watcher.stream.signal.aborted, false);
      watcher.connect();
      await watch.connecting;
      await Promise.resolve();
      assert.equal(watcher.stream.signal.aborted, true);
    });
  });
});
