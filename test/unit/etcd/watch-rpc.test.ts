import { strict as assert } from 'node:assert';
import { etcdMethodDefinition } from '../../../src/etcd/proto.js';
import type { RawStatusResponse, RawWatchRequest, RawWatchResponse } from '../../../src/etcd/raw-messages.js';
import { decodeStatusResponse, encodeWatchRequest } from '../../../src/etcd/watch-rpc.js';

// proto-loader's full definitions: what etcd decodes and encodes, to hold the hand-written ones to.
const WATCH = etcdMethodDefinition<RawWatchRequest, RawWatchResponse>('Watch', 'Watch');
const STATUS = etcdMethodDefinition<Record<string, never>, RawStatusResponse>('Maintenance', 'Status');

describe('the Watch and Status RPCs by hand', () => {
  it('encode every kind of WatchRequest as proto-loader reads it', () => {
    const requests: RawWatchRequest[] = [
      {
        create_request: {
          key: Buffer.from('/a/'),
          range_end: Buffer.from('/a0'),
          start_revision: '9223372036854775807',
          progress_notify: true,
          filters: ['NOPUT', 'NODELETE'],
          prev_kv: true,
          fragment: true,
        },
      },
      { create_request: { key: Buffer.from([0, 0xff]), start_revision: '0', filters: ['NODELETE'] } },
      { create_request: { key: Buffer.alloc(0), range_end: Buffer.from([0]), start_revision: '128' } },
      { cancel_request: { watch_id: '0' } },
      { cancel_request: { watch_id: '562949953421312' } },
      { progress_request: {} },
    ];
    for (const request of requests) {
      const ours = WATCH.requestDeserialize(encodeWatchRequest(request));
      const theirs = WATCH.requestDeserialize(WATCH.requestSerialize(request));
      assert.deepEqual(ours, theirs, JSON.stringify(request));
    }
  });

  it('decode a StatusResponse as proto-loader does, header or not', () => {
    const responses: RawStatusResponse[] = [
      {
        header: {
          cluster_id: '18446744073709551615',
          member_id: '14841639068965178418',
          revision: '12',
          raft_term: '3',
        },
        version: '3.5.16',
        dbSize: '20480',
        leader: '14841639068965178418',
        raftIndex: '4294967296',
        raftTerm: '3',
      },
      { header: null, version: '', dbSize: '0', leader: '0', raftIndex: '0', raftTerm: '0' },
    ];
    for (const response of responses) {
      const wire = STATUS.responseSerialize(response);
      const theirs = STATUS.responseDeserialize(wire);
      const ours = decodeStatusResponse(wire);
      assert.deepEqual(
        { ...ours, header: ours.header ?? null },
        {
          header: theirs.header,
          version: theirs.version,
          dbSize: theirs.dbSize,
          leader: theirs.leader,
          raftIndex: theirs.raftIndex,
          raftTerm: theirs.raftTerm,
        },
      );
    }
  });
});
