import { strict as assert } from 'node:assert';
import { PassThrough } from 'node:stream';
import { createLogger, type LogLevel } from '../../../src/observability/index.js';
import { waitFor } from '../../support/wait.js';

/** A logger writing into memory, and its lines parsed. */
function capture(level?: LogLevel) {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const lines = (): Record<string, unknown>[] =>
    text
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { logger: createLogger({ stream, ...(level ? { level } : {}) }), lines };
}

describe('createLogger (JSON lines)', () => {
  it("writes a child's fields, its parent's and the line's own, the line's winning, bigints as decimal text", async () => {
    const { logger, lines } = capture();
    const parentFields = { controller: 'prefixsync', prefixsync: 'from-parent' };
    const child = logger.child(parentFields).child({ prefixsync: 'app' });
    child.info('configmap written', { revision: 12345678901234567890n, prefixsync: 'line' });
    child.warn('plain');
    logger.error('root');
    await waitFor('three lines', () => lines().length === 3 || `${lines().length}`);
    const [written, plain, root] = lines();
    assert.deepEqual(
      { ...written, time: 'set' },
      {
        level: 'info',
        message: 'configmap written',
        controller: 'prefixsync',
        prefixsync: 'line',
        revision: '12345678901234567890',
        time: 'set',
      },
    );
    assert.match(String(written?.['time']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(plain?.['prefixsync'], 'app');
    assert.equal(plain?.['level'], 'warn');
    assert.deepEqual(Object.keys(root ?? {}).sort(), ['level', 'message', 'time']);
    assert.deepEqual(
      parentFields,
      { controller: 'prefixsync', prefixsync: 'from-parent' },
      'fields are not changed',
    );
  });

  it('writes nested bigints as text, and a line whose field holds a cycle instead of throwing', async () => {
    const { logger, lines } = capture();
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic['self'] = cyclic;
    logger.info('nested', { change: { revision: 7n, keys: ['a'] } });
    logger.warn('cyclic', { cyclic, revision: 9n });
    await waitFor('two lines', () => lines().length === 2 || `${lines().length}`);
    const [nested, withCycle] = lines();
    assert.deepEqual(nested?.['change'], { revision: '7', keys: ['a'] });
    assert.equal(withCycle?.['message'], 'cyclic');
    assert.equal(withCycle?.['revision'], '9');
    assert.equal((withCycle?.['cyclic'] as Record<string, unknown>)['name'], 'loop');
    assert.match(String(withCycle?.['time']), /^\d{4}-/);
  });

  it('drops lines below its level, in children too', async () => {
    const { logger, lines } = capture('info');
    logger.child({ a: 1 }).debug('hidden');
    logger.child({ a: 1 }).info('shown');
    await waitFor('one line', () => lines().length >= 1 || 'none');
    assert.deepEqual(
      lines().map((l) => l['message']),
      ['shown'],
    );
  });
});
