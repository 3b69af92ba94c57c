import { strict as assert } from 'node:assert';
import {
  DEFAULT_DEMO_TIMEOUT_MS,
  DEMO_USAGE,
  DemoUsageError,
  parseDemoArgs,
} from '../../../src/cli/demo-options.js';

describe('demo --timeout', () => {
  it('says DURATION in its help, and takes the Go durations the other flags take', () => {
    assert.match(DEMO_USAGE, /--timeout DURATION/);
    const table: [string, number][] = [
      ['2m', 120_000],
      ['90s', 90_000],
      ['1m30s', 90_000],
      ['1500ms', 1_500],
      ['150', 150_000], // a bare number of seconds, as earlier releases took it
    ];
    for (const [text, ms] of table) {
      const o = parseDemoArgs(['--exit-after-sync', '--timeout', text]);
      assert.ok(o !== 'help');
      assert.equal(o.timeoutMs, ms, text);
      const inline = parseDemoArgs([`--timeout=${text}`]);
      assert.ok(inline !== 'help');
      assert.equal(inline.timeoutMs, ms, `--timeout=${text}`);
    }
  });

  it('defaults to 2m', () => {
    const o = parseDemoArgs([]);
    assert.ok(o !== 'help');
    assert.equal(o.timeoutMs, DEFAULT_DEMO_TIMEOUT_MS);
    assert.equal(DEFAULT_DEMO_TIMEOUT_MS, 120_000);
  });

  for (const bad of ['0', '0s', 'soon', '-1m', '2 m']) {
    it(`refuses '${bad}' naming the flag`, () => {
      assert.throws(
        () => parseDemoArgs(['--timeout', bad]),
        (e: unknown) => e instanceof DemoUsageError && /^--timeout: /.test(e.message),
      );
    });
  }
});
