import { strict as assert } from 'node:assert';
import { parseWatchArgs, WATCH_USAGE } from '../../../src/cli/watch-options.js';
import { formatJsonLine, formatTextLine } from '../../../src/cli/watch-format.js';

describe('watch when etcd went back', () => {
  describe('--on-reset', () => {
    it('defaults to exit', () => {
      const parsed = parseWatchArgs(['/config/']);
      assert.equal(parsed.kind, 'run');
      if (parsed.kind === 'run') assert.equal(parsed.options.onReset, 'exit');
    });

    it('takes resume and exit', () => {
      for (const value of ['resume', 'exit'] as const) {
        const parsed = parseWatchArgs([`--on-reset=${value}`, '/config/']);
        assert.equal(parsed.kind, 'run');
        if (parsed.kind === 'run') assert.equal(parsed.options.onReset, value);
      }
    });

    it('refuses anything else, naming the flag and the choices', () => {
      const parsed = parseWatchArgs(['--on-reset', 'ignore', '/config/']);
      assert.deepEqual(parsed, { kind: 'error', message: "--on-reset: 'ignore' is not one of exit, resume" });
    });

    it('is documented in --help with the reset JSON line', () => {
      assert.match(WATCH_USAGE, /--on-reset exit\|resume/);
      assert.match(
        WATCH_USAGE,
        /\{"type":"reset","revision","etcdRevision","previousClusterId"\?,"clusterId"\?\}/,
      );
    });
  });

  describe('the reset line', () => {
    it('as JSON names both revisions as decimal strings', () => {
      assert.equal(
        formatJsonLine({ type: 'reset', revision: 51n, etcdRevision: 1n }),
        '{"type":"reset","revision":"51","etcdRevision":"1"}\n',
      );
    });

    it('as JSON adds both cluster IDs when another cluster answers', () => {
      const line = formatJsonLine({
        type: 'reset',
        revision: 51n,
        etcdRevision: 3n,
        previousClusterId: '14841639068965178418',
        clusterId: '17237436991929493444',
      });
      assert.deepEqual(JSON.parse(line), {
        type: 'reset',
        revision: '51',
        etcdRevision: '3',
        previousClusterId: '14841639068965178418',
        clusterId: '17237436991929493444',
      });
    });

    it('as text is a # line on stderr naming both revisions (and cluster IDs)', () => {
      assert.deepEqual(formatTextLine({ type: 'reset', revision: 51n, etcdRevision: 1n }), {
        stderr: '# reset: etcd went back from revision 51 to 1\n',
      });
      assert.deepEqual(
        formatTextLine({
          type: 'reset',
          revision: 51n,
          etcdRevision: 3n,
          previousClusterId: 'a',
          clusterId: 'b',
        }),
        { stderr: '# reset: etcd went back from revision 51 to 3; cluster ID changed from a to b\n' },
      );
    });
  });
});
