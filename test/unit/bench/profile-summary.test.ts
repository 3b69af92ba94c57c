// The profile summary sums sampled self time by the code's original area (our src/<layer>, a package,
// a node: module, V8's own entries), through a source lookup such as the bundle's source maps.
import { strict as assert } from 'node:assert';
import { areaOf, summarizeProfile, type CpuProfile } from '../../../bench/operator/profile-summary.js';

const BUNDLE = 'file:///app/dist/bundle/chunk-A.js';

/** A profile of a bundle: three frames in one chunk (told apart by column), GC and idle. */
function profile(): CpuProfile {
  const frame = (functionName: string, url: string, columnNumber = 0) => ({
    functionName,
    url,
    lineNumber: 0,
    columnNumber,
  });
  return {
    nodes: [
      { id: 1, callFrame: frame('(root)', '') },
      { id: 2, callFrame: frame('send', BUNDLE, 10) },
      { id: 3, callFrame: frame('makeUnaryRequest', BUNDLE, 20) },
      { id: 4, callFrame: frame('sync', BUNDLE, 30) },
      { id: 5, callFrame: frame('(garbage collector)', '') },
      { id: 6, callFrame: frame('(idle)', '') },
      { id: 7, callFrame: frame('socketOnData', 'node:_http_client') },
    ],
    samples: [2, 2, 3, 4, 5, 6, 6, 7, 2],
    timeDeltas: [1000, 1000, 2000, 500, 1500, 3000, 3000, 1000, 1000],
  };
}

const SOURCES: Record<number, string> = {
  10: '../../src/kube/transport.ts',
  20: '../../node_modules/@grpc/grpc-js/src/client.ts',
  30: '../../src/controller/prefixsync/reconciler.ts',
};

describe('bench profile summary', () => {
  it('sums self time by area through the source lookup, largest first', () => {
    const summary = summarizeProfile(profile(), (url, _line, column) =>
      url === BUNDLE ? SOURCES[column] : undefined,
    );
    assert.equal(summary.totalMs, 14);
    assert.deepEqual(
      summary.areas.map((r) => [r.name, r.ms]),
      [
        ['(idle)', 6],
        ['src/kube', 3],
        ['@grpc/grpc-js', 2],
        ['(garbage collector)', 1.5],
        ['node:_http_client', 1],
        ['src/controller', 0.5],
      ],
    );
    assert.equal(summary.areas[1]!.share, 3 / 14);
    assert.deepEqual(summary.functions[1], { name: 'send src/kube/transport.ts', ms: 3, share: 3 / 14 });
    assert.ok(summary.functions.some((r) => r.name === 'makeUnaryRequest @grpc/grpc-js/src/client.ts'));
  });

  it('keeps the script url when no source map covers a frame', () => {
    const summary = summarizeProfile(profile());
    assert.equal(summary.areas.find((r) => r.name === BUNDLE)?.ms, 5.5);
  });

  it('names the area of a package, of our layer and of a node module', () => {
    assert.equal(areaOf('../node_modules/@kubernetes/client-node/dist/config.js'), '@kubernetes/client-node');
    assert.equal(areaOf('/app/node_modules/yaml/dist/index.js'), 'yaml');
    assert.equal(areaOf('../../src/etcd/watcher.ts'), 'src/etcd');
    assert.equal(areaOf('node:internal/streams/writable'), 'node:internal');
  });
});
