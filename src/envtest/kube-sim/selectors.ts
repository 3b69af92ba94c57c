import { badRequest } from './status-error.js';
import { objectAt, stringAt, type JsonObject } from './json.js';
import type { FieldGetter } from './resource-type.js';

/** A parsed selector: true when an object matches. */
export type Predicate = (obj: JsonObject) => boolean;

type Requirement =
  | { op: 'eq' | 'neq'; key: string; value: string }
  | { op: 'in' | 'notin'; key: string; values: string[] }
  | { op: 'exists' | 'notexists'; key: string }
  | { op: 'gt' | 'lt'; key: string; value: number };

/** Splits on commas that are not inside parentheses. */
function splitTopLevel(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

function parseRequirement(term: string, selector: string): Requirement {
  let m = /^!\s*([^\s!=<>(),]+)$/.exec(term);
  if (m?.[1]) return { op: 'notexists', key: m[1] };
  m = /^([^\s!=<>(),]+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(term);
  if (m?.[1] && m[3] !== undefined) {
    const values = m[3]
      .split(',')
      .map((v) => v.trim())
      .filter((v) => v !== '');
    return { op: m[2] === 'in' ? 'in' : 'notin', key: m[1], values };
  }
  m = /^([^\s!=<>(),]+)\s*(==|=|!=)\s*([^\s!=<>(),]*)$/.exec(term);
  if (m?.[1] && m[3] !== undefined) return { op: m[2] === '!=' ? 'neq' : 'eq', key: m[1], value: m[3] };
  m = /^([^\s!=<>(),]+)\s*(>|<)\s*(-?\d+)$/.exec(term);
  if (m?.[1] && m[3] !== undefined) return { op: m[2] === '>' ? 'gt' : 'lt', key: m[1], value: Number(m[3]) };
  m = /^([^\s!=<>(),]+)$/.exec(term);
  if (m?.[1]) return { op: 'exists', key: m[1] };
  throw badRequest(`unable to parse requirement: found '${term}' in selector "${selector}"`);
}

function matches(req: Requirement, value: string | undefined): boolean {
  switch (req.op) {
    case 'eq':
      return value === req.value;
    case 'neq':
      return value !== req.value;
    case 'in':
      return value !== undefined && req.values.includes(value);
    case 'notin':
      return value === undefined || !req.values.includes(value);
    case 'exists':
      return value !== undefined;
    case 'notexists':
      return value === undefined;
    case 'gt':
      return value !== undefined && /^-?\d+$/.test(value) && Number(value) > req.value;
    case 'lt':
      return value !== undefined && /^-?\d+$/.test(value) && Number(value) < req.value;
  }
}

/** Parses a label selector (`=`, `==`, `!=`, `in`, `notin`, `key`, `!key`, `>`, `<`); throws 400 when malformed. */
export function parseLabelSelector(selector: string | null): Predicate {
  if (selector === null || selector.trim() === '') return () => true;
  const reqs = splitTopLevel(selector).map((t) => parseRequirement(t, selector));
  return (obj) => {
    const labels = objectAt(objectAt(obj, 'metadata') ?? {}, 'labels') ?? {};
    return reqs.every((r) => {
      const v = labels[r.key];
      return matches(r, typeof v === 'string' ? v : undefined);
    });
  };
}

/**
 * Parses a field selector (`=`, `==`, `!=` only). Every kind supports metadata.name and
 * metadata.namespace; other fields only where the kind declares them, otherwise 400 as upstream.
 */
export function parseFieldSelector(selector: string | null, extra: Record<string, FieldGetter>): Predicate {
  if (selector === null || selector.trim() === '') return () => true;
  const getters: Record<string, FieldGetter> = {
    'metadata.name': (o) => stringAt(objectAt(o, 'metadata'), 'name') ?? '',
    'metadata.namespace': (o) => stringAt(objectAt(o, 'metadata'), 'namespace') ?? '',
    ...extra,
  };
  const reqs = splitTopLevel(selector).map((term) => {
    const m = /^([^\s!=]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (!m?.[1] || m[3] === undefined)
      throw badRequest(`invalid selector: '${selector}'; can't understand '${term}'`);
    const getter = getters[m[1]];
    if (!getter) throw badRequest(`field label not supported: ${m[1]}`);
    return { getter, negate: m[2] === '!=', value: m[3].trim() };
  });
  return (obj) => reqs.every((r) => (r.getter(obj) === r.value) !== r.negate);
}
