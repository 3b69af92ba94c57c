import type { PrefixSync } from '../../../src/api/index.js';
import { renderConfigMap, type RenderSuccess } from '../../../src/sync/index.js';

/** A PrefixSync as the API server returns it. */
export function prefixSync(overrides: Partial<PrefixSync['spec']> = {}): PrefixSync {
  return {
    apiVersion: 'etcdconfig.dev/v1alpha1',
    kind: 'PrefixSync',
    metadata: { name: 'app', namespace: 'team', uid: 'uid-1', generation: 3, resourceVersion: '10' },
    spec: { sourceRef: { name: 'main' }, prefix: '/app/', target: { name: 'cfg' }, ...overrides },
  };
}

/** Rendered content of `entries` under `/app/` (files format). */
export function content(entries: Record<string, string | Buffer>): RenderSuccess {
  const result = renderConfigMap(
    {
      prefix: '/app/',
      revision: 7n,
      entries: Object.entries(entries).map(([k, v]) => ({
        key: Buffer.from(`/app/${k}`),
        value: Buffer.from(v),
      })),
    },
    { format: 'files', separator: '.' },
  );
  if (!result.ok) throw new Error('fixture does not render');
  return result;
}
