// Where a `--cpu-prof` profile's time went, by original source: the bundle's functions are mapped
// through its source maps to src/<layer>/ or node_modules/<package>, so that a profile of the shipped
// operator reads as the layers DESIGN.md draws. Summing is pure (profile in, rows out): unit-tested.
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap, type SourceMapPayload } from 'node:module';
import { fileURLToPath } from 'node:url';

/** The parts of a V8 `.cpuprofile` read here. */
export interface CpuProfile {
  nodes: Array<{
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  }>;
  samples: number[];
  timeDeltas: number[];
}

/** Where a frame's code came from: its original file, when a source map says. */
export type SourceOf = (url: string, line: number, column: number) => string | undefined;

export interface ProfileRow {
  name: string;
  ms: number;
  share: number;
}

export interface ProfileSummary {
  totalMs: number;
  /** Self time by area: `src/<layer>`, a package, a `node:` module, or V8's own entries (GC, idle). */
  areas: ProfileRow[];
  /** Self time by function, with its area. */
  functions: ProfileRow[];
}

/** The area of a source path: our `src/<layer>`, a package under node_modules, a node: module. */
export function areaOf(source: string): string {
  const inPackage = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(source);
  if (inPackage) return inPackage[1]!;
  const ours = /(?:^|\/)src\/([^/]+)\//.exec(source);
  if (ours) return `src/${ours[1]}`;
  if (source.startsWith('node:')) return source.split('/')[0]!;
  return source;
}

/** Sums self time (sampled) by area and by function. */
export function summarizeProfile(profile: CpuProfile, sourceOf: SourceOf = () => undefined): ProfileSummary {
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const areas = new Map<string, number>();
  const functions = new Map<string, number>();
  let totalUs = 0;
  for (const [id, us] of selfUs) {
    const frame = nodes.get(id)?.callFrame;
    if (!frame) continue;
    totalUs += us;
    // V8's own entries ((garbage collector), (idle), (program)) and natives have no url.
    const source = frame.url ? (sourceOf(frame.url, frame.lineNumber, frame.columnNumber) ?? frame.url) : '';
    const area = source ? areaOf(source) : frame.functionName;
    areas.set(area, (areas.get(area) ?? 0) + us);
    const fn = source ? `${frame.functionName || '(anonymous)'} ${shortPath(source)}` : frame.functionName;
    functions.set(fn, (functions.get(fn) ?? 0) + us);
  }
  const rows = (m: Map<string, number>): ProfileRow[] =>
    [...m]
      .map(([name, us]) => ({ name, ms: us / 1000, share: totalUs ? us / totalUs : 0 }))
      .sort((a, b) => b.ms - a.ms);
  return { totalMs: totalUs / 1000, areas: rows(areas), functions: rows(functions) };
}

function shortPath(source: string): string {
  const inPackage = /node_modules\/(.*)$/.exec(source);
  if (inPackage) return inPackage[1]!;
  const ours = /(?:^|\/)(src\/.*)$/.exec(source);
  return ours ? ours[1]! : source;
}

/** A SourceOf reading `<file>.map` next to each file:// script (the bundle's), once per file. */
export function sourceMapsBesideScripts(): SourceOf {
  const maps = new Map<string, SourceMap | undefined>();
  return (url, line, column) => {
    if (!url.startsWith('file://')) return undefined;
    if (!maps.has(url)) {
      const mapFile = `${fileURLToPath(url)}.map`;
      maps.set(
        url,
        existsSync(mapFile)
          ? new SourceMap(JSON.parse(readFileSync(mapFile, 'utf8')) as SourceMapPayload)
          : undefined,
      );
    }
    const entry = maps.get(url)?.findEntry(line, column);
    return entry && 'originalSource' in entry ? entry.originalSource : undefined;
  };
}

function table(rows: ProfileRow[], limit: number): string {
  return rows
    .slice(0, limit)
    .map((r) => `${r.ms.toFixed(0).padStart(8)} ms ${(100 * r.share).toFixed(1).padStart(5)} %  ${r.name}`)
    .join('\n');
}

/** `tsx bench/operator/profile-summary.ts PROFILE [TOP]`: prints the areas and the top functions. */
function main(argv: string[]): void {
  const [file, top = '30'] = argv;
  if (!file) {
    console.error('usage: npm run bench:profile -- FILE.cpuprofile [TOP]');
    process.exit(2);
  }
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const summary = summarizeProfile(profile, sourceMapsBesideScripts());
  console.log(`${file}: ${(summary.totalMs / 1000).toFixed(2)} s sampled (idle included)\n`);
  console.log(`self time by area\n${table(summary.areas, 25)}\n`);
  console.log(`self time by function\n${table(summary.functions, Number(top))}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main(process.argv.slice(2));
