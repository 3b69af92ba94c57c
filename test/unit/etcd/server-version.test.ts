import { strict as assert } from 'node:assert';
import { isProgressRequestInStep } from '../../../src/etcd/server-version.js';

describe('isProgressRequestInStep (does a RequestProgress reply travel in step with the events?)', () => {
  const table: [string | undefined, boolean][] = [
    ['3.4.23', false],
    ['3.4.24', false],
    ['3.4.25', true],
    ['3.4.37', true],
    ['3.5.0', false],
    ['3.5.7', false],
    ['3.5.8', true],
    ['3.5.16', true],
    ['3.6.0', true],
    ['3.6.0-rc.1', true],
    ['4.0.0', true],
    ['3.3.27', false],
    ['2.3.8', false],
    ['v3.5.16', true],
    ['', false],
    ['not a version', false],
    [undefined, false],
  ];
  for (const [version, expected] of table) {
    it(`${String(version)} → ${expected}`, () => assert.equal(isProgressRequestInStep(version), expected));
  }
});
