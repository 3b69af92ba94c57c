import { isObject } from './json.js';

type Step =
  | { kind: 'field'; name: string }
  | { kind: 'index'; index: number }
  | { kind: 'all' }
  | { kind: 'filter'; path: string[]; op: '==' | '!='; value: string | number | boolean };

/** Parses the JSONPath subset CRD printer columns use: `.a.b`, `[0]`, `[*]`, `['a.b']`, `[?(@.x=="y")]`. */
function parse(expr: string): Step[] {
  let s = expr.trim();
  if (s.startsWith('{') && s.endsWith('}')) s = s.slice(1, -1);
  if (s.startsWith('$')) s = s.slice(1);
  const steps: Step[] = [];
  let i = 0;
  while (i < s.length) {
    const ch = s[i];
    if (ch === '.') {
      const m = /^\.([^.[]+)/.exec(s.slice(i));
      if (!m?.[1]) throw new Error(`bad JSONPath ${expr}`);
      steps.push({ kind: 'field', name: m[1] });
      i += m[0].length;
    } else if (ch === '[') {
      const end = s.indexOf(']', i);
      if (end < 0) throw new Error(`bad JSONPath ${expr}`);
      const inner = s.slice(i + 1, end).trim();
      i = end + 1;
      const filter = /^\?\(@((?:\.[\w-]+)+)\s*(==|!=)\s*(.+)\)$/.exec(inner);
      if (inner === '*') steps.push({ kind: 'all' });
      else if (/^-?\d+$/.test(inner)) steps.push({ kind: 'index', index: Number(inner) });
      else if (/^'.*'$|^".*"$/.test(inner)) steps.push({ kind: 'field', name: inner.slice(1, -1) });
      else if (filter?.[1] && filter[3] !== undefined) {
        const raw = filter[3].trim();
        const value = /^'.*'$|^".*"$/.test(raw)
          ? raw.slice(1, -1)
          : raw === 'true'
            ? true
            : raw === 'false'
              ? false
              : Number(raw);
        steps.push({
          kind: 'filter',
          path: filter[1].slice(1).split('.'),
          op: filter[2] === '!=' ? '!=' : '==',
          value,
        });
      } else throw new Error(`unsupported JSONPath ${expr}`);
    } else throw new Error(`bad JSONPath ${expr}`);
  }
  return steps;
}

function dig(v: unknown, path: string[]): unknown {
  let cur = v;
  for (const p of path) cur = isObject(cur) ? cur[p] : undefined;
  return cur;
}

/** Every value the expression selects in `doc` (empty when nothing matches or the path is malformed). */
export function jsonPathValues(doc: unknown, expr: string): unknown[] {
  let steps: Step[];
  try {
    steps = parse(expr);
  } catch {
    return [];
  }
  let current: unknown[] = [doc];
  for (const step of steps) {
    const next: unknown[] = [];
    for (const v of current) {
      if (step.kind === 'field' && isObject(v) && v[step.name] !== undefined) next.push(v[step.name]);
      else if (step.kind === 'index' && Array.isArray(v)) {
        const item: unknown = v[step.index < 0 ? v.length + step.index : step.index];
        if (item !== undefined) next.push(item);
      } else if (step.kind === 'all') {
        if (Array.isArray(v)) next.push(...(v as unknown[]));
        else if (isObject(v)) next.push(...Object.values(v));
      } else if (step.kind === 'filter' && Array.isArray(v)) {
        for (const item of v as unknown[]) {
          const equal = dig(item, step.path) === step.value;
          if (equal === (step.op === '==')) next.push(item);
        }
      }
    }
    current = next;
  }
  return current;
}
