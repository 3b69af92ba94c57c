import type { FaultKind, FaultRecord } from './faults.js';
import type { Convergence, Violation } from './invariants.js';

/** One fault with what the checker found after it. */
export interface FaultOutcome {
  fault: FaultRecord;
  convergence: Convergence;
  /** Violations first seen after this fault. */
  violations: Violation[];
}

/** Nearest-rank percentile of ascending `sorted` (undefined when empty). */
export function percentile(sorted: readonly number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

function cell(v: number | string | undefined, width: number): string {
  return String(v ?? '-').padStart(width);
}

/**
 * The closing table: per fault kind how many were injected and converged, the convergence time
 * (fault healed → every ConfigMap exact and current) p50/p99/max in ms, and the violations; then the
 * totals. Convergence times count converged faults only; a fault that did not converge is a violation.
 */
export function formatTable(kinds: readonly FaultKind[], outcomes: readonly FaultOutcome[]): string {
  const header = `${'fault'.padEnd(22)}${cell('injected', 9)}${cell('converged', 10)}${cell('p50 ms', 9)}${cell('p99 ms', 9)}${cell('max ms', 9)}${cell('violations', 11)}`;
  const row = (name: string, of: readonly FaultOutcome[]): string => {
    const ms = of
      .filter((o) => o.convergence.isConverged)
      .map((o) => o.convergence.ms)
      .sort((a, b) => a - b);
    const violations = of.reduce((n, o) => n + o.violations.length, 0);
    return `${name.padEnd(22)}${cell(of.length, 9)}${cell(ms.length, 10)}${cell(percentile(ms, 50), 9)}${cell(percentile(ms, 99), 9)}${cell(ms[ms.length - 1], 9)}${cell(violations, 11)}`;
  };
  const lines = [header, '-'.repeat(header.length)];
  for (const k of kinds)
    lines.push(
      row(
        k,
        outcomes.filter((o) => o.fault.kind === k),
      ),
    );
  lines.push('-'.repeat(header.length), row('all', outcomes));
  return lines.join('\n');
}
