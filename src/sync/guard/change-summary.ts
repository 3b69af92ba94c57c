// Which keys a new revision adds, changes and removes, by name only (values never leave etcd in a log
// line or an Event): the summary a ConfigMap write and a held change are announced with.

/** The keys of a change, each list sorted. */
export interface ChangeSummary {
  readonly added: string[];
  readonly changed: string[];
  readonly removed: string[];
}

/**
 * How `after` differs from `before` (undefined: nothing published yet, so every key is added). Callers
 * pass data and binaryData merged: ConfigMap key names are unique across both.
 */
export function summarizeChange(
  before: Readonly<Record<string, string>> | undefined,
  after: Readonly<Record<string, string>>,
): ChangeSummary {
  const added: string[] = [];
  const changed: string[] = [];
  // Own keys only: content read back from the API server is a plain object, whose `constructor` and
  // `toString` would otherwise count as keys that are there.
  for (const key of Object.keys(after)) {
    if (before === undefined || !Object.hasOwn(before, key)) added.push(key);
    else if (before[key] !== after[key]) changed.push(key);
  }
  const removed = Object.keys(before ?? {}).filter((key) => !Object.hasOwn(after, key));
  return { added: added.sort(), changed: changed.sort(), removed: removed.sort() };
}

/** `a, b, c (and 4 more)`: at most `cap` names. */
export function listCapped(names: readonly string[], cap: number): string {
  const shown = names.slice(0, cap).join(', ');
  return names.length > cap ? `${shown} (and ${names.length - cap} more)` : shown;
}

/** One line: `added a, b; changed c; removed d (and 3 more)`, or `no key changed`. Names only. */
export function describeChange(summary: ChangeSummary, cap = 10): string {
  const parts: string[] = [];
  if (summary.added.length > 0) parts.push(`added ${listCapped(summary.added, cap)}`);
  if (summary.changed.length > 0) parts.push(`changed ${listCapped(summary.changed, cap)}`);
  if (summary.removed.length > 0) parts.push(`removed ${listCapped(summary.removed, cap)}`);
  return parts.length > 0 ? parts.join('; ') : 'no key changed';
}
