import path from 'node:path';
import { RuleTester } from 'eslint';
import { layersRule } from '../../tools/eslint/layers.js';

// RuleTester registers its own describe/it blocks with mocha.
const root = process.cwd();
const at = (file: string): string => path.join(root, 'src', file);
const tester = new RuleTester({ languageOptions: { ecmaVersion: 2022, sourceType: 'module' } });

describe('the layer lint rule (DESIGN.md §2)', () => {
  tester.run('layers', layersRule, {
    valid: [
      {
        filename: at('controller/prefixsync/reconciler.ts'),
        code: "import { EtcdClient } from '../../etcd/index.js';",
      },
      { filename: at('kube/informer.ts'), code: "import { silentLogger } from '../observability/index.js';" },
      { filename: at('etcd/watch/stream.ts'), code: "import { backoff } from '../backoff.js';" },
      { filename: at('sync/render.ts'), code: "import { PrefixSyncSpec } from '../api/index.js';" },
      { filename: at('main.ts'), code: "import { runCli } from './cli/index.js';" },
      { filename: at('etcd/kv.ts'), code: "import { readFile } from 'node:fs/promises';" },
      { filename: at('runtime/work-queue.ts'), code: "import { realClock } from '../base/index.js';" },
      { filename: at('api/v1alpha1/types.ts'), code: "import { Backoff } from '../../base/index.js';" },
      { filename: at('base/sleep.ts'), code: "import { realClock } from './clock.js';" },
    ],
    invalid: [
      {
        filename: at('etcd/watch.ts'),
        code: "import { KubeClient } from '../kube/index.js';",
        errors: [{ messageId: 'upward' }],
      },
      {
        filename: at('sync/render.ts'),
        code: "import { EtcdClient } from '../etcd/index.js';",
        errors: [{ messageId: 'upward' }],
      },
      {
        filename: at('api/v1alpha1/types.ts'),
        code: "export { createLogger } from '../../observability/index.js';",
        errors: [{ messageId: 'upward' }],
      },
      {
        filename: at('runtime/controller.ts'),
        code: "import { reconcile } from '../controller/prefixsync/index.js';",
        errors: [{ messageId: 'upward' }],
      },
      {
        filename: at('operator/manager.ts'),
        code: "import { startEtcd } from '../envtest/index.js';",
        errors: [{ messageId: 'upward' }],
      },
      {
        filename: at('controller/prefixsync/reconciler.ts'),
        code: "import { WatchStream } from '../../etcd/watch/stream.js';",
        errors: [{ messageId: 'deep' }],
      },
      {
        filename: at('base/sleep.ts'),
        code: "import { silentLogger } from '../observability/index.js';",
        errors: [{ messageId: 'upward' }],
      },
      {
        filename: at('etcd/prefix-mirror.ts'),
        code: "import { sleep } from '../base/sleep.js';",
        errors: [{ messageId: 'deep' }],
      },
    ],
  });
});
