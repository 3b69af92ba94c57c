// A strict structural check of a Grafana dashboard JSON (the classic model Grafana's dashboard sidecar
// loads), written from the Dashboard, Panel, RowPanel, VariableModel, GridPos, DataSourceRef and
// FieldConfigSource types of @grafana/schema 13.2 (raw/dashboard/x): that package ships TypeScript
// types only, no runtime validator or JSON Schema, so the fields Grafana requires and the keys it knows
// are restated here. Unknown keys are refused, as TypeScript's excess-property check would refuse them
// in an object literal of those types.

const DASHBOARD_KEYS = new Set([
  'annotations',
  'description',
  'editable',
  'fiscalYearStartMonth',
  'gnetId',
  'graphTooltip',
  'id',
  'links',
  'liveNow',
  'panels',
  'preload',
  'refresh',
  'revision',
  'schemaVersion',
  'snapshot',
  'tags',
  'templating',
  'time',
  'timepicker',
  'timezone',
  'title',
  'uid',
  'version',
  'weekStart',
]);
const PANEL_KEYS = new Set([
  'autoMigrateFrom',
  'cacheTimeout',
  'datasource',
  'description',
  'fieldConfig',
  'gridPos',
  'hideTimeOverride',
  'id',
  'interval',
  'libraryPanel',
  'links',
  'maxDataPoints',
  'maxPerRow',
  'options',
  'pluginVersion',
  'queryCachingTTL',
  'repeat',
  'repeatDirection',
  'targets',
  'timeCompare',
  'timeFrom',
  'timeShift',
  'title',
  'transformations',
  'transparent',
  'type',
]);
const ROW_KEYS = new Set(['collapsed', 'datasource', 'gridPos', 'id', 'panels', 'repeat', 'title', 'type']);
const VARIABLE_KEYS = new Set([
  'allValue',
  'allowCustomValue',
  'current',
  'datasource',
  'description',
  'enableGroupBy',
  'hide',
  'includeAll',
  'label',
  'multi',
  'name',
  'options',
  'query',
  'refresh',
  'regex',
  'regexApplyTo',
  'skipUrlSync',
  'sort',
  'staticOptions',
  'staticOptionsOrder',
  'type',
  'valuesFormat',
]);
const VARIABLE_TYPES = new Set([
  'query',
  'adhoc',
  'groupby',
  'constant',
  'datasource',
  'interval',
  'textbox',
  'custom',
  'system',
  'snapshot',
  'switch',
]);
/** Panel plugins built into Grafana that this project's dashboards may use. */
const PANEL_TYPES = new Set(['timeseries', 'stat', 'table', 'gauge', 'bargauge', 'text', 'row']);
/** Grafana's built-in variables a query may use without declaring them. */
const BUILTIN_VARIABLES = new Set(['__rate_interval', '__interval', '__interval_ms', '__range', '__range_s']);
/** Width of Grafana's grid, in columns. */
const GRID_COLUMNS = 24;

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

/** Every problem found in `dashboard`, each naming where it is; empty when Grafana can load it. */
export function grafanaDashboardProblems(dashboard: unknown): string[] {
  const problems: string[] = [];
  const bad = (where: string, what: string): void => {
    problems.push(`${where}: ${what}`);
  };
  const unknownKeys = (where: string, obj: Json, known: Set<string>): void => {
    for (const k of Object.keys(obj)) if (!known.has(k)) bad(where, `unknown key "${k}"`);
  };
  if (!isObject(dashboard)) return ['the dashboard is not an object'];
  unknownKeys('dashboard', dashboard, DASHBOARD_KEYS);
  if (!isInt(dashboard['schemaVersion']) || dashboard['schemaVersion'] < 36)
    bad('dashboard', 'schemaVersion must be an integer of Grafana 9 or later (>= 36)');
  if (typeof dashboard['title'] !== 'string' || dashboard['title'] === '') bad('dashboard', 'no title');
  if (typeof dashboard['uid'] !== 'string' || !/^[A-Za-z0-9_-]{1,40}$/.test(dashboard['uid']))
    bad('dashboard', 'uid must be 1-40 letters, digits, - or _ (stable across imports)');
  if (dashboard['id'] !== undefined && dashboard['id'] !== null)
    bad('dashboard', 'id must be absent or null in a provisioned dashboard');
  const time = dashboard['time'];
  if (!isObject(time) || typeof time['from'] !== 'string' || typeof time['to'] !== 'string')
    bad('dashboard', 'time needs from and to');
  if (![undefined, 0, 1, 2].includes(dashboard['graphTooltip'] as number))
    bad('dashboard', 'graphTooltip must be 0, 1 or 2');
  const tags = dashboard['tags'];
  if (tags !== undefined && (!Array.isArray(tags) || !tags.every((t) => typeof t === 'string')))
    bad('dashboard', 'tags must be strings');

  const variables = new Set<string>(BUILTIN_VARIABLES);
  const templating = dashboard['templating'];
  const list = isObject(templating) ? templating['list'] : undefined;
  if (templating !== undefined && !Array.isArray(list)) bad('templating', 'list must be an array');
  for (const [i, v] of (Array.isArray(list) ? list : []).entries()) {
    const where = `templating.list[${i}]`;
    if (!isObject(v)) {
      bad(where, 'not an object');
      continue;
    }
    unknownKeys(where, v, VARIABLE_KEYS);
    if (typeof v['name'] !== 'string' || v['name'] === '') bad(where, 'no name');
    else variables.add(v['name']);
    if (!VARIABLE_TYPES.has(v['type'] as string)) bad(where, `unknown type ${String(v['type'])}`);
  }

  const ids = new Set<number>();
  const boxes: Array<{ where: string; x: number; y: number; w: number; h: number }> = [];
  const checkDatasource = (where: string, ds: unknown): void => {
    if (ds === undefined) return;
    if (!isObject(ds) || typeof ds['uid'] !== 'string' || typeof ds['type'] !== 'string')
      bad(where, 'datasource must be {type, uid}');
  };
  const checkVariablesUsed = (where: string, text: string): void => {
    for (const m of text.matchAll(/\$\{?(\w+)/g)) {
      if (!variables.has(m[1] ?? '')) bad(where, `uses undefined variable $${m[1] ?? ''}`);
    }
  };
  const checkPanel = (where: string, p: unknown, inCollapsedRow: boolean): void => {
    if (!isObject(p)) {
      bad(where, 'not an object');
      return;
    }
    const isRow = p['type'] === 'row';
    unknownKeys(where, p, isRow ? ROW_KEYS : PANEL_KEYS);
    if (typeof p['type'] !== 'string' || !PANEL_TYPES.has(p['type']))
      bad(where, `unknown panel type ${String(p['type'])}`);
    if (!isInt(p['id']) || p['id'] < 1) bad(where, 'id must be a positive integer');
    else if (ids.has(p['id'])) bad(where, `id ${p['id']} used twice`);
    else ids.add(p['id']);
    if (typeof p['title'] !== 'string' || p['title'] === '') bad(where, 'no title');
    const g = p['gridPos'];
    if (!isObject(g) || ![g['h'], g['w'], g['x'], g['y']].every(isInt))
      bad(where, 'gridPos needs integer h, w, x, y');
    else {
      const [h, w, x, y] = [g['h'], g['w'], g['x'], g['y']] as number[] as [number, number, number, number];
      if (w < 1 || x < 0 || x + w > GRID_COLUMNS || h < 1 || y < 0)
        bad(where, `gridPos ${JSON.stringify(g)} leaves the grid`);
      if (!inCollapsedRow) {
        for (const o of boxes) {
          if (x < o.x + o.w && o.x < x + w && y < o.y + o.h && o.y < y + h) bad(where, `overlaps ${o.where}`);
        }
        boxes.push({ where, x, y, w, h });
      }
    }
    checkDatasource(where, p['datasource']);
    if (isRow) {
      if (typeof p['collapsed'] !== 'boolean') bad(where, 'a row needs collapsed');
      if (!Array.isArray(p['panels'])) bad(where, 'a row needs panels (empty when not collapsed)');
      else for (const [i, c] of p['panels'].entries()) checkPanel(`${where}.panels[${i}]`, c, true);
      return;
    }
    const fc = p['fieldConfig'];
    if (fc !== undefined && (!isObject(fc) || !isObject(fc['defaults']) || !Array.isArray(fc['overrides'])))
      bad(where, 'fieldConfig needs defaults and overrides');
    if (p['options'] !== undefined && !isObject(p['options'])) bad(where, 'options must be an object');
    const transformations = p['transformations'];
    if (transformations !== undefined) {
      if (
        !Array.isArray(transformations) ||
        !transformations.every((t) => isObject(t) && typeof t['id'] === 'string')
      )
        bad(where, 'transformations need an id each');
    }
    const targets = p['targets'];
    if (p['type'] !== 'text' && (!Array.isArray(targets) || targets.length === 0)) bad(where, 'no targets');
    const refIds = new Set<string>();
    for (const [i, t] of (Array.isArray(targets) ? targets : []).entries()) {
      const tw = `${where}.targets[${i}]`;
      if (!isObject(t)) {
        bad(tw, 'not an object');
        continue;
      }
      if (typeof t['refId'] !== 'string' || t['refId'] === '') bad(tw, 'no refId');
      else if (refIds.has(t['refId'])) bad(tw, `refId ${t['refId']} used twice`);
      else refIds.add(t['refId']);
      if (typeof t['expr'] !== 'string' || t['expr'].trim() === '') bad(tw, 'no expr');
      else checkVariablesUsed(tw, t['expr']);
      checkDatasource(tw, t['datasource']);
    }
  };
  const panels = dashboard['panels'];
  if (!Array.isArray(panels) || panels.length === 0) bad('dashboard', 'no panels');
  for (const [i, p] of (Array.isArray(panels) ? panels : []).entries()) checkPanel(`panels[${i}]`, p, false);
  for (const [i, p] of (Array.isArray(panels) ? panels : []).entries()) {
    if (isObject(p) && isObject(p['datasource']))
      checkVariablesUsed(`panels[${i}].datasource`, String(p['datasource']['uid']));
  }
  return problems;
}

/** Every PromQL expression of the dashboard's panels (rows' nested panels included). */
export function dashboardExpressions(dashboard: unknown): string[] {
  const out: string[] = [];
  const visit = (p: unknown): void => {
    if (!isObject(p)) return;
    for (const t of Array.isArray(p['targets']) ? p['targets'] : []) {
      if (isObject(t) && typeof t['expr'] === 'string') out.push(t['expr']);
    }
    for (const c of Array.isArray(p['panels']) ? p['panels'] : []) visit(c);
  };
  if (isObject(dashboard))
    for (const p of Array.isArray(dashboard['panels']) ? dashboard['panels'] : []) visit(p);
  return out;
}
