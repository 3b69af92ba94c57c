import { strict as assert } from 'node:assert';
import { diffConfigMapData } from '../../../src/cli/render-diff.js';
import { statusRows } from '../../../src/cli/plugin/status.js';
import type { ClusterEtcdSource, PrefixSync } from '../../../src/api/index.js';

describe('diffConfigMapData', () => {
  it('is empty when data and binaryData agree', () => {
    assert.equal(diffConfigMapData({ data: { a: 'x' } }, { data: { a: 'x' }, binaryData: {} }, 'ns/cm'), '');
  });

  it('prints one diff -u section per changed key, removals before additions, 3 lines of context', () => {
    const before = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', ''].join('\n');
    const after = ['1', '2', '3', '4', 'five', '6', '7', '8', '9', '10', ''].join('\n');
    assert.equal(
      diffConfigMapData({ data: { k: before, gone: 'g\n' } }, { data: { k: after } }, 'ns/cm'),
      [
        '--- live/ns/cm/data/gone',
        '+++ /dev/null',
        '@@ -1 +0,0 @@',
        '-g',
        '--- live/ns/cm/data/k',
        '+++ rendered/ns/cm/data/k',
        '@@ -2,7 +2,7 @@',
        ' 2',
        ' 3',
        ' 4',
        '-5',
        '+five',
        ' 6',
        ' 7',
        ' 8',
        '',
      ].join('\n'),
    );
  });

  it('tells a missing final newline apart, and compares binaryData as base64', () => {
    const diff = diffConfigMapData(
      { data: { a: 'x\n' }, binaryData: { b: 'AAE=' } },
      { data: { a: 'x' }, binaryData: { b: 'AAI=' } },
      'ns/cm',
    );
    assert.equal(
      diff,
      [
        '--- live/ns/cm/data/a',
        '+++ rendered/ns/cm/data/a',
        '@@ -1 +1 @@',
        '-x',
        '+x',
        '\\ No newline at end of file',
        '--- live/ns/cm/binaryData/b',
        '+++ rendered/ns/cm/binaryData/b',
        '@@ -1 +1 @@',
        '-AAE=',
        '\\ No newline at end of file',
        '+AAI=',
        '\\ No newline at end of file',
        '',
      ].join('\n'),
    );
  });
});

describe('statusRows', () => {
  const now = new Date('2026-01-01T12:00:00Z');
  const psync = (name: string, status: PrefixSync['status']): PrefixSync =>
    ({
      metadata: { namespace: 'ns', name },
      spec: { sourceRef: { name: 'main' }, prefix: '/p/', target: { name: 'cfg' } },
      status,
    }) as PrefixSync;
  const sources = new Map([['main', { status: { revision: '120' } } as ClusterEtcdSource]]);

  it('says Ready, its reason, revisions behind the source and the age of the last change', () => {
    const rows = statusRows(
      [
        psync('b', undefined),
        psync('a', {
          syncedRevision: '100',
          lastSyncTime: '2026-01-01T11:55:00Z',
          conditions: [
            { type: 'Ready', status: 'False', reason: 'InvalidKey', message: '', lastTransitionTime: '' },
          ],
        }),
      ],
      sources,
      now,
    );
    assert.deepEqual(rows, [
      {
        namespace: 'ns',
        name: 'a',
        ready: 'False',
        reason: 'InvalidKey',
        synced: '100',
        lag: '20',
        lastChange: '5m',
      },
      { namespace: 'ns', name: 'b', ready: 'Unknown', reason: '-', synced: '-', lag: '-', lastChange: '-' },
    ]);
  });
});
