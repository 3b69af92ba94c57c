// Typed values (target.values) and env names (keys.case, the '_' default) against real etcd and the
// simulator: what the ConfigMap holds, and a value that is not JSON holding the last good content.
import { strict as assert } from 'node:assert';
import type { TestEnv } from './support.js';
import { useTestEnv, waitFor } from './support.js';

describe('PrefixSync typed values and env names (real etcd + simulator)', function () {
  this.timeout(60_000);
  let env: TestEnv;

  useTestEnv(async (e) => {
    env = e;
    await env.startManager();
  });

  it('embeds JSON values, and refuses a value that is not JSON naming its key', async () => {
    const { ns, prefix } = await env.freshApp(
      { target: { name: 'cfg', format: 'json', key: 'app.json', values: 'JSON' } },
      { port: '8080', 'flags/express': 'true', limits: '{"max": 50, "ratio": 0.5}', tags: '["a","b"]' },
    );
    // waitFor reads a string as "not yet": wrap the document.
    const { doc } = await waitFor('rendered', async () => {
      const text = (await env.configMap(ns, 'cfg'))?.data?.['app.json'];
      return text === undefined ? undefined : { doc: text };
    });
    assert.deepEqual(JSON.parse(doc), {
      flags: { express: true },
      limits: { max: 50, ratio: 0.5 },
      port: 8080,
      tags: ['a', 'b'],
    });

    const rev = await env.put(`${prefix}port`, 'eighty');
    const ready = await waitFor('RenderFailed', async () => {
      const p = await env.prefixSync(ns, 'app');
      const c = p?.status?.conditions?.find((x) => x.type === 'Ready');
      return c?.reason === 'RenderFailed' ? c : undefined;
    });
    assert.match(ready.message ?? '', new RegExp(`${prefix}port.*not-json`));
    assert.equal((await env.configMap(ns, 'cfg'))?.data?.['app.json'], doc, 'the last good content stays');
    assert.notEqual((await env.prefixSync(ns, 'app'))?.status?.syncedRevision, rev.toString());
  });

  it("format env joins nested keys with '_' by default and upper-cases them with keys.case Upper", async () => {
    const { ns } = await env.freshApp(
      { target: { name: 'cfg', format: 'env', key: '.env' }, keys: { case: 'Upper' } },
      { 'flags/enabled': 'true', greeting: "it's on" },
    );
    const { text } = await waitFor('rendered', async () => {
      const data = (await env.configMap(ns, 'cfg'))?.data?.['.env'];
      return data === undefined ? undefined : { text: data };
    });
    assert.equal(text, "FLAGS_ENABLED='true'\nGREETING='it'\\''s on'\n");
  });
});
