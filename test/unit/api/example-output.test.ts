// The examples that show what a PrefixSync writes (an `etcdctl put` list, then `becomes, under the
// ConfigMap key K:` and the document) must show exactly what the operator renders for those keys.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { resolvePrefixSyncSpec } from '../../../src/api/index.js';
import { renderContent } from '../../../src/controller/index.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const EXAMPLES = path.join(ROOT, 'examples');

/** `etcdctl put KEY VALUE`'s value as a POSIX shell passes it: '…' and "…" quoting removed. */
function shellWord(text: string): string {
  const quoted = /^'(.*)'$|^"(.*)"$/.exec(text);
  return quoted ? (quoted[1] ?? quoted[2] ?? '') : text;
}

interface Shown {
  puts: [string, string][];
  key: string;
  document: string;
}

/** What an example's header comment shows: its etcd keys, and the document they become. */
function shownOutput(text: string): Shown | undefined {
  const lines = text.split('\n');
  const puts: [string, string][] = [];
  for (const line of lines) {
    const put = /^#\s+etcdctl put (\S+)\s+(.*)$/.exec(line);
    // An unquoted `#` after a space starts a shell comment.
    if (put) puts.push([put[1]!, shellWord(put[2]!.replace(/\s+#.*$/, '').trim())]);
  }
  const at = lines.findIndex((l) => /^# becomes, under the ConfigMap key (\S+):$/.test(l));
  if (at < 0 || puts.length === 0) return undefined;
  const key = /key (\S+):$/.exec(lines[at]!)![1]!;
  const body: string[] = [];
  for (const line of lines.slice(at + 1)) {
    if (!line.startsWith('#   ')) break;
    body.push(line.slice('#   '.length));
  }
  return { puts, key, document: `${body.join('\n')}\n` };
}

describe('examples/ show what the operator writes', () => {
  const files = readdirSync(EXAMPLES).filter((f) => /\.ya?ml$/.test(f));
  const shown = files.flatMap((file) => {
    const text = readFileSync(path.join(EXAMPLES, file), 'utf8');
    const output = shownOutput(text);
    // Its PrefixSync (an example may add the Deployment or the ConfigMap it uses). Templates are left
    // to their own tests: a configMapRef template needs its ConfigMap.
    const psync = parseAllDocuments(text)
      .map((d) => d.toJS() as { kind?: string; spec?: { target?: { format?: string } } } | null)
      .find((o) => o?.kind === 'PrefixSync');
    if (!output || !psync || psync.spec?.target?.format === 'template') return [];
    return [{ file, output, spec: psync.spec }];
  });

  it('finds the examples that show output (env, yaml, typed json at least)', () => {
    const names = shown.map((s) => s.file);
    for (const f of ['prefixsync-env.yaml', 'prefixsync-yaml.yaml', 'prefixsync-typed-json.yaml'])
      assert.ok(names.includes(f), `${f} shows no output: ${names.join(', ')}`);
  });

  for (const { file, output, spec } of shown) {
    it(`${file}: the document in its comment is the rendered one`, async () => {
      const resolved = resolvePrefixSyncSpec(spec);
      assert.ok(resolved.ok, JSON.stringify(resolved));
      const entries = output.puts.map(([key, value]) => ({
        key: Buffer.from(key),
        value: Buffer.from(value),
        createRevision: 1n,
        modRevision: 1n,
        version: 1n,
        lease: 0n,
      }));
      const rendered = await renderContent(resolved.spec, { revision: 1n, entries });
      assert.equal(rendered.data[output.key], output.document);
    });
  }
});
