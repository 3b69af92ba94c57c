import { strict as assert } from 'node:assert';
import {
  formatBytes,
  MAX_MIRROR_BYTES_LIMIT,
  parseByteQuantity,
  resolveClusterEtcdSourceSpec,
} from '../../../src/api/index.js';

describe('byte quantities', () => {
  describe('parseByteQuantity', () => {
    const good: [unknown, number][] = [
      [0, 0],
      [1048576, 1048576],
      ['0', 0],
      ['1048576', 1048576],
      ['256Mi', 256 * 1024 * 1024],
      ['1Ki', 1024],
      ['1.5Gi', 1.5 * 1024 ** 3],
      ['500M', 500_000_000],
      ['2k', 2000],
      ['1Ti', 1024 ** 4],
      ['0.5', 1], // a fraction of a byte rounds up, as Kubernetes does
      ['1.0001Ki', 1025],
    ];
    for (const [value, bytes] of good) {
      it(`reads ${JSON.stringify(value)} as ${bytes} bytes`, () => {
        assert.deepEqual(parseByteQuantity(value), { ok: true, bytes });
      });
    }

    const bad: unknown[] = [
      -1,
      1.5,
      Number.NaN,
      '',
      '-1Mi',
      '1e6',
      '100m',
      '1 Mi',
      'Mi',
      '1.Mi',
      '1MiB',
      '1mi',
      true,
      null,
      {},
    ];
    for (const value of bad) {
      it(`refuses ${JSON.stringify(value)}`, () => {
        const parsed = parseByteQuantity(value);
        assert.equal(parsed.ok, false);
      });
    }

    it('refuses more than the maximum, written either way', () => {
      assert.equal(parseByteQuantity('1Ti', MAX_MIRROR_BYTES_LIMIT).ok, true);
      assert.deepEqual(parseByteQuantity('2Ti', MAX_MIRROR_BYTES_LIMIT), {
        ok: false,
        message: 'must be at most 1099511627776 bytes (1 TiB)',
      });
      assert.equal(parseByteQuantity(MAX_MIRROR_BYTES_LIMIT + 1, MAX_MIRROR_BYTES_LIMIT).ok, false);
      assert.equal(parseByteQuantity('9'.repeat(40)).ok, false, 'longer than the CRD allows');
    });
  });

  it('formatBytes says bytes, and the binary unit when there is one', () => {
    assert.equal(formatBytes(1023), '1023 bytes');
    assert.equal(formatBytes(256 * 1024 * 1024), '268435456 bytes (256 MiB)');
    assert.equal(formatBytes(1536), '1536 bytes (1.5 KiB)');
  });

  it('a resolved ClusterEtcdSource carries its budget in bytes (256Mi unless set)', () => {
    const of = (limits?: object): number | undefined => {
      const r = resolveClusterEtcdSourceSpec({ endpoints: ['a:1'], ...(limits ? { limits } : {}) });
      return r.ok ? r.spec.maxMirrorBytes : undefined;
    };
    assert.equal(of(), 256 * 1024 * 1024);
    assert.equal(of({}), 256 * 1024 * 1024);
    assert.equal(of({ maxMirrorBytes: '1Gi' }), 1024 ** 3);
    assert.equal(of({ maxMirrorBytes: 4096 }), 4096);
    assert.equal(of({ maxMirrorBytes: 'x' }), undefined);
  });
});
