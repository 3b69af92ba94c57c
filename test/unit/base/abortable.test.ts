import { strict as assert } from 'node:assert';
import { abortable, AbortedError } from '../../../src/base/index.js';

describe('abortable', () => {
  it('settles with the work when the signal does not abort', async () => {
    const stop = new AbortController();
    assert.equal(await abortable(Promise.resolve(7), stop.signal), 7);
    await assert.rejects(abortable(Promise.reject(new Error('boom')), stop.signal), /boom/);
  });

  it('is the work itself without a signal', () => {
    const work = Promise.resolve(1);
    assert.equal(abortable(work, undefined), work);
  });

  it('rejects with AbortedError as soon as the signal aborts, while the work runs on', async () => {
    const stop = new AbortController();
    const never = new Promise<number>(() => undefined);
    const waiting = abortable(never, stop.signal);
    stop.abort();
    await assert.rejects(waiting, AbortedError);
    await assert.rejects(abortable(Promise.resolve(1), AbortSignal.abort()), AbortedError);
  });
});
