// The entry of a template render worker (see template-pool.ts): renders one template per message.
// Loaded as template-worker.ts under tsx (tests) and as template-worker.js from dist/.
import { parentPort } from 'node:worker_threads';
import { renderTemplates, type TemplateModel, type TemplateRenderLimits } from '../../sync/index.js';

/** A job, as the pool posts it. */
export interface TemplateJob {
  readonly id: number;
  readonly key: string;
  readonly template: string;
  readonly model: TemplateModel;
  readonly limits: TemplateRenderLimits;
}

const port = parentPort;
if (port) {
  port.on('message', (job: TemplateJob) => {
    const result = renderTemplates({ [job.key]: job.template }, job.model, job.limits);
    port.postMessage({ id: job.id, result });
  });
  port.postMessage({ ready: true });
}
