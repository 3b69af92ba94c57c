// How a multi-key Range is cut into pages. etcd's `limit` counts keys, but a page's cost — the time to
// send it within one request's deadline, and the memory it takes while it is decoded — is its bytes:
// 1,000 keys of 1 MB is a 1 GB response. So the next page's key limit follows the bytes per key of the
// page before, aiming at a fixed number of bytes per page; it starts small and grows at most twofold a
// page. What no limit can know is the size of values not yet seen: after a run of small values, a page
// of `limit` keys may meet large ones (etcd's request limit, 1.5 MiB by default, bounds each), and the
// page after it is cut back to what fits.

/** Bytes (keys + values) a page aims at: quick to send within a request's deadline, small to hold. */
export const DEFAULT_TARGET_PAGE_BYTES = 1024 * 1024;
/**
 * Keys asked for in the first page, before anything is known of their sizes: etcd's default request
 * limit (1.5 MiB) bounds one value, so the first page is at most about 6 MiB.
 */
export const FIRST_PAGE_KEYS = 4;
/**
 * How often one read starts over at the current revision after the revision of its first page was
 * compacted before its last page: past that it fails with CompactedError (the caller retries later).
 */
export const MAX_RANGE_RESTARTS = 5;

/** What one page was: how many keys it asked for, how many it got and their bytes (keys + values). */
export interface PageSize {
  limit: number;
  keys: number;
  bytes: number;
}

/**
 * The key limit of the page after `page`: as many keys as fit `targetBytes` at that page's bytes per
 * key, at least 1, at most twice the page's limit and at most `maxKeys`. Pure.
 */
export function nextPageLimit(page: PageSize, targetBytes: number, maxKeys: number): number {
  const perKey = page.keys > 0 ? Math.max(1, page.bytes / page.keys) : 1;
  const fits = Math.floor(targetBytes / perKey);
  return Math.max(1, Math.min(fits, page.limit * 2, maxKeys));
}

/** The first page's key limit for a read of at most `maxKeys` keys per page. */
export function firstPageLimit(maxKeys: number): number {
  return Math.max(1, Math.min(FIRST_PAGE_KEYS, maxKeys));
}
