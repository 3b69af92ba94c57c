// Walks a CRD's openAPIV3Schema: the tests use it to check structural rules and agreement with the types.
import type { SchemaNode } from './crd-validator.js';

/** A schema node and where it sits: `spec.rollout.targets[].name`, `spec.selector.matchLabels{}`. */
export interface SchemaSite {
  path: string;
  node: SchemaNode;
  /** The property name when the node is an object property, undefined for items and map values. */
  property: string | undefined;
  parent: SchemaNode | undefined;
}

/** Every node of the schema below (and including) `root`, parents before children. */
export function schemaSites(root: SchemaNode, path = ''): SchemaSite[] {
  const sites: SchemaSite[] = [{ path, node: root, property: undefined, parent: undefined }];
  const visit = (node: SchemaNode, at: string): void => {
    for (const [name, child] of Object.entries(node.properties ?? {})) {
      const p = at === '' ? name : `${at}.${name}`;
      sites.push({ path: p, node: child, property: name, parent: node });
      visit(child, p);
    }
    if (node.items) {
      sites.push({ path: `${at}[]`, node: node.items, property: undefined, parent: node });
      visit(node.items, `${at}[]`);
    }
    if (typeof node.additionalProperties === 'object') {
      sites.push({ path: `${at}{}`, node: node.additionalProperties, property: undefined, parent: node });
      visit(node.additionalProperties, `${at}{}`);
    }
  };
  visit(root, path);
  return sites;
}

/** The schema node at a path written like `spec.rollout.targets[].kind`; throws when there is none. */
export function nodeAt(root: SchemaNode, path: string): SchemaNode {
  const site = schemaSites(root).find((s) => s.path === path);
  if (!site) throw new Error(`the schema has no ${path}`);
  return site.node;
}

/** Every property path (as {@link schemaSites} spells it) that a JSON value sets. */
export function valuePaths(value: unknown, at = ''): Set<string> {
  const out = new Set<string>();
  const visit = (v: unknown, p: string): void => {
    if (Array.isArray(v)) {
      for (const item of v) visit(item, `${p}[]`);
    } else if (v !== null && typeof v === 'object') {
      for (const [k, child] of Object.entries(v as Record<string, unknown>)) {
        const q = p === '' ? k : `${p}.${k}`;
        out.add(q);
        visit(child, q);
      }
    }
  };
  visit(value, at);
  return out;
}

/**
 * Evaluates the small JSONPath subset printer columns use: `.a.b`, and `.a[?(@.k=="v")].b`. Returns
 * undefined when nothing matches.
 */
export function evalColumnPath(object: unknown, jsonPath: string): unknown {
  const steps = jsonPath.match(/\.[A-Za-z0-9_]+|\[\?\(@\.[A-Za-z0-9_]+=="[^"]*"\)\]/g) ?? [];
  if (steps.join('') !== jsonPath) throw new Error(`unsupported JSONPath ${jsonPath}`);
  let current: unknown = object;
  for (const step of steps) {
    if (current === undefined || current === null) return undefined;
    if (step.startsWith('.')) {
      current = (current as Record<string, unknown>)[step.slice(1)];
    } else {
      const [, key, want] = /^\[\?\(@\.([A-Za-z0-9_]+)=="([^"]*)"\)\]$/.exec(step) ?? [];
      current = Array.isArray(current)
        ? current.find((item: unknown) => (item as Record<string, unknown>)[key ?? ''] === want)
        : undefined;
    }
  }
  return current;
}
