import type { FormattableEvent } from '../../../src/cli/watch-format.js';

/** A put of `/config/a` = `hello` at revision 12, with `overrides`. */
export function event(overrides: Partial<FormattableEvent> = {}): FormattableEvent {
  return {
    type: 'put',
    key: Buffer.from('/config/a'),
    value: Buffer.from('hello'),
    modRevision: 12n,
    createRevision: 10n,
    version: 3n,
    lease: 0n,
    ...overrides,
  };
}
