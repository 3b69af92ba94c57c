// Templates (`target.format: template`): the data model a template sees and the engine that renders it.
export { buildTemplateModel, childrenOf } from './template-model.js';
export type {
  TemplateChild,
  TemplateModel,
  TemplateModelResult,
  TemplateTreeNode,
} from './template-model.js';
export {
  DEFAULT_TEMPLATE_RENDER_LIMIT_MS,
  TEMPLATE_MEMORY_LIMIT,
  TEMPLATE_PARSE_LIMIT_CHARS,
  renderTemplates,
} from './template-render.js';
export type { TemplateRenderLimits, TemplateRenderResult } from './template-render.js';
export { describeTemplateError } from './template-errors.js';
export type { TemplateError } from './template-errors.js';
