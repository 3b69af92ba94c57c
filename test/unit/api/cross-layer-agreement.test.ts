// Where sync/ restates a rule of the API (it may import api/, but keeps its own copies of a few
// constants), the two must say the same thing.
import assert from 'node:assert/strict';
import {
  CONFIGMAP_MAX_BYTES,
  configMapKeyProblem,
  DEFAULT_KEY_SEPARATOR,
  KEY_SEPARATORS,
  TARGET_FORMATS,
} from '../../../src/api/index.js';
import {
  CONFIGMAP_MAX_DATA_BYTES,
  configMapKeyProblems,
  DEFAULT_SEPARATOR,
  RENDER_FORMATS,
} from '../../../src/sync/index.js';

describe('api/ and sync/ agree', () => {
  // `template` is the one format sync/'s renderConfigMap does not lay out: the template engine does.
  it('on the formats, in the same order', () =>
    assert.deepEqual([...RENDER_FORMATS, 'template'], [...TARGET_FORMATS]));

  it('on the default separator, and every allowed separator is a ConfigMap key character', () => {
    assert.equal(DEFAULT_SEPARATOR, DEFAULT_KEY_SEPARATOR);
    for (const s of KEY_SEPARATORS) assert.equal(configMapKeyProblem(`a${s}b`), undefined, s);
  });

  it('on the ConfigMap size limit', () => assert.equal(CONFIGMAP_MAX_DATA_BYTES, CONFIGMAP_MAX_BYTES));

  it('on which strings are ConfigMap keys', () => {
    const keys = [
      'a',
      'app.yaml',
      'A_B-c.d',
      '.env',
      'a..b',
      '-',
      '_',
      '',
      '.',
      '..',
      '..a',
      'a/b',
      'a b',
      'ü',
      'x'.repeat(253),
      'x'.repeat(254),
    ];
    for (const key of keys) {
      assert.equal(
        configMapKeyProblem(key) === undefined,
        configMapKeyProblems(key).length === 0,
        JSON.stringify(key),
      );
    }
  });
});
