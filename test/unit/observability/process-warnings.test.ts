import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { routeProcessWarnings, silentLogger, type LogFields } from '../../../src/observability/index.js';

const OBSERVABILITY = fileURLToPath(new URL('../../../src/observability/index.ts', import.meta.url));

describe('routeProcessWarnings', () => {
  it('logs a warning at warn with its name, code and text, in place of the listeners already there', () => {
    const emitter = new EventEmitter();
    const printed: Error[] = [];
    emitter.on('warning', (w: Error) => printed.push(w));
    const logged: Array<[string, LogFields | undefined]> = [];
    const restore = routeProcessWarnings(
      { ...silentLogger, warn: (message, fields) => logged.push([message, fields]) },
      emitter,
    );
    const warning = Object.assign(new Error('Setting the TLS ServerName to an IP address is not permitted'), {
      name: 'DeprecationWarning',
      code: 'DEP0123',
    });
    emitter.emit('warning', warning);
    assert.deepEqual(logged, [
      ['process warning', { warning: 'DeprecationWarning', code: 'DEP0123', detail: warning.message }],
    ]);
    assert.deepEqual(printed, []);
    restore();
    emitter.emit('warning', warning);
    assert.equal(printed.length, 1);
    assert.equal(logged.length, 1);
  });

  it("leaves only JSON lines on a real process's stderr (Node's own printer removed)", async () => {
    const script = `
      const { createLogger, routeProcessWarnings } = await import(${JSON.stringify(OBSERVABILITY)});
      routeProcessWarnings(createLogger());
      process.emitWarning('Setting the TLS ServerName to an IP address', { type: 'DeprecationWarning', code: 'DEP0123' });
      await new Promise((r) => setImmediate(r)); // emitWarning emits on the next tick
    `;
    const { stderr } = await promisify(execFile)(process.execPath, [
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      script,
    ]);
    const lines = stderr.split('\n').filter((l) => l !== '');
    assert.ok(lines.length > 0, 'nothing logged');
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(
      parsed.map((p) => [p['level'], p['code']]),
      [['warn', 'DEP0123']],
    );
  });
});
