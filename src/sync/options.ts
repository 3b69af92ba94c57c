import { configMapKeyProblems } from './configmap-key.js';
import type { InvalidOptionProblem } from './problems.js';
import { CONFIGMAP_MAX_DATA_BYTES } from './size.js';
import { VALUE_MODES } from './typed-values.js';
import { RENDER_FORMATS } from './types.js';
import type { RenderOptions } from './types.js';

/**
 * Every way `options` is unusable, as `InvalidOption` problems (empty when usable): an unknown format;
 * a missing or invalid ConfigMap `key` for a rendered format; an empty separator; a `maxBytes` that is
 * not a whole number in 1 … {@link CONFIGMAP_MAX_DATA_BYTES}; typed `values` for a format other than
 * `yaml`/`json`, or `keyCase: upper` for one other than `env`/`properties` (they would be ignored).
 */
export function optionProblems(options: RenderOptions): InvalidOptionProblem[] {
  const problems: InvalidOptionProblem[] = [];
  const formats: readonly string[] = RENDER_FORMATS;
  if (!formats.includes(options.format)) {
    problems.push({
      kind: 'InvalidOption',
      option: 'format',
      message:
        options.format === 'template'
          ? 'template renders through renderTemplates, not renderConfigMap'
          : `must be one of ${RENDER_FORMATS.join(', ')}`,
    });
  } else if (options.format !== 'files') {
    if (options.key === undefined || options.key === '') {
      problems.push({
        kind: 'InvalidOption',
        option: 'key',
        message: `is required for format ${options.format}`,
      });
    } else {
      const reasons = configMapKeyProblems(options.key);
      if (reasons.length > 0) {
        const message = `${JSON.stringify(options.key)} is not a valid ConfigMap key: ${reasons.join(', ')}`;
        problems.push({ kind: 'InvalidOption', option: 'key', message });
      }
    }
  }
  if (typeof options.separator !== 'string' || options.separator === '') {
    problems.push({ kind: 'InvalidOption', option: 'separator', message: 'must be a non-empty string' });
  }
  const max = options.maxBytes;
  if (max !== undefined && !(Number.isInteger(max) && max >= 1 && max <= CONFIGMAP_MAX_DATA_BYTES)) {
    const message = `must be a whole number from 1 to ${CONFIGMAP_MAX_DATA_BYTES}`;
    problems.push({ kind: 'InvalidOption', option: 'maxBytes', message });
  }
  const values = options.values ?? 'string';
  const modes: readonly string[] = VALUE_MODES;
  if (!modes.includes(values)) {
    problems.push({
      kind: 'InvalidOption',
      option: 'values',
      message: `must be one of ${VALUE_MODES.join(', ')}`,
    });
  } else if (values !== 'string' && options.format !== 'yaml' && options.format !== 'json') {
    problems.push({
      kind: 'InvalidOption',
      option: 'values',
      message: 'is only used with format yaml or json',
    });
  }
  const keyCase = options.keyCase ?? 'preserve';
  if (keyCase !== 'preserve' && keyCase !== 'upper') {
    problems.push({ kind: 'InvalidOption', option: 'keyCase', message: 'must be one of preserve, upper' });
  } else if (keyCase === 'upper' && options.format !== 'env' && options.format !== 'properties') {
    problems.push({
      kind: 'InvalidOption',
      option: 'keyCase',
      message: 'is only used with format env or properties',
    });
  }
  return problems;
}
