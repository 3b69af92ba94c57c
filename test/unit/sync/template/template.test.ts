import { strict as assert } from 'node:assert';
import {
  buildTemplateModel,
  childrenOf,
  describeTemplateError,
  renderTemplates,
  type TemplateModel,
} from '../../../../src/sync/index.js';

const PREFIX = Buffer.from('/app/');
const entry = (path: string, value: string | Buffer) => ({
  key: Buffer.from(`/app/${path}`),
  value: typeof value === 'string' ? Buffer.from(value) : value,
});

function model(entries: Record<string, string>): TemplateModel {
  const built = buildTemplateModel(
    PREFIX,
    Object.entries(entries).map(([k, v]) => entry(k, v)),
  );
  assert.ok(built.ok);
  return built.model;
}

describe('template data model', () => {
  it('gives the content as a flat map and as a tree, in any entry order', () => {
    const built = buildTemplateModel(PREFIX, [
      entry('db/host/x', 'deep'),
      entry('db/host', 'h'),
      entry('port', '80'),
    ]);
    assert.ok(built.ok);
    assert.deepEqual({ ...built.model.keys }, { 'db/host/x': 'deep', 'db/host': 'h', port: '80' });
    // A path that is a value and a parent shows its children in the tree; the value stays in keys.
    assert.deepEqual(JSON.parse(JSON.stringify(built.model.tree)), {
      db: { host: { x: 'deep' } },
      port: '80',
    });
  });

  it('shows a non-UTF-8 value base64-encoded and lists it in binaryKeys', () => {
    const built = buildTemplateModel(PREFIX, [entry('bin', Buffer.from([0xff, 0x00]))]);
    assert.ok(built.ok);
    assert.equal(built.model.keys.bin, '/wA=');
    assert.deepEqual(built.model.binaryKeys, ['bin']);
  });

  it('refuses a key without a path below the prefix, or skips it when asked', () => {
    const entries = [entry('a//b', 'x'), entry('ok', 'y')];
    const failed = buildTemplateModel(PREFIX, entries);
    assert.ok(!failed.ok);
    assert.equal(failed.problems[0]?.kind, 'InvalidKey');
    const skipped = buildTemplateModel(PREFIX, entries, true);
    assert.ok(skipped.ok);
    assert.deepEqual(Object.keys(skipped.model.keys), ['ok']);
    assert.equal(skipped.skipped.length, 1);
  });

  it('lists the direct children of a path, sorted, each once', () => {
    const keys = model({ 'u/b': '2', 'u/a': '1', 'u/a/x': '9', v: '0' }).keys;
    assert.deepEqual(childrenOf(keys, 'u'), [
      { name: 'a', path: 'u/a', hasChildren: true, value: '1' },
      { name: 'b', path: 'u/b', hasChildren: false, value: '2' },
    ]);
    assert.deepEqual(
      childrenOf(keys, '/').map((c) => c.name),
      ['u', 'v'],
    );
  });
});

describe('renderTemplates', () => {
  const data = model({
    'server/name': 'example.com',
    'upstreams/a': '10.0.0.1:80',
    'upstreams/b': '10.0.0.2:80',
    ports: '[80, 443]',
    secret: 'hi',
  });

  it('renders with get, has, children, from_json, base64 and the tree', () => {
    const result = renderTemplates(
      {
        'out.conf': [
          'name {{ "server/name" | get }} {{ tree.server.name }} {{ keys["server/name"] }}',
          '{% assign ups = "upstreams" | children %}{% for u in ups %}{{ u.name }}={{ u.value }};{% endfor %}',
          '{% assign tls = "tls/cert" | has %}{% if tls %}tls{% else %}plain{% endif %}',
          '{% assign ports = "ports" | get | from_json %}{{ ports[1] }} {{ "missing" | get: "dflt" }}',
          '{{ "secret" | get | base64_encode }} {{ "aGk=" | base64_decode }}',
        ].join('\n'),
      },
      data,
    );
    assert.ok(result.ok, JSON.stringify(result));
    assert.equal(
      result.data['out.conf'],
      'name example.com example.com example.com\na=10.0.0.1:80;b=10.0.0.2:80;\nplain\n443 dflt\naGk= hi',
    );
  });

  it('names the template key, line and column of a syntax error', () => {
    const result = renderTemplates({ 'a.conf': 'ok', 'b.conf': 'line 1\n  {% if x %}\nno end' }, data);
    assert.ok(!result.ok);
    assert.equal(result.error.templateKey, 'b.conf');
    assert.equal(result.error.phase, 'syntax');
    assert.equal(result.error.line, 2);
    assert.equal(result.error.column, 3);
    assert.match(describeTemplateError(result.error), /^template "b\.conf" line 2, column 3: syntax error: /);
  });

  it('reports a failing helper as a render error at its line', () => {
    const result = renderTemplates({ x: 'a\n{{ "secret" | get | from_json }}' }, data);
    assert.ok(!result.ok);
    assert.equal(result.error.phase, 'render');
    assert.equal(result.error.line, 2);
    assert.match(result.error.message, /from_json/);
  });

  it('stops output past the limit without building it', () => {
    const result = renderTemplates(
      { x: '{% for i in (1..10000) %}{% for j in (1..10000) %}0123456789{% endfor %}{% endfor %}' },
      data,
      { maxOutputBytes: 1000 },
    );
    assert.ok(!result.ok);
    assert.equal(result.error.limit, 'output');
  });

  it('stops a long loop at the engine time budget', () => {
    const result = renderTemplates(
      {
        x: '{% for i in (1..3000) %}{% for j in (1..3000) %}{% for k in (1..3000) %}{% endfor %}{% endfor %}{% endfor %}',
      },
      data,
      { renderLimitMs: 100 },
    );
    assert.ok(!result.ok);
    assert.equal(result.error.limit, 'time');
  });

  it('reads no files: include and render fail', () => {
    for (const tag of ['{% include "/etc/hostname" %}', '{% render "/etc/hostname" %}']) {
      const result = renderTemplates({ x: tag }, data);
      assert.ok(!result.ok, tag);
    }
  });

  it('refuses an unknown filter and reads no inherited property', () => {
    assert.ok(!renderTemplates({ x: '{{ "a" | nope }}' }, data).ok);
    const result = renderTemplates({ x: '[{{ "constructor" | get }}][{{ keys.constructor }}]' }, data);
    assert.ok(result.ok);
    assert.equal(result.data.x, '[][]');
  });
});
