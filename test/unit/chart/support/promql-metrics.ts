// The metric names a PromQL expression reads, for checking a dashboard's queries against what the
// operator exports. A small scanner, not a parser: it drops what cannot name a metric (strings,
// label matchers, grouping clauses, range selectors, Grafana variables), then keeps each identifier
// that is not a function call, a keyword or a number.

/** PromQL's keywords and modifiers that read like identifiers. */
const KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'and',
  'or',
  'unless',
  'offset',
  'atan2',
  'inf',
  'nan',
]);

/** Every metric name `expr` selects, in order of first use. */
export function metricNamesOf(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""') // strings
    .replace(/\{[^}]*\}/g, ' ') // label matchers
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ') // label lists
    .replace(/\[[^\]]*\]/g, ' ') // range and subquery selectors
    .replace(/\$\{?\w+\}?/g, ' '); // Grafana variables ($__rate_interval, ${job})
  const names: string[] = [];
  for (const m of stripped.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const name = m[0];
    const after = stripped.slice((m.index ?? 0) + name.length).trimStart();
    if (after.startsWith('(')) continue; // a function or aggregation
    const before = stripped.slice(0, m.index ?? 0);
    if (/[0-9.]$/.test(before) || /e[+-]?$/i.test(before)) continue; // part of a number (1e3)
    if (KEYWORDS.has(name.toLowerCase())) continue;
    if (!names.includes(name)) names.push(name);
  }
  return names;
}

/**
 * The metric families a Prometheus text exposition declares (`# TYPE name kind`), with the series
 * names each may be queried by: a histogram's `_bucket`, `_sum` and `_count`, a summary's `_sum` and
 * `_count` and its own name, any other kind its own name.
 */
export function queryableNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const m of exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    const [, name = '', kind] = m;
    if (kind === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(name + s);
    else if (kind === 'summary') for (const s of ['', '_sum', '_count']) names.add(name + s);
    else names.add(name);
  }
  return names;
}
