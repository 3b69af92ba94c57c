// The template examples render what their comments say: each file's header lists the etcd keys and
// the output, and the templates in it (inline, or in the ConfigMap it ships) must produce exactly that.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { buildTemplateModel, renderTemplates } from '../../../../src/sync/index.js';

interface Doc {
  kind: string;
  data?: Record<string, string>;
  spec?: { prefix: string; target: { template?: { inline?: Record<string, string> } } };
}

/** The header's `etcdctl put KEY VALUE` lines and the indented output after "becomes, under …:". */
function header(text: string): { puts: [string, string][]; output: string } {
  const lines = text.split('\n').filter((l) => l.startsWith('#'));
  const puts: [string, string][] = [];
  for (const l of lines) {
    const m = /^#\s+etcdctl put (\S+)\s+(.+?)(\s+#.*)?$/.exec(l);
    if (m) puts.push([m[1] ?? '', (m[2] ?? '').replace(/^'(.*)'$/, '$1')]);
  }
  const start = lines.findIndex((l) => /becomes, under the ConfigMap key/.test(l));
  const output = lines
    .slice(start + 1)
    .map((l) => l.replace(/^# {3}/, '').replace(/^#$/, ''))
    .join('\n');
  return { puts, output: `${output}\n` };
}

for (const file of ['prefixsync-nginx-template.yaml', 'prefixsync-toml-template.yaml']) {
  describe(`examples/${file}`, () => {
    it('renders the output its header shows from the keys it lists', () => {
      const text = readFileSync(new URL(`../../../../examples/${file}`, import.meta.url), 'utf8');
      const docs = parseAllDocuments(text).map((d) => d.toJS() as Doc);
      const psync = docs.find((d) => d.kind === 'PrefixSync');
      assert.ok(psync?.spec);
      const templates = psync.spec.target.template?.inline ?? docs.find((d) => d.kind === 'ConfigMap')?.data;
      assert.ok(templates);
      const { puts, output } = header(text);
      const built = buildTemplateModel(
        Buffer.from(psync.spec.prefix),
        puts.map(([k, v]) => ({ key: Buffer.from(k), value: Buffer.from(v) })),
      );
      assert.ok(built.ok);
      const result = renderTemplates(templates, built.model);
      assert.ok(result.ok, JSON.stringify(result));
      assert.equal(Object.values(result.data)[0], output.replace(/\n+$/, '\n'));
    });
  });
}
