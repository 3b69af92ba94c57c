// format: template against real etcd and the simulator: an nginx.conf rendered with a loop and a
// conditional, a template ConfigMap whose edits re-render, and templates that fail — a syntax error,
// a runaway loop, 100 MiB of output — each TemplateFailed naming the template and line while the last
// good ConfigMap stays and another PrefixSync on the same operator keeps syncing.
import { strict as assert } from 'node:assert';
import type { PrefixSyncSpec } from '../../../src/api/index.js';
import type { TestEnv } from './support.js';
import { useTestEnv, waitFor } from './support.js';

const NGINX = `upstream app {
{%- assign servers = "upstreams" | children %}
{%- for s in servers %}
  server {{ s.value }};
{%- endfor %}
}
server {
  listen {{ "listen" | get: "80" }};
  server_name {{ tree.server.name }};
{%- assign tls = "tls/cert" | has %}
{%- if tls %}
  ssl_certificate {{ "tls/cert" | get }};
{%- endif %}
}
`;

/** Three nested loops of 3,000: far past any time limit. */
const RUNAWAY =
  '{% for i in (1..3000) %}{% for j in (1..3000) %}{% for k in (1..3000) %}{% endfor %}{% endfor %}{% endfor %}';
/** 10,000 × 10,000 × 1 KiB of output: 100 GiB asked, 1 MiB allowed. */
const HUGE = `{% assign kib = "${'x'.repeat(1024)}" %}{% for i in (1..10000) %}{% for j in (1..10000) %}{{ kib }}{% endfor %}{% endfor %}`;

describe('PrefixSync format template (real etcd + simulator)', function () {
  this.timeout(120_000);
  let env: TestEnv;

  useTestEnv(async (e) => {
    env = e;
    await env.startManager();
  });

  const templateSpec = (inline: Record<string, string>): Partial<PrefixSyncSpec> => ({
    target: { name: 'cfg', format: 'template', template: { inline } },
  });
  const dataOf = async (ns: string, key: string) => (await env.configMap(ns, 'cfg'))?.data?.[key];
  const readyMessage = async (ns: string, name = 'app') => {
    const c = (await env.prefixSync(ns, name))?.status?.conditions?.find((x) => x.type === 'Ready');
    return c ? `${c.status}/${c.reason}: ${c.message}` : 'no Ready condition';
  };
  async function waitForFailure(ns: string, pattern: RegExp, name = 'app'): Promise<string> {
    return waitFor(`${ns}/${name} TemplateFailed matching ${pattern}`, async () => {
      const m = await readyMessage(ns, name);
      return m.startsWith('False/TemplateFailed: ') && pattern.test(m) ? { m } : m;
    }).then((r) => r.m);
  }

  it('renders nginx.conf from the keys with a loop and a conditional, and re-renders on a change', async () => {
    const { ns, prefix } = await env.freshApp(templateSpec({ 'nginx.conf': NGINX }), {
      'server/name': 'shop.example.com',
      'upstreams/a': '10.0.0.1:8080',
      'upstreams/b': '10.0.0.2:8080',
    });
    // The first template render starts the pool's workers (seconds under tsx).
    await waitFor('nginx.conf', async () => ((await dataOf(ns, 'nginx.conf')) ?? '').includes('server_name'));
    assert.equal(
      await dataOf(ns, 'nginx.conf'),
      'upstream app {\n  server 10.0.0.1:8080;\n  server 10.0.0.2:8080;\n}\nserver {\n  listen 80;\n  server_name shop.example.com;\n}\n',
    );
    await env.put(`${prefix}tls/cert`, '/etc/tls/shop.pem');
    await waitFor('the conditional block', async () =>
      ((await dataOf(ns, 'nginx.conf')) ?? '').includes('ssl_certificate /etc/tls/shop.pem;'),
    );

    // A syntax error names the template and its line; the last good ConfigMap stays.
    const good = await dataOf(ns, 'nginx.conf');
    await env.patchPrefixSync(ns, 'app', {
      spec: { target: { template: { inline: { 'nginx.conf': 'events {}\nhttp {\n  {% if x %}\n}\n' } } } },
    });
    const message = await waitForFailure(ns, /"nginx\.conf" line 3, column 3: syntax error/);
    assert.match(message, /tag \{% if x %\} not closed|not closed/);
    await env.put(`${prefix}upstreams/c`, '10.0.0.3:8080');
    assert.equal(await dataOf(ns, 'nginx.conf'), good);
  });

  it('renders the keys of a template ConfigMap, waits while it is missing, and re-renders when it changes', async () => {
    const ns = await env.namespace();
    const prefix = `/${ns}/`;
    await env.put(`${prefix}db/host`, 'db.internal');
    await env.createPrefixSync(ns, 'app', {
      sourceRef: { name: 'main' },
      prefix,
      debounce: '0s',
      target: { name: 'cfg', format: 'template', template: { configMapRef: { name: 'tmpl' } } },
    });
    await waitForFailure(ns, /ConfigMap tmpl not found/);
    assert.equal(await env.configMap(ns, 'cfg'), undefined, 'nothing published');

    await env.core.createNamespacedConfigMap({
      namespace: ns,
      body: {
        metadata: { name: 'tmpl' },
        data: { 'application.toml': '[db]\nhost = "{{ "db/host" | get }}"\n' },
      },
    });
    await waitFor(
      'application.toml',
      async () => (await dataOf(ns, 'application.toml')) === '[db]\nhost = "db.internal"\n',
    );

    await env.core.replaceNamespacedConfigMap({
      name: 'tmpl',
      namespace: ns,
      body: {
        metadata: { name: 'tmpl' },
        data: { 'application.toml': '[database]\nhost = {{ "db/host" | get | json }}\n' },
      },
    });
    await waitFor(
      'the edited template',
      async () => (await dataOf(ns, 'application.toml')) === '[database]\nhost = "db.internal"\n',
    );
  });

  it('renders spec.sources from their merged paths: filtered, rewritten, a later source winning', async () => {
    const ns = await env.namespace();
    await env.put(`/${ns}/defaults/log/level`, 'info');
    await env.put(`/${ns}/defaults/db/host`, 'db.internal');
    await env.put(`/${ns}/prod/v2/log/level`, 'warn');
    await env.put(`/${ns}/prod/v2/notes`, 'left out');
    await env.createPrefixSync(ns, 'app', {
      sourceRef: { name: 'main' },
      sources: [
        { prefix: `/${ns}/defaults/` },
        {
          prefix: `/${ns}/prod/`,
          exclude: ['*/notes'],
          rewrite: [{ replace: { regex: '^v[0-9]+/', with: '' } }],
        },
      ],
      debounce: '0s',
      target: {
        name: 'cfg',
        format: 'template',
        template: {
          inline: { 'app.conf': '{{ "log/level" | get }} {{ tree.db.host }} {{ "notes" | has }}' },
        },
      },
    });
    await waitFor('app.conf', async () => {
      const text = await dataOf(ns, 'app.conf');
      return text === 'warn db.internal false' ? true : `${text} (${await readyMessage(ns)})`;
    });
  });

  it('stops a runaway loop and 100 MiB of output with TemplateFailed while another PrefixSync keeps syncing', async () => {
    const loop = await env.freshApp(templateSpec({ 'loop.conf': 'ok {{ "a" | get }}' }), { a: '1' });
    const huge = await env.freshApp(templateSpec({ 'huge.conf': 'ok {{ "a" | get }}' }), { a: '1' });
    const other = await env.freshApp(templateSpec({ 'other.conf': 'v={{ "v" | get }}' }), { v: '1' });
    for (const [app, key] of [
      [loop, 'loop.conf'],
      [huge, 'huge.conf'],
    ] as const) {
      await waitFor(`${key} published`, async () => (await dataOf(app.ns, key)) === 'ok 1');
    }
    await waitFor('other.conf published', async () => (await dataOf(other.ns, 'other.conf')) === 'v=1');

    await env.patchPrefixSync(loop.ns, 'app', {
      spec: { target: { template: { inline: { 'loop.conf': `a\n${RUNAWAY}` } } } },
    });
    await env.patchPrefixSync(huge.ns, 'app', {
      spec: { target: { template: { inline: { 'huge.conf': HUGE } } } },
    });
    const started = Date.now();
    await env.put(`${other.prefix}v`, '2');
    // Rendered off the event loop: the other PrefixSync syncs while the runaway is still running.
    await waitFor(
      'other.conf synced during the runaway',
      async () => (await dataOf(other.ns, 'other.conf')) === 'v=2',
    );
    const loopStatus = await readyMessage(loop.ns);
    assert.ok(!loopStatus.includes('TemplateFailed'), `the runaway had already ended: ${loopStatus}`);

    const loopFailure = await waitForFailure(loop.ns, /"loop\.conf"/);
    assert.match(loopFailure, /line 2|within \d+ ms/);
    // The operator's limit is 3 s per template; the rest is the reconcile and status write.
    assert.ok(Date.now() - started < 10_000, `TemplateFailed after ${Date.now() - started} ms`);
    const hugeFailure = await waitForFailure(huge.ns, /"huge\.conf".*output passes the limit/);
    assert.ok(hugeFailure.length < 2000);
    assert.equal(await dataOf(loop.ns, 'loop.conf'), 'ok 1', 'the last good ConfigMap stays');
    assert.equal(await dataOf(huge.ns, 'huge.conf'), 'ok 1', 'the last good ConfigMap stays');
  });
});
