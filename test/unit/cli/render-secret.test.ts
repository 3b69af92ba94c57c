import { strict as assert } from 'node:assert';
import { parseRenderArgs } from '../../../src/cli/render-options.js';
import { diffConfigMapData } from '../../../src/cli/render-diff.js';
import { maskedDataPair, maskedSecret } from '../../../src/cli/render-secret.js';

describe('render: Secret masking', () => {
  it('maskedSecret keeps the keys and metadata, hides every value, drops stringData', () => {
    const masked = maskedSecret({
      kind: 'Secret',
      metadata: { name: 's' },
      data: { a: 'c2VjcmV0', b: 'eA==' },
      stringData: { c: 'plain' },
    });
    assert.deepEqual(masked, { kind: 'Secret', metadata: { name: 's' }, data: { a: '***', b: '***' } });
  });

  it('maskedDataPair marks changed, added and removed keys, each on its own side', () => {
    const [before, after] = maskedDataPair(
      { same: 'eA==', changed: 'eA==', gone: 'eA==' },
      {
        same: 'eA==',
        changed: 'eQ==',
        added: 'eg==',
      },
    );
    assert.deepEqual(before, { data: { same: '***', changed: '*** (before)', gone: '*** (before)' } });
    assert.deepEqual(after, { data: { same: '***', changed: '*** (after)', added: '*** (after)' } });
    const diff = diffConfigMapData(before, after, 'ns/s');
    assert.ok(!diff.includes('eA==') && !diff.includes('eQ=='), diff);
    assert.match(diff, /^--- live\/ns\/s\/data\/changed$/m);
    assert.match(diff, /^\+\+\+ \/dev\/null$/m);
  });

  it('diffConfigMapData names a rendered version apart from the live one', () => {
    const diff = diffConfigMapData({ data: { k: 'a' } }, { data: { k: 'b' } }, 'ns/v-1', 'ns/v-2');
    assert.match(diff, /^--- live\/ns\/v-1\/data\/k\n\+\+\+ rendered\/ns\/v-2\/data\/k\n/);
  });
});

describe('render: --show-secret-values and --template-file', () => {
  it('parses repeated --template-file KEY=PATH and --show-secret-values', () => {
    const parsed = parseRenderArgs([
      'app',
      '--show-secret-values',
      '--template-file',
      'a.conf=/t/a=b.liquid',
      '--template-file',
      'b.conf=b.liquid',
    ]);
    assert.equal(parsed.kind, 'run');
    if (parsed.kind !== 'run') return;
    assert.equal(parsed.options.showSecretValues, true);
    assert.deepEqual(parsed.options.templateFiles, { 'a.conf': '/t/a=b.liquid', 'b.conf': 'b.liquid' });
    const plain = parseRenderArgs(['app']);
    assert.deepEqual(plain.kind === 'run' && [plain.options.showSecretValues, plain.options.templateFiles], [
      false,
      {},
    ]);
  });

  it('refuses a --template-file that is not KEY=PATH, or a key given twice', () => {
    for (const [args, message] of [
      [['--template-file', 'nokey'], "--template-file: 'nokey' is not KEY=PATH"],
      [['--template-file', '=p'], "--template-file: '=p' is not KEY=PATH"],
      [['--template-file', 'k='], "--template-file: 'k=' is not KEY=PATH"],
      [['--template-file', 'k=a', '--template-file', 'k=b'], "--template-file: key 'k' given twice"],
    ] as const) {
      assert.deepEqual(parseRenderArgs(['app', ...args]), { kind: 'error', message });
    }
  });
});
