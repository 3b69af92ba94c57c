// The sync layer: pure functions from an etcd prefix snapshot to ConfigMap content. No I/O.
export { renderConfigMap } from './render.js';
export { DEFAULT_SEPARATOR, RENDER_FORMATS } from './types.js';
export { VALUE_MODES, MAX_JSON_DEPTH } from './typed-values.js';
export type { ValueMode } from './typed-values.js';
export type {
  KeyCase,
  PrefixSnapshot,
  RenderFailure,
  RenderFormat,
  RenderOptions,
  RenderResult,
  RenderSuccess,
  SkippedKey,
  SnapshotEntry,
} from './types.js';
export { PROBLEM_KINDS, describeProblem, summarizeProblems } from './problems.js';
export type {
  InvalidEnvNameProblem,
  InvalidKeyProblem,
  InvalidKeyReason,
  InvalidOptionProblem,
  InvalidValueProblem,
  InvalidValueReason,
  KeyCollisionProblem,
  Problem,
  TooLargeProblem,
  TreeConflictProblem,
} from './problems.js';
export { keyPath, joinPath } from './key-mapping.js';
export { mergeSources } from './sources.js';
export type { MergeResult, SourceContent, SourceRules } from './sources.js';
export { pathGlob } from './path-glob.js';
export type { PathRewrite } from './path-rewrite.js';
export { MAX_TREE_DEPTH } from './key-tree.js';
export type { KeyPath } from './key-mapping.js';
export { CONFIGMAP_KEY_MAX_BYTES, configMapKeyProblems, isConfigMapKey } from './configmap-key.js';
export { CONTENT_HASH_HEX_LENGTH, contentHash } from './content-hash.js';
export { CONFIGMAP_MAX_DATA_BYTES, byteCount } from './size.js';
export { displayBytes } from './bytes.js';
export { compileGuard } from './guard/guard.js';
export type {
  CandidateContent,
  Guard,
  GuardContent,
  GuardOptions,
  GuardSpec,
  GuardSpecError,
  Verdict,
} from './guard/guard.js';
export { describeChange, listCapped, summarizeChange } from './guard/change-summary.js';
export type { ChangeSummary } from './guard/change-summary.js';
export { keyGlob } from './guard/key-glob.js';
export { CEL_CHARS_PER_COST_UNIT, CEL_COST_LIMIT, CEL_COST_PER_ITERATION } from './guard/cel-cost.js';
export {
  DEFAULT_TEMPLATE_RENDER_LIMIT_MS,
  buildTemplateModel,
  childrenOf,
  describeTemplateError,
  renderTemplates,
} from './template/index.js';
export type {
  TemplateChild,
  TemplateError,
  TemplateModel,
  TemplateModelResult,
  TemplateRenderLimits,
  TemplateRenderResult,
  TemplateTreeNode,
} from './template/index.js';
