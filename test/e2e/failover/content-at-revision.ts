import { strict as assert } from 'node:assert';
import type { V1ConfigMap } from '@kubernetes/client-node';
import { withPrefixSyncDefaults, type PrefixSync } from '../../../src/api/index.js';
import type { EtcdClient } from '../../../src/etcd/index.js';
import { renderConfigMap, type RenderSuccess } from '../../../src/sync/index.js';

/**
 * What the operator promises the ConfigMap holds for `psync` at etcd revision `revision`: the prefix
 * read at exactly that revision, rendered with the PrefixSync's own format, key and separator.
 */
export async function renderedAt(
  client: EtcdClient,
  psync: PrefixSync,
  revision: bigint,
): Promise<RenderSuccess> {
  const spec = withPrefixSyncDefaults(psync.spec);
  const read = await client.kv.range({ prefix: spec.prefix, revision });
  const rendered = renderConfigMap(
    { prefix: spec.prefix, revision, entries: read.kvs },
    {
      format: spec.target.format,
      separator: spec.keys.separator,
      ...(spec.target.key !== undefined ? { key: spec.target.key } : {}),
    },
  );
  assert.ok(rendered.ok, `etcd's ${spec.prefix} at revision ${revision} renders`);
  return rendered;
}

function plain(record: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(record ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * Asserts that the ConfigMap's data and binaryData are exactly etcd's prefix at the PrefixSync's
 * `status.syncedRevision`, rendered as the PrefixSync asks, and that status.contentHash is that content's hash.
 */
export async function assertConfigMapAtSyncedRevision(
  client: EtcdClient,
  psync: PrefixSync,
  configMap: V1ConfigMap,
): Promise<RenderSuccess> {
  const where = `${psync.metadata.namespace ?? ''}/${psync.metadata.name ?? ''}`;
  const synced = psync.status?.syncedRevision;
  assert.ok(synced, `PrefixSync ${where} reports status.syncedRevision`);
  const want = await renderedAt(client, psync, BigInt(synced));
  assert.deepEqual(
    plain(configMap.data),
    plain(want.data),
    `${where}: data equals etcd at revision ${synced}`,
  );
  assert.deepEqual(
    plain(configMap.binaryData),
    plain(want.binaryData),
    `${where}: binaryData equals etcd at revision ${synced}`,
  );
  assert.equal(psync.status?.contentHash, want.contentHash, `${where}: status.contentHash`);
  return want;
}
