import { strict as assert } from 'node:assert';
import {
  CompactedError,
  PrefixMirror,
  RevisionWentBackError,
  UnavailableError,
  type EtcdClient,
  type EtcdError,
  type RangeResult,
  type Watch,
  type WatchMessage,
  type WatchOptions,
} from '../../../src/etcd/index.js';
import { waitFor } from '../../support/wait.js';

/**
 * A stand-in for EtcdClient with what PrefixMirror uses: `kv.range` answers from a script of
 * snapshots; `watch` fails each watch with the next scripted error, then waits until aborted.
 */
class FakeClient {
  readonly watchesFrom: (bigint | undefined)[] = [];
  constructor(
    private readonly snapshots: RangeResult[],
    private readonly watchErrors: EtcdError[],
  ) {}

  readonly kv = {
    range: (): Promise<RangeResult> => {
      const next = this.snapshots.shift();
      return next ? Promise.resolve(next) : Promise.reject(new UnavailableError('no more snapshots'));
    },
  };

  watch(options: WatchOptions): Watch {
    this.watchesFrom.push(options.fromRevision);
    const error = this.watchErrors.shift();
    const signal = options.signal;
    return {
      cancel: () => Promise.resolve(),
      [Symbol.asyncIterator]: (): AsyncIterator<WatchMessage> => ({
        next: () =>
          error
            ? Promise.reject(error)
            : new Promise((resolve) => {
                if (signal?.aborted) return resolve({ value: undefined, done: true });
                signal?.addEventListener('abort', () => resolve({ value: undefined, done: true }));
              }),
      }),
    };
  }
}

const kv = (key: string, value: string, revision: bigint) => ({
  key: Buffer.from(key),
  value: Buffer.from(value),
  createRevision: revision,
  modRevision: revision,
  version: 1n,
  lease: 0n,
});

describe('PrefixMirror when etcd went back', () => {
  it('a fresh snapshot after a failure that comes back below the mirror’s revision is a went-back: wentBack, then resync at the lower revision', async () => {
    const client = new FakeClient(
      [
        { revision: 50n, kvs: [kv('/p/a', 'new', 50n)] },
        { revision: 7n, kvs: [kv('/p/a', 'old', 7n)] },
      ],
      [new UnavailableError('stream lost for good')],
    );
    const mirror = new PrefixMirror(client as unknown as EtcdClient, '/p/');
    const seen: string[] = [];
    mirror.on('error', () => seen.push('error'));
    mirror.on('wentBack', (e) => seen.push(`wentBack ${e.seenRevision}->${e.etcdRevision}`));
    mirror.on('resync', (s) => seen.push(`resync ${s.revision}`));
    try {
      await mirror.start();
      await waitFor('the resync', () => seen.some((s) => s.startsWith('resync')), 10_000);
      assert.deepEqual(seen, ['error', 'wentBack 50->7', 'resync 7']);
      assert.equal(mirror.snapshot().revision, 7n);
      assert.equal(mirror.snapshot().entries[0]?.value.toString(), 'old');
      await waitFor('the next watch', () => client.watchesFrom.length === 2, 10_000);
      assert.deepEqual(client.watchesFrom, [51n, 8n], 'follows from the lower revision');
    } finally {
      await mirror.close();
    }
  });

  it('answers RevisionWentBackError from its watch with one wentBack, then a resync, without an error event', async () => {
    const wentBack = new RevisionWentBackError(50n, 7n);
    const client = new FakeClient(
      [
        { revision: 50n, kvs: [] },
        { revision: 7n, kvs: [] },
      ],
      [wentBack],
    );
    const mirror = new PrefixMirror(client as unknown as EtcdClient, '/p/');
    const seen: unknown[] = [];
    mirror.on('error', (e) => seen.push(e));
    mirror.on('wentBack', (e) => seen.push(e));
    mirror.on('resync', (s) => seen.push(s.revision));
    try {
      await mirror.start();
      await waitFor('the resync', () => seen.length >= 2, 10_000);
      assert.deepEqual(seen, [wentBack, 7n]);
    } finally {
      await mirror.close();
    }
  });

  it('a compaction resync at a higher revision is no went-back', async () => {
    const client = new FakeClient(
      [
        { revision: 50n, kvs: [] },
        { revision: 60n, kvs: [] },
      ],
      [new CompactedError('compacted', 55n)],
    );
    const mirror = new PrefixMirror(client as unknown as EtcdClient, '/p/');
    const seen: string[] = [];
    mirror.on('wentBack', () => seen.push('wentBack'));
    mirror.on('resync', (s) => seen.push(`resync ${s.revision}`));
    try {
      await mirror.start();
      await waitFor('the resync', () => seen.length >= 1, 10_000);
      assert.deepEqual(seen, ['resync 60']);
    } finally {
      await mirror.close();
    }
  });
});
