// What one run of `npm run bench:operator` measured, phase by phase.
import type { BurstResult } from './burst.js';
import type { LatencyResult } from './latency.js';
import type { RolloutResult } from './rollout.js';
import type { ScaleResult } from './scale.js';
import type { ShardsResult } from './shards.js';
import type { SteadyResult } from './steady.js';
import type { TemplateResult } from './template.js';

/** One run's results; a phase not run is absent. */
export interface RunResult {
  latency?: LatencyResult;
  burst?: BurstResult;
  rollout?: RolloutResult;
  /** Per number of PrefixSyncs. */
  scale: Record<number, ScaleResult>;
  steady?: SteadyResult;
  shards?: ShardsResult;
  template?: TemplateResult;
  /** Phases that failed in this run, with why. */
  failed: string[];
}
