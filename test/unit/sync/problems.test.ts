import { strict as assert } from 'node:assert';
import {
  describeProblem,
  displayBytes,
  renderConfigMap,
  summarizeProblems,
} from '../../../src/sync/index.js';
import type { Problem } from '../../../src/sync/index.js';
import { expectProblems, snapshot } from './helpers.js';

const b = (s: string): Buffer => Buffer.from(s, 'utf8');

describe('sync problems', () => {
  it('describe each kind in one line that names the keys', () => {
    const cases: [Problem, string][] = [
      [
        { kind: 'InvalidKey', etcdKey: b('/p/a b'), reasons: ['illegal-characters'], mappedKey: 'a b' },
        'invalid key "/p/a b" (as "a b"): illegal-characters',
      ],
      [
        { kind: 'InvalidKey', etcdKey: Buffer.from([0x2f, 0xff]), reasons: ['not-utf8'] },
        'invalid key 0x2fff: not-utf8',
      ],
      [
        { kind: 'KeyCollision', mappedKey: 'a.b', etcdKeys: [b('/p/a.b'), b('/p/a/b')] },
        'keys "/p/a.b", "/p/a/b" all map to "a.b"',
      ],
      [
        { kind: 'TreeConflict', etcdKey: b('/p/a'), descendants: [b('/p/a/b')] },
        'key "/p/a" has a value and also keys below it: "/p/a/b"',
      ],
      [
        { kind: 'InvalidValue', etcdKey: b('/p/v'), reason: 'contains-nul' },
        'value of "/p/v" cannot be rendered: contains-nul',
      ],
      [
        { kind: 'InvalidEnvName', etcdKey: b('/p/a-b'), name: 'a-b' },
        'key "/p/a-b" maps to "a-b", not a valid environment variable name',
      ],
      [
        { kind: 'TooLarge', byteCount: 2_000_000, limitBytes: 1_048_576 },
        'content is 2000000 bytes, over the limit of 1048576 bytes',
      ],
      [
        { kind: 'InvalidOption', option: 'key', message: 'is required for format yaml' },
        'invalid option key: is required for format yaml',
      ],
    ];
    for (const [problem, text] of cases) assert.equal(describeProblem(problem), text);
  });

  it('show keys unambiguously: JSON text for UTF-8, hex otherwise', () => {
    assert.equal(displayBytes(b('/a\n"b"')), '"/a\\n\\"b\\""');
    assert.equal(displayBytes(Buffer.from([0xc3, 0x28])), '0xc328');
  });

  it('summarize within the length limit, saying how many were left out', () => {
    const result = expectProblems(
      renderConfigMap(
        snapshot(
          '/p/',
          Array.from({ length: 50 }, (_, i) => [`/p/bad key ${String(i).padStart(2, '0')}`, 'v']),
        ),
        {
          format: 'files',
          separator: '.',
        },
      ),
    );
    const all = summarizeProblems(result.problems, 100_000);
    assert.equal(all.split('; ').length, 50);
    const short = summarizeProblems(result.problems, 300);
    assert.ok(short.length <= 300, short);
    assert.match(short, /^invalid key "\/p\/bad key 00".*; … and \d+ more$/);
    const tiny = summarizeProblems(result.problems, 40);
    assert.ok(tiny.length <= 40, tiny);
    assert.match(tiny, /… and 50 more$/);
    assert.equal(summarizeProblems([], 10), '');
  });
});
