import { strict as assert } from 'node:assert';
import { Session } from '../../../src/runtime/index.js';

describe('Session', () => {
  const closing = (log: string[], name: string) => ({
    close: () => {
      log.push(name);
      return Promise.resolve();
    },
  });

  it('makes one object per key and closes them, the last made first', async () => {
    const log: string[] = [];
    const session = new Session(new AbortController().signal);
    const a = session.shared('a', () => closing(log, 'a'));
    assert.equal(
      session.shared('a', () => closing(log, 'a again')),
      a,
    );
    session.shared('b', () => closing(log, 'b'));
    await session.close();
    assert.deepEqual(log, ['b', 'a']);
  });

  it('refuses to make anything once ended', async () => {
    const session = new Session(new AbortController().signal);
    await session.close();
    assert.throws(() => session.shared('late', () => ({ close: () => Promise.resolve() })), /session ended/);
  });
});
