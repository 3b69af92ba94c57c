import { strict as assert } from 'node:assert';
import { etcdMethodDefinition } from '../../../src/etcd/proto.js';
import type { RawKeyValue, RawWatchRequest, RawWatchResponse } from '../../../src/etcd/raw-messages.js';
import { decodeWatchResponse } from '../../../src/etcd/watch-response-decoder.js';

// The full proto-loader definition: its server-side encoder makes the test's wire bytes.
const WATCH = etcdMethodDefinition<RawWatchRequest, RawWatchResponse>('Watch', 'Watch');

/** A small deterministic PRNG so that a failure can be replayed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const INTERESTING = [
  '0',
  '1',
  '127',
  '128',
  '16383',
  '16384',
  '4294967295',
  '4294967296',
  '9007199254740993',
  '562949953421311',
  '562949953421312',
  '9223372036854775807',
  '-1',
  '-9223372036854775808',
];

describe('decodeWatchResponse', () => {
  it('decodes exactly what proto-loader decodes, for 500 random responses', () => {
    const random = prng(42);
    const int64 = (): string =>
      random() < 0.5
        ? INTERESTING[Math.floor(random() * INTERESTING.length)]!
        : String(Math.floor(random() * 2 ** 40));
    const bytes = (): Buffer =>
      Buffer.from(Array.from({ length: Math.floor(random() * 40) }, () => Math.floor(random() * 256)));
    const kv = (): RawKeyValue => ({
      key: bytes(),
      value: bytes(),
      create_revision: int64(),
      mod_revision: int64(),
      version: int64(),
      lease: int64(),
    });
    for (let i = 0; i < 500; i++) {
      const message: RawWatchResponse = {
        header:
          random() < 0.9
            ? {
                cluster_id: random() < 0.5 ? '18446744073709551615' : '14841639068965178418',
                member_id: random() < 0.5 ? '7' : String(Math.floor(random() * 2 ** 52)),
                revision: int64(),
                raft_term: '3',
              }
            : null,
        watch_id: int64(),
        created: random() < 0.3,
        canceled: random() < 0.3,
        compact_revision: int64(),
        cancel_reason: random() < 0.5 ? '' : 'rpc error: code = PermissionDenied — ✓ ünïcode',
        fragment: random() < 0.3,
        events: Array.from({ length: Math.floor(random() * 5) }, () => ({
          type: random() < 0.5 ? 'PUT' : 'DELETE',
          kv: random() < 0.95 ? kv() : null,
          prev_kv: random() < 0.3 ? kv() : null,
        })),
      };
      const wire = WATCH.responseSerialize(message);
      const theirs = WATCH.responseDeserialize(wire);
      const ours = decodeWatchResponse(wire);
      const big = (s: string | undefined | null): bigint => BigInt(s ?? '0');
      assert.equal(ours.headerRevision, big(theirs.header?.revision), `case ${i}: header revision`);
      assert.equal(ours.clusterId, theirs.header?.cluster_id ?? '0', `case ${i}: cluster id`);
      assert.equal(ours.memberId, theirs.header?.member_id ?? '0', `case ${i}: member id`);
      assert.equal(ours.watchId, theirs.watch_id, `case ${i}: watch id`);
      assert.equal(ours.created, theirs.created);
      assert.equal(ours.canceled, theirs.canceled);
      assert.equal(ours.compactRevision, big(theirs.compact_revision));
      assert.equal(ours.cancelReason, theirs.cancel_reason);
      assert.equal(ours.fragment, theirs.fragment);
      assert.equal(ours.events.length, theirs.events.length);
      const decoded = ours.events.decode();
      theirs.events.forEach((e, k) => {
        const o = decoded[k]!;
        assert.equal(o.type, e.type === 'DELETE' ? 'delete' : 'put');
        assert.deepEqual(o.key, e.kv?.key ?? Buffer.alloc(0));
        assert.deepEqual(o.value, e.kv?.value ?? Buffer.alloc(0));
        assert.equal(o.modRevision, big(e.kv?.mod_revision));
        assert.equal(o.createRevision, big(e.kv?.create_revision));
        assert.equal(o.version, big(e.kv?.version));
        assert.equal(o.lease, big(e.kv?.lease));
        if (e.prev_kv) {
          assert.deepEqual(o.prevKv?.value, e.prev_kv.value);
          assert.equal(o.prevKv?.modRevision, big(e.prev_kv.mod_revision));
        } else {
          assert.equal(o.prevKv, undefined);
        }
      });
    }
  });

  it('copies keys and values out of the received buffer', () => {
    const wire = WATCH.responseSerialize({
      header: null,
      watch_id: '1',
      created: false,
      canceled: false,
      compact_revision: '0',
      cancel_reason: '',
      fragment: false,
      events: [
        {
          type: 'PUT',
          kv: {
            key: Buffer.from('k'),
            value: Buffer.from('v'),
            create_revision: '1',
            mod_revision: '1',
            version: '1',
            lease: '0',
          },
          prev_kv: null,
        },
      ],
    });
    const events = decodeWatchResponse(wire).events.decode();
    wire.fill(0);
    assert.equal(events[0]!.value.toString(), 'v');
  });

  it('refuses truncated input with a RangeError', () => {
    const wire = WATCH.responseSerialize({
      header: { cluster_id: '1', member_id: '1', revision: '5', raft_term: '1' },
      watch_id: '1',
      created: false,
      canceled: false,
      compact_revision: '0',
      cancel_reason: 'x',
      fragment: false,
      events: [],
    });
    assert.throws(() => decodeWatchResponse(wire.subarray(0, wire.length - 1)), RangeError);
  });
});
