import { strict as assert } from 'node:assert';
import { configMapKeyProblems, isConfigMapKey, joinPath, keyPath } from '../../../src/sync/index.js';

const b = (s: string): Buffer => Buffer.from(s, 'utf8');

describe('sync key mapping', () => {
  describe('keyPath', () => {
    it('splits the path below the prefix on /', () => {
      assert.deepEqual(keyPath(b('/config/app/'), b('/config/app/db/host')), {
        ok: true,
        segments: ['db', 'host'],
      });
      assert.deepEqual(keyPath(b('/config/app/'), b('/config/app/name')), { ok: true, segments: ['name'] });
    });

    it('keeps characters that are not separators inside a segment', () => {
      assert.deepEqual(keyPath(b('/p/'), b('/p/a.b/c d/é')), { ok: true, segments: ['a.b', 'c d', 'é'] });
    });

    it('refuses the key equal to the prefix itself', () => {
      assert.deepEqual(keyPath(b('/config/app/'), b('/config/app/')), {
        ok: false,
        reasons: ['equals-prefix'],
      });
    });

    it('refuses a key outside the prefix', () => {
      assert.deepEqual(keyPath(b('/config/app/'), b('/config/apple')), {
        ok: false,
        reasons: ['outside-prefix'],
      });
      assert.deepEqual(keyPath(b('/config/app/'), b('/conf')), { ok: false, reasons: ['outside-prefix'] });
    });

    it('refuses a trailing /, a doubled / and a leading / as empty segments', () => {
      for (const key of ['/p/dir/', '/p/a//b', '/p//a', '/p/a/b/']) {
        assert.deepEqual(keyPath(b('/p/'), b(key)), { ok: false, reasons: ['empty-segment'] }, key);
      }
      // A prefix without its trailing / leaves a leading / on every path.
      assert.deepEqual(keyPath(b('/p'), b('/p/a')), { ok: false, reasons: ['empty-segment'] });
    });

    it('refuses a path that is not UTF-8, and says so alongside an empty segment', () => {
      const bad = Buffer.concat([b('/p/'), Buffer.from([0xc3, 0x28])]);
      assert.deepEqual(keyPath(b('/p/'), bad), { ok: false, reasons: ['not-utf8'] });
      const both = Buffer.concat([b('/p/'), Buffer.from([0xff]), b('/')]);
      assert.deepEqual(keyPath(b('/p/'), both), { ok: false, reasons: ['empty-segment', 'not-utf8'] });
    });

    it('accepts a prefix that is not UTF-8 when the path below it is', () => {
      const prefix = Buffer.from([0x2f, 0xff, 0x2f]);
      assert.deepEqual(keyPath(prefix, Buffer.concat([prefix, b('a/b')])), {
        ok: true,
        segments: ['a', 'b'],
      });
    });

    it('joins segments with the separator', () => {
      assert.equal(joinPath(['db', 'host'], '.'), 'db.host');
      assert.equal(joinPath(['db', 'host'], '__'), 'db__host');
      assert.equal(joinPath(['x'], '.'), 'x');
    });
  });

  describe("ConfigMap key rules (the API server's IsConfigMapKey)", () => {
    it('accepts letters, digits, -, _ and . up to 253 bytes', () => {
      for (const key of ['a', 'A-Z_0.9', '.env', 'a..b', '-', '_', 'x'.repeat(253), '__proto__']) {
        assert.deepEqual(configMapKeyProblems(key), [], key);
        assert.equal(isConfigMapKey(key), true);
      }
    });

    it('refuses other characters, an empty key, and more than 253 bytes', () => {
      assert.deepEqual(configMapKeyProblems('a/b'), ['illegal-characters']);
      assert.deepEqual(configMapKeyProblems('a b'), ['illegal-characters']);
      assert.deepEqual(configMapKeyProblems('é'), ['illegal-characters']);
      assert.deepEqual(configMapKeyProblems(''), ['illegal-characters']);
      assert.deepEqual(configMapKeyProblems('x'.repeat(254)), ['too-long']);
      assert.deepEqual(configMapKeyProblems(`${'x'.repeat(254)}/`), ['illegal-characters', 'too-long']);
    });

    it('refuses ., .. and anything starting with ..', () => {
      assert.deepEqual(configMapKeyProblems('.'), ['dot-name']);
      assert.deepEqual(configMapKeyProblems('..'), ['dot-name']);
      assert.deepEqual(configMapKeyProblems('..data'), ['dot-name']);
      assert.equal(isConfigMapKey('..data'), false);
    });
  });
});
