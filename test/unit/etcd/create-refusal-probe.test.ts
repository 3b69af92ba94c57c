import { strict as assert } from 'node:assert';
import {
  CreateRefusalProbe,
  type RefusalProbeTransport,
  type RefusalVerdict,
} from '../../../src/etcd/create-refusal-probe.js';
import { PermissionDeniedError, WatchCanceledError } from '../../../src/etcd/index.js';
import { Watcher, type WatcherHost } from '../../../src/etcd/watcher.js';
import { silentLogger } from '../../../src/observability/index.js';

const host: WatcherHost = { resumePaused: () => undefined, cancelWatcher: (w) => w.finish() };

function watcher(): Watcher {
  return new Watcher(
    {
      key: Buffer.from('/k'),
      rangeEnd: undefined,
      fromRevision: undefined,
      prevKv: false,
      filters: [],
      progressNotify: false,
    },
    0,
    { maxBytes: 1e6, maxMessages: 100 },
    host,
    undefined,
  );
}

/** A connection whose read succeeds or fails with `readError`, and whose current token is `token`. */
function transport(token: string | undefined, readError?: Error): RefusalProbeTransport {
  return {
    unary: <_Req, Res>(): Promise<Res> =>
      readError ? Promise.reject(readError) : Promise.resolve({ header: {} } as unknown as Res),
    currentToken: () => Promise.resolve(token),
  };
}

async function verdictsOf(
  t: RefusalProbeTransport,
  streamToken: string | undefined,
  reason: string,
  w = watcher(),
  signal = new AbortController().signal,
): Promise<RefusalVerdict[]> {
  const verdicts: RefusalVerdict[] = [];
  await new CreateRefusalProbe(t, silentLogger, signal, (_, v) => verdicts.push(v)).probe(
    w,
    streamToken,
    reason,
  );
  return verdicts;
}

describe('CreateRefusalProbe', () => {
  it('ends the watch with the typed error when reading the key is refused too', async () => {
    const denied = new PermissionDeniedError('denied');
    assert.deepEqual(await verdictsOf(transport(undefined, denied), undefined, 'permission denied'), [
      { kind: 'refused', error: denied },
    ]);
  });

  it("ends it with etcd's cancel reason when reading is allowed and the token is current (or there is none)", async () => {
    for (const [current, onStream] of [
      [undefined, undefined],
      ['t1', 't1'],
    ] as const) {
      const [verdict] = await verdictsOf(transport(current), onStream, 'some reason');
      assert.ok(verdict?.kind === 'refused' && verdict.error instanceof WatchCanceledError);
      assert.equal(verdict.error.reason, 'some reason');
    }
    const [unnamed] = await verdictsOf(transport(undefined), undefined, '');
    assert.ok(unnamed?.kind === 'refused' && unnamed.error instanceof WatchCanceledError);
    assert.equal(unnamed.error.reason, 'create refused');
  });

  it('retries once with a fresh token when the stream carried a stale one', async () => {
    const w = watcher();
    assert.deepEqual(await verdictsOf(transport('t2'), 't1', 'x', w), [{ kind: 'retryWithFreshToken' }]);
    const [again] = await verdictsOf(transport('t3'), 't2', 'x', w);
    assert.equal(again?.kind, 'refused', 'one retry until the watch is created');
  });

  it('gives no verdict for a watcher done, or a stream closed, by the time the read is answered', async () => {
    const done = watcher();
    done.finish();
    assert.deepEqual(await verdictsOf(transport(undefined), undefined, 'x', done), []);
    const closed = new AbortController();
    closed.abort();
    assert.deepEqual(await verdictsOf(transport(undefined), undefined, 'x', watcher(), closed.signal), []);
  });
});
