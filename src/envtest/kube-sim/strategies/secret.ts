import { isObject } from '../json.js';
import type { ResourceStrategy } from '../strategy.js';

/** Secrets: the apiserver folds the write-only `stringData` into `data` (base64) when it decodes a body. */
export const secretStrategy: ResourceStrategy = {
  decode(obj) {
    if (!isObject(obj['stringData'])) return;
    const data = isObject(obj['data']) ? obj['data'] : {};
    for (const [k, v] of Object.entries(obj['stringData'])) {
      data[k] = Buffer.from(typeof v === 'string' ? v : JSON.stringify(v), 'utf8').toString('base64');
    }
    obj['data'] = data;
    delete obj['stringData'];
  },
};
