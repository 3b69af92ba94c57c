import { apiVersionOf, storageKey, type ResourceType } from './resource-type.js';

/** Orders versions as Kubernetes does: GA before beta before alpha, higher numbers first, others last by name. */
export function compareKubeVersions(a: string, b: string): number {
  const parse = (v: string): [number, number, number] | undefined => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return undefined;
    const stability = m[2] === undefined ? 3 : m[2] === 'beta' ? 2 : 1;
    return [stability, Number(m[1]), m[3] === undefined ? 0 : Number(m[3])];
  };
  const pa = parse(a);
  const pb = parse(b);
  if (pa && pb) {
    for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return (pb[i] ?? 0) - (pa[i] ?? 0);
    return 0;
  }
  if (pa) return -1;
  if (pb) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A served API group and its versions, preferred first. */
export interface ServedGroup {
  name: string;
  versions: string[];
}

/**
 * Every resource the simulator serves, by group/version/plural. CRDs add and remove entries while
 * the server runs; `generation` changes on every such change so callers can invalidate caches.
 */
export class ResourceRegistry {
  /** key `group/version/plural` → type */
  private readonly byGvr = new Map<string, ResourceType>();
  /** Bumped on every add/remove: the openapi hash and discovery caches key on it. */
  generation = 0;

  constructor(builtins: ResourceType[]) {
    for (const t of builtins) this.add(t);
  }

  add(t: ResourceType): void {
    this.byGvr.set(`${t.group}/${t.version}/${t.plural}`, t);
    this.generation++;
  }

  /** Removes every version a CRD defined. */
  removeCrd(crdName: string): void {
    for (const [k, t] of this.byGvr) if (t.crdName === crdName) this.byGvr.delete(k);
    this.generation++;
  }

  lookup(group: string, version: string, plural: string): ResourceType | undefined {
    return this.byGvr.get(`${group}/${version}/${plural}`);
  }

  /** Every served version of the resource stored under `group/plural`, preferred first. */
  versionsOf(group: string, plural: string): ResourceType[] {
    return this.all()
      .filter((t) => t.group === group && t.plural === plural && storageKey(t) === `${group}/${plural}`)
      .sort((a, b) => compareKubeVersions(a.version, b.version));
  }

  all(): ResourceType[] {
    return [...this.byGvr.values()];
  }

  /** Types served at one group/version, sorted by plural. */
  inGroupVersion(group: string, version: string): ResourceType[] {
    return this.all()
      .filter((t) => t.group === group && t.version === version)
      .sort((a, b) => (a.plural < b.plural ? -1 : 1));
  }

  /** The kind served for an apiVersion (`v1`, `apps/v1`) and kind name, e.g. for ownerReferences. */
  byKind(apiVersion: string, kind: string): ResourceType | undefined {
    return this.all().find((t) => apiVersionOf(t) === apiVersion && t.kind === kind);
  }

  /** Groups other than the core group, in registration order of first appearance, versions preferred first. */
  groups(): ServedGroup[] {
    const groups = new Map<string, Set<string>>();
    for (const t of this.byGvr.values()) {
      if (t.group === '') continue;
      const set = groups.get(t.group) ?? new Set<string>();
      set.add(t.version);
      groups.set(t.group, set);
    }
    return [...groups].map(([name, versions]) => ({
      name,
      versions: [...versions].sort(compareKubeVersions),
    }));
  }
}
