// What this client must know about the etcd release serving a watch stream. One question so far:
// does a RequestProgress reply travel in step with the events?

/**
 * True when the etcd release `version` (as Maintenance.Status reports it, e.g. `3.5.16`) answers a
 * RequestProgress in step with the stream's events: only once every watch on the stream is synced, and
 * through the same channel as the events (watchableStore.progressAll, etcd-io/etcd#15237, released in
 * 3.4.25 and 3.5.8; every 3.6+). Older releases answer at once on the stream's control channel with the
 * store's revision, which can overtake events still queued for a watch (etcd-io/etcd#15220). An
 * unknown or unparsable version is treated as old: false.
 */
export function isProgressRequestInStep(version: string | undefined): boolean {
  if (version === undefined) return false;
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (!m) return false;
  const [major, minor, patch] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (major !== 3) return major > 3;
  if (minor === 4) return patch >= 25;
  if (minor === 5) return patch >= 8;
  return minor > 5;
}
