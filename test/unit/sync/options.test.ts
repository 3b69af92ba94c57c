import { strict as assert } from 'node:assert';
import { renderConfigMap } from '../../../src/sync/index.js';
import type { RenderFormat } from '../../../src/sync/index.js';
import { expectOk, expectProblems, readable, snapshot } from './helpers.js';

const SNAP = snapshot('/p/', [['/p/bad key', 'x']]);

describe('sync render options', () => {
  it('require target.key for every rendered format, and only a valid ConfigMap key', () => {
    for (const format of ['yaml', 'json', 'properties', 'env'] as const) {
      const missing = expectProblems(renderConfigMap(SNAP, { format, separator: '_' }));
      assert.deepEqual(missing.problems.map(readable), [
        { kind: 'InvalidOption', option: 'key', message: `is required for format ${format}` },
      ]);
    }
    const invalid = expectProblems(
      renderConfigMap(SNAP, { format: 'yaml', key: 'conf/app.yaml', separator: '.' }),
    );
    assert.deepEqual(invalid.problems.map(readable), [
      {
        kind: 'InvalidOption',
        option: 'key',
        message: '"conf/app.yaml" is not a valid ConfigMap key: illegal-characters',
      },
    ]);
  });

  it('ignore target.key for files', () => {
    expectOk(
      renderConfigMap(snapshot('/p/', [['/p/k', 'v']]), {
        format: 'files',
        key: 'not/valid',
        separator: '.',
      }),
    );
  });

  it('refuse an unknown format, an empty separator and a maxBytes out of range, all at once', () => {
    const options = { format: 'toml' as RenderFormat, separator: '', maxBytes: 2 * 1024 * 1024 };
    const result = expectProblems(renderConfigMap(SNAP, options));
    assert.deepEqual(
      result.problems.map((p) => (p.kind === 'InvalidOption' ? p.option : p.kind)),
      ['format', 'maxBytes', 'separator'],
    );
    for (const maxBytes of [0, -1, 1.5, Number.NaN]) {
      const r = expectProblems(renderConfigMap(SNAP, { format: 'files', separator: '.', maxBytes }));
      assert.deepEqual(
        r.problems.map((p) => p.kind),
        ['InvalidOption'],
        String(maxBytes),
      );
    }
  });

  it('report option problems alone: data is not judged against a spec that is wrong', () => {
    const result = expectProblems(renderConfigMap(SNAP, { format: 'json', separator: '.' }));
    assert.deepEqual(
      result.problems.map((p) => p.kind),
      ['InvalidOption'],
    );
  });
});
