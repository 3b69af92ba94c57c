import { strict as assert } from 'node:assert';
import { resolvePrefixSyncSpec, withPrefixSyncDefaults } from '../../../src/api/index.js';

describe('api/v1alpha1 spec.sources', () => {
  it('defaults each source to spec.sourceRef, no filter and no rewrite; prefix is the first source’s', () => {
    const out = withPrefixSyncDefaults({
      sourceRef: { name: 'main' },
      sources: [
        { prefix: '/d/' },
        { prefix: '/e/', sourceRef: { name: 'other' }, include: ['a/**'], rewrite: [{ trimPrefix: 'v1/' }] },
      ],
      target: { name: 'cfg' },
    });
    assert.equal(out.prefix, '/d/');
    assert.deepEqual(out.sources, [
      { prefix: '/d/', sourceRef: { name: 'main' }, include: [], exclude: [], rewrite: [] },
      {
        prefix: '/e/',
        sourceRef: { name: 'other' },
        include: ['a/**'],
        exclude: [],
        rewrite: [{ trimPrefix: 'v1/' }],
      },
    ]);
  });

  it('refuses neither prefix nor sources, naming spec.prefix', () => {
    const resolved = resolvePrefixSyncSpec({ sourceRef: { name: 'main' }, target: { name: 'cfg' } });
    assert.ok(!resolved.ok);
    assert.deepEqual(
      resolved.errors.map((e) => e.path),
      ['spec.prefix'],
    );
  });
});
