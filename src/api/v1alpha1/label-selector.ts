import type { FieldError, Loose } from './field-error.js';
import { LABEL_SELECTOR_OPERATORS } from './meta.js';
import type { LabelSelector } from './meta.js';
import { labelKeyProblem, labelValueProblem } from './names.js';

/** Every problem of a label selector, with paths below `path`. Never throws. */
export function validateLabelSelector(selector: Loose<LabelSelector>, path: string): FieldError[] {
  const errors: FieldError[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    const keyProblem = labelKeyProblem(key);
    if (keyProblem) errors.push({ path: `${path}.matchLabels`, message: `key '${key}': ${keyProblem}` });
    const valueProblem = typeof value === 'string' ? labelValueProblem(value) : 'must be a string';
    if (valueProblem) errors.push({ path: `${path}.matchLabels[${key}]`, message: valueProblem });
  }
  (selector.matchExpressions ?? []).forEach((req, i) => {
    const at = `${path}.matchExpressions[${i}]`;
    const keyProblem = typeof req.key === 'string' ? labelKeyProblem(req.key) : 'is required';
    if (keyProblem) errors.push({ path: `${at}.key`, message: keyProblem });
    const operator = req.operator;
    if (!LABEL_SELECTOR_OPERATORS.some((op) => op === operator)) {
      errors.push({
        path: `${at}.operator`,
        message: `must be one of ${LABEL_SELECTOR_OPERATORS.join(', ')}`,
      });
      return;
    }
    const values = req.values ?? [];
    if ((operator === 'In' || operator === 'NotIn') && values.length === 0) {
      errors.push({ path: `${at}.values`, message: `must be non-empty for ${operator}` });
    }
    if ((operator === 'Exists' || operator === 'DoesNotExist') && values.length > 0) {
      errors.push({ path: `${at}.values`, message: `must be empty for ${operator}` });
    }
    values.forEach((v, j) => {
      const problem = typeof v === 'string' ? labelValueProblem(v) : 'must be a string';
      if (problem) errors.push({ path: `${at}.values[${j}]`, message: problem });
    });
  });
  return errors;
}

/**
 * Whether `labels` satisfy `selector`, with Kubernetes' semantics: every matchLabels pair and every
 * requirement must hold; `{}` matches everything. Assumes a valid selector.
 */
export function labelSelectorMatches(
  selector: LabelSelector,
  labels: Readonly<Record<string, string>>,
): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[key] !== value) return false;
  }
  for (const req of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, req.key);
    const value = labels[req.key];
    const values = req.values ?? [];
    switch (req.operator) {
      case 'In':
        if (!has || value === undefined || !values.includes(value)) return false;
        break;
      case 'NotIn':
        if (has && value !== undefined && values.includes(value)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
    }
  }
  return true;
}
