// The contents a rollback can restore, kept in ControllerRevisions (the API's store of immutable
// history, as StatefulSets keep their pod templates) owned by the PrefixSync: so a rollback never
// depends on etcd still holding the old revision, and the history goes with the PrefixSync.
import type { V1ControllerRevision } from '@kubernetes/client-node';
import {
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
  PREFIX_SYNC_LABEL,
  type ContentVersion,
  type PrefixSync,
} from '../../api/index.js';
import { AlreadyExistsError, NotFoundError, type CallOptions } from '../../kube/index.js';
import { ownerReferenceTo } from './desired-configmap.js';

/** The ControllerRevision operations the history needs (the kube layer's ControllerRevisionClient). */
export interface ControllerRevisionApi {
  get(key: { namespace: string; name: string }, options?: CallOptions): Promise<V1ControllerRevision>;
  list(namespace: string, labelSelector: string, options?: CallOptions): Promise<V1ControllerRevision[]>;
  create(revision: V1ControllerRevision, options?: CallOptions): Promise<V1ControllerRevision>;
  delete(key: { namespace: string; name: string }, options?: CallOptions): Promise<void>;
}

/** A kept content: what the ConfigMap held, and what status says about it. */
export interface KeptContent extends ContentVersion {
  data: Record<string, string>;
  binaryData: Record<string, string>;
  keyCount: number;
  byteCount: number;
}

/** How many contents are kept per PrefixSync (the newest by etcd revision). */
export const KEPT_CONTENTS = 3;

/** The ControllerRevision name of a content: `<prefixsync>-<first 10 hex digits of its hash>`. */
export function historyName(psync: PrefixSync, contentHash: string): string {
  return `${psync.metadata.name ?? ''}-${contentHash.slice(0, 10)}`;
}

export class ContentHistory {
  constructor(private readonly api: ControllerRevisionApi) {}

  /**
   * Keeps `content` (idempotent: a content already kept is not written again), then deletes the
   * oldest kept contents beyond {@link KEPT_CONTENTS}, never the one just kept.
   */
  async keep(psync: PrefixSync, content: KeptContent, options: CallOptions = {}): Promise<void> {
    const namespace = psync.metadata.namespace ?? '';
    const name = historyName(psync, content.contentHash);
    const body: V1ControllerRevision = {
      apiVersion: 'apps/v1',
      kind: 'ControllerRevision',
      metadata: {
        name,
        namespace,
        labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [PREFIX_SYNC_LABEL]: psync.metadata.name ?? '' },
        ownerReferences: [ownerReferenceTo(psync)],
      },
      // ControllerRevision.revision orders the history: the etcd revision of the content.
      revision: Number(content.revision),
      data: { ...content },
    };
    try {
      await this.api.create(body, options);
    } catch (err) {
      if (!(err instanceof AlreadyExistsError)) throw err;
    }
    await this.prune(psync, name, options);
  }

  /** The kept content with `contentHash`, or undefined when it was never kept (or was pruned). */
  async load(
    psync: PrefixSync,
    contentHash: string,
    options: CallOptions = {},
  ): Promise<KeptContent | undefined> {
    let revision: V1ControllerRevision;
    try {
      revision = await this.api.get(
        { namespace: psync.metadata.namespace ?? '', name: historyName(psync, contentHash) },
        options,
      );
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
    if (!revision.metadata?.ownerReferences?.some((r) => r.uid === psync.metadata.uid)) return undefined;
    const kept = asKeptContent(revision.data);
    return kept?.contentHash === contentHash ? kept : undefined;
  }

  /** Deletes every content kept for `psync` (its access was revoked); returns how many. */
  async purge(psync: PrefixSync, options: CallOptions = {}): Promise<number> {
    const namespace = psync.metadata.namespace ?? '';
    const all = await this.api.list(namespace, `${PREFIX_SYNC_LABEL}=${psync.metadata.name ?? ''}`, options);
    let deleted = 0;
    for (const r of all.filter((x) =>
      x.metadata?.ownerReferences?.some((o) => o.uid === psync.metadata.uid),
    )) {
      try {
        await this.api.delete({ namespace, name: r.metadata?.name ?? '' }, options);
        deleted++;
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
      }
    }
    return deleted;
  }

  private async prune(psync: PrefixSync, keep: string, options: CallOptions): Promise<void> {
    const namespace = psync.metadata.namespace ?? '';
    const all = await this.api.list(namespace, `${PREFIX_SYNC_LABEL}=${psync.metadata.name ?? ''}`, options);
    const ours = all
      .filter((r) => r.metadata?.ownerReferences?.some((o) => o.uid === psync.metadata.uid))
      .sort((a, b) => b.revision - a.revision);
    for (const old of ours.slice(KEPT_CONTENTS)) {
      const name = old.metadata?.name ?? '';
      if (name === keep) continue;
      try {
        await this.api.delete({ namespace, name }, options);
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
      }
    }
  }
}

/** Reads a kept content back; undefined when it is not one. */
function asKeptContent(data: unknown): KeptContent | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const d = data as Record<string, unknown>;
  const strings = (v: unknown): v is Record<string, string> =>
    typeof v === 'object' && v !== null && Object.values(v).every((x) => typeof x === 'string');
  if (
    typeof d['revision'] !== 'string' ||
    typeof d['contentHash'] !== 'string' ||
    !strings(d['data']) ||
    !strings(d['binaryData']) ||
    typeof d['keyCount'] !== 'number' ||
    typeof d['byteCount'] !== 'number'
  )
    return undefined;
  return {
    revision: d['revision'],
    contentHash: d['contentHash'],
    data: d['data'],
    binaryData: d['binaryData'],
    keyCount: d['keyCount'],
    byteCount: d['byteCount'],
  };
}
