import { strict as assert } from 'node:assert';
import { TemplatePool, TemplatePoolClosed } from '../../../src/controller/prefixsync/template-pool.js';
import { buildTemplateModel, type TemplateModel } from '../../../src/sync/index.js';

const RUNAWAY =
  '{% for i in (1..3000) %}{% for j in (1..3000) %}{% for k in (1..3000) %}{% endfor %}{% endfor %}{% endfor %}';

function model(): TemplateModel {
  const built = buildTemplateModel(Buffer.from('/p/'), [
    { key: Buffer.from('/p/name'), value: Buffer.from('v') },
  ]);
  assert.ok(built.ok);
  return built.model;
}

describe('TemplatePool', function () {
  // Worker start-up under tsx compiles the sync layer: seconds on a busy machine, once per worker.
  this.timeout(120_000);
  const timeoutMs = 1_000;
  // The engine's own budget above the hard limit: only termination can stop RUNAWAY in time.
  let pool: TemplatePool;

  before(async () => {
    pool = new TemplatePool({ workers: 2, timeoutMs, engineLimitMs: 60_000 });
    // Start both workers before timing anything.
    await Promise.all([pool.render({ a: 'x' }, model(), 1000), pool.render({ b: 'y' }, model(), 1000)]);
  });
  after(() => pool.close());

  it('renders each template on a worker, in key order', async () => {
    const result = await pool.render({ 'b.txt': '{{ "name" | get }}', 'a.txt': 'A' }, model(), 1000);
    assert.deepEqual(result.ok && { ...result.data }, { 'a.txt': 'A', 'b.txt': 'v' });
  });

  it('terminates a runaway template at the hard limit while the other worker keeps rendering', async () => {
    const started = Date.now();
    const runaway = pool.render({ 'loop.conf': RUNAWAY }, model(), 1000);
    const other = await pool.render({ ok: 'fine' }, model(), 1000);
    assert.ok(other.ok);
    assert.ok(Date.now() - started < timeoutMs, 'the other template did not wait for the runaway');
    const result = await runaway;
    assert.ok(!result.ok);
    assert.equal(result.error.templateKey, 'loop.conf');
    assert.equal(result.error.limit, 'time');
    // The replacement worker starts afresh: the pool renders again.
    const after = await pool.render({ again: 'yes' }, model(), 1000);
    assert.ok(after.ok);
  });

  it('shares one output budget across the templates', async () => {
    const result = await pool.render({ a: '0123456789', b: '0123456789' }, model(), 15);
    assert.ok(!result.ok);
    assert.equal(result.error.templateKey, 'b');
    assert.equal(result.error.limit, 'output');
  });

  it('fails queued renders after close, and close is idempotent', async () => {
    const own = new TemplatePool({ workers: 1 });
    await own.close();
    await own.close();
    await assert.rejects(own.render({ a: 'x' }, model(), 10), TemplatePoolClosed);
  });
});
