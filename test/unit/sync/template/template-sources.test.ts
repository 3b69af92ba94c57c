// format: template over spec.sources: the template model must hold the merged, filtered and rewritten
// paths — the same keys in the same tree shape as the other formats lay out — not the etcd keys cut
// by the (empty) merged prefix.
import { strict as assert } from 'node:assert';
import {
  buildTemplateModel,
  describeProblem,
  mergeSources,
  renderConfigMap,
  renderTemplates,
  type SnapshotEntry,
  type SourceContent,
  type SourceRules,
  type TemplateModelResult,
} from '../../../../src/sync/index.js';
import { entry, expectOk } from '../helpers.js';

const ALL: SourceRules = { include: [], exclude: [], rewrite: [] };
const VERSION = { replace: { regex: '^v[0-9]+/', with: '' } };

function source(prefix: string, pairs: [string, string][], rules: Partial<SourceRules> = {}): SourceContent {
  return { prefix, entries: pairs.map(([k, v]) => entry(k, v)), rules: { ...ALL, ...rules } };
}

/** The merged entries, as content.ts hands them to the template (prefix `''`). */
function merge(sources: SourceContent[]): SnapshotEntry[] {
  const merged = mergeSources(sources);
  if (!merged.ok) assert.fail(`expected a merge, got ${JSON.stringify(merged.problems)}`);
  return merged.entries;
}

function modelOf(entries: readonly SnapshotEntry[], skipInvalid = false): TemplateModelResult {
  return buildTemplateModel(Buffer.alloc(0), entries, skipInvalid);
}

/** The template's keys and tree, checked against what `format: json` lays out from the same entries. */
function expectSameAsJson(entries: readonly SnapshotEntry[]): { keys: object; tree: unknown } {
  const built = modelOf(entries);
  if (!built.ok) assert.fail(`expected a model, got ${built.problems.map(describeProblem).join('; ')}`);
  const json = expectOk(
    renderConfigMap({ prefix: '', revision: 1n, entries }, { format: 'json', key: 'c.json', separator: '.' }),
  );
  const tree: unknown = JSON.parse(JSON.stringify(built.model.tree));
  assert.deepStrictEqual(tree, JSON.parse(json.data['c.json'] ?? ''));
  return { keys: { ...built.model.keys }, tree };
}

describe('template data model of spec.sources', () => {
  it('holds the rewritten paths (a rewrite that drops a version segment)', () => {
    const entries = merge([
      source(
        '/svc/',
        [
          ['/svc/v1/db/host', 'db.local'],
          ['/svc/v1/port', '8080'],
        ],
        { rewrite: [VERSION] },
      ),
    ]);
    assert.deepStrictEqual(expectSameAsJson(entries), {
      keys: { 'db/host': 'db.local', port: '8080' },
      tree: { db: { host: 'db.local' }, port: '8080' },
    });
    const built = modelOf(entries);
    assert.ok(built.ok);
    const rendered = renderTemplates(
      {
        'app.conf':
          '{{ "db/host" | get }}:{{ tree.port }} {% assign c = "" | children %}{{ c | map: "name" | join: "," }}',
      },
      built.model,
    );
    assert.deepStrictEqual(rendered.ok && { ...rendered.data }, { 'app.conf': 'db.local:8080 db,port' });
  });

  it('holds only the paths the include and exclude globs keep', () => {
    const entries = merge([
      source(
        '/a/',
        [
          ['/a/app.conf', 'c'],
          ['/a/db/host', 'h'],
          ['/a/db/password', 'p'],
          ['/a/notes.txt', 'n'],
        ],
        { include: ['*.conf', 'db/**'], exclude: ['db/password'] },
      ),
    ]);
    assert.deepStrictEqual(expectSameAsJson(entries).keys, { 'app.conf': 'c', 'db/host': 'h' });
  });

  it('overlays several sources: a later source wins a path, the rest of each stays', () => {
    const entries = merge([
      source('/defaults/', [
        ['/defaults/log/level', 'info'],
        ['/defaults/db/host', 'db'],
      ]),
      source(
        '/prod/',
        [
          ['/prod/v2/log/level', 'warn'],
          ['/prod/v2/extra', 'x'],
        ],
        { rewrite: [VERSION] },
      ),
    ]);
    assert.deepStrictEqual(expectSameAsJson(entries), {
      keys: { 'log/level': 'warn', 'db/host': 'db', extra: 'x' },
      tree: { log: { level: 'warn' }, db: { host: 'db' }, extra: 'x' },
    });
  });

  it('still maps a plain prefix (no sources) from the key below it', () => {
    const built = buildTemplateModel(Buffer.from('/app/'), [
      entry('/app/db/host', 'h'),
      entry('/app/port', '1'),
    ]);
    assert.ok(built.ok);
    assert.deepStrictEqual({ ...built.model.keys }, { 'db/host': 'h', port: '1' });
    // Without a merged path the key is cut by the prefix: one outside it has no path.
    const outside = buildTemplateModel(Buffer.from('/app/'), [entry('/other/x', 'v')]);
    assert.ok(!outside.ok);
    assert.deepStrictEqual(outside.problems[0]?.reasons, ['outside-prefix']);
  });

  it('refuses a path a rewrite leaves without a name, naming the etcd key, or skips it when asked', () => {
    const entries = merge([
      source(
        '/a/',
        [
          ['/a/x', '1'],
          ['/a/ok', '2'],
        ],
        { rewrite: [{ replace: { regex: '^x$', with: 'x//y' } }] },
      ),
    ]);
    const failed = modelOf(entries);
    assert.ok(!failed.ok);
    assert.equal(failed.problems.length, 1);
    assert.equal(describeProblem(failed.problems[0]!), 'invalid key "/a/x" (as "x//y"): empty-segment');
    const skipped = modelOf(entries, true);
    assert.ok(skipped.ok);
    assert.deepStrictEqual({ ...skipped.model.keys }, { ok: '2' });
    assert.deepStrictEqual(
      skipped.skipped.map((p) => p.etcdKey.toString()),
      ['/a/x'],
    );
  });
});
