import { strict as assert } from 'node:assert';
import {
  mergeSources,
  pathGlob,
  renderConfigMap,
  type SourceContent,
  type SourceRules,
} from '../../../src/sync/index.js';
import { entry, expectOk, plain } from './helpers.js';

const ALL: SourceRules = { include: [], exclude: [], rewrite: [] };

function source(prefix: string, pairs: [string, string][], rules: Partial<SourceRules> = {}): SourceContent {
  return { prefix, entries: pairs.map(([k, v]) => entry(k, v)), rules: { ...ALL, ...rules } };
}

/** The merged entries as `{path: value}`, or the problems' kinds when the merge failed. */
function merged(sources: SourceContent[]): Record<string, string> {
  const result = mergeSources(sources);
  if (!result.ok) assert.fail(`expected a merge, got ${JSON.stringify(result.problems)}`);
  return Object.fromEntries(result.entries.map((e) => [e.path!.toString(), e.value.toString()]));
}

describe('sync sources', () => {
  describe('pathGlob', () => {
    const table: [string, string, boolean][] = [
      ['*.conf', 'app.conf', true],
      ['*.conf', 'nginx/app.conf', false], // `*` stays within a segment
      ['**/*.conf', 'app.conf', true], // `**` matches no segment too
      ['**/*.conf', 'a/b/app.conf', true],
      ['db/**', 'db/primary/host', true],
      ['db/**', 'db', true],
      ['db/**', 'dbx/host', false],
      ['?', 'a', true],
      ['?', 'ab', false],
      ['a/?/c', 'a/b/c', true],
      ['a/**/c', 'a/c', true],
      ['a/**/c', 'a/x/y/c', true],
      ['a/**/c', 'a/x/y/d', false],
      ['secret/**', 'secrets/x', false],
      ['host', 'host', true],
      ['host', 'hosts', false],
    ];
    for (const [glob, path, expected] of table) {
      it(`${glob} ${expected ? 'matches' : 'does not match'} ${path}`, () => {
        assert.equal(pathGlob(glob)(path), expected);
      });
    }

    it('stays fast on many `**` against a long path (no exponential backtracking)', () => {
      const glob = Array.from({ length: 30 }, () => '**').join('/') + '/x';
      const path = Array.from({ length: 200 }, () => 'a').join('/');
      const started = Date.now();
      assert.equal(pathGlob(glob)(path), false);
      assert.ok(Date.now() - started < 500, `took ${Date.now() - started} ms`);
    });
  });

  describe('mergeSources', () => {
    it('overlays in order: a later source wins on the same path, the rest of each stays', () => {
      assert.deepStrictEqual(
        merged([
          source('/d/', [
            ['/d/log', 'info'],
            ['/d/db/host', 'db'],
          ]),
          source('/prod/', [
            ['/prod/log', 'warn'],
            ['/prod/extra', 'x'],
          ]),
        ]),
        { log: 'warn', 'db/host': 'db', extra: 'x' },
      );
    });

    it('keeps only included paths and drops excluded ones (exclude wins)', () => {
      assert.deepStrictEqual(
        merged([
          source(
            '/a/',
            [
              ['/a/app.conf', '1'],
              ['/a/readme', '2'],
              ['/a/db/host', '3'],
              ['/a/secret/x.conf', '4'],
              ['/a/secret/y', '5'],
            ],
            { include: ['*.conf', 'db/**', 'secret/**'], exclude: ['secret/**'] },
          ),
        ]),
        { 'app.conf': '1', 'db/host': '3' },
      );
    });

    it('applies the rewrites in order: trimPrefix, then an RE2 replace with groups', () => {
      assert.deepStrictEqual(
        merged([
          source(
            '/a/',
            [
              ['/a/app/v1/db/host', 'h'],
              ['/a/app/other', 'o'],
              ['/a/plain', 'p'],
            ],
            { rewrite: [{ trimPrefix: 'app/' }, { replace: { regex: '^v1/(.*)$', with: 'cfg/$1' } }] },
          ),
        ]),
        { 'cfg/db/host': 'h', other: 'o', plain: 'p' },
      );
    });

    it('filters before rewriting: globs see the path as it is in etcd', () => {
      assert.deepStrictEqual(
        merged([
          source('/a/', [['/a/v1/x', '1']], {
            include: ['v1/**'],
            rewrite: [{ trimPrefix: 'v1/' }],
          }),
        ]),
        { x: '1' },
      );
    });

    it('reports a rewrite that lands two keys of one source on one path as a KeyCollision naming both', () => {
      const result = mergeSources([
        source(
          '/a/',
          [
            ['/a/v1/host', '1'],
            ['/a/v2/host', '2'],
          ],
          { rewrite: [{ replace: { regex: '^v[0-9]/', with: '' } }] },
        ),
      ]);
      assert.equal(result.ok, false);
      assert.ok(!result.ok);
      assert.deepStrictEqual(
        result.problems.map((p) => (p.kind === 'KeyCollision' ? [p.mappedKey, p.etcdKeys.map(String)] : p)),
        [['host', ['/a/v1/host', '/a/v2/host']]],
      );
    });

    it('does not count an override across sources as a collision', () => {
      assert.deepStrictEqual(
        merged([
          source('/a/', [['/a/v1/host', '1']], { rewrite: [{ trimPrefix: 'v1/' }] }),
          source('/b/', [['/b/host', '2']]),
        ]),
        { host: '2' },
      );
    });

    it('refuses an expression RE2 does not accept (lookahead) as InvalidOption naming the rewrite', () => {
      const result = mergeSources([
        source('/a/', [], { rewrite: [{ replace: { regex: '(?=x)', with: '' } }] }),
      ]);
      assert.ok(!result.ok);
      assert.equal(result.problems[0]?.kind, 'InvalidOption');
      assert.match(JSON.stringify(result.problems[0]), /spec\.sources\[0\]\.rewrite\[0\]/);
    });

    it('runs a catastrophic-for-backtracking expression in linear time', () => {
      const path = `${'a'.repeat(40)}!`;
      const started = Date.now();
      merged([
        source('/a/', [[`/a/${path}`, '1']], { rewrite: [{ replace: { regex: '^(a+)+$', with: 'x' } }] }),
      ]);
      assert.ok(Date.now() - started < 500, `took ${Date.now() - started} ms`);
    });
  });

  describe('rendered', () => {
    it('names the etcd key when a rewrite makes a path no ConfigMap key can be (InvalidKey)', () => {
      const result = mergeSources([
        source('/a/', [['/a/x', '1']], { rewrite: [{ replace: { regex: 'x', with: 'x//y' } }] }),
      ]);
      assert.ok(result.ok);
      const rendered = renderConfigMap(
        { prefix: '', revision: 1n, entries: result.entries },
        { format: 'files', separator: '.' },
      );
      assert.ok(!rendered.ok);
      assert.equal(rendered.problems[0]?.kind, 'InvalidKey');
      const problem = rendered.problems[0];
      assert.equal(problem?.kind === 'InvalidKey' ? problem.etcdKey.toString() : problem, '/a/x');
    });

    it('lays out the merged paths like one prefix', () => {
      const result = mergeSources([
        source('/d/', [['/d/db/host', 'a']]),
        source('/e/', [['/e/db/port', '1']]),
      ]);
      assert.ok(result.ok);
      const rendered = expectOk(
        renderConfigMap(
          { prefix: '', revision: 1n, entries: result.entries },
          { format: 'files', separator: '.' },
        ),
      );
      assert.deepStrictEqual(plain(rendered.data), { 'db.host': 'a', 'db.port': '1' });
    });
  });
});
