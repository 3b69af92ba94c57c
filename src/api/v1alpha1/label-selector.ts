import { asRecord, optionalList, optionalRecord } from './field-error.js';
import type { FieldError } from './field-error.js';
import { LABEL_SELECTOR_OPERATORS } from './meta.js';
import type { LabelSelector } from './meta.js';
import { labelKeyProblem, labelValueProblem } from './names.js';

/** Every problem of a label selector (any JSON value), with paths below `path`. Never throws. */
export function validateLabelSelector(selector: unknown, path: string): FieldError[] {
  const errors: FieldError[] = [];
  const record = asRecord(selector);
  if (!record) return [{ path, message: 'must be an object' }];
  const matchLabels = optionalRecord(record.matchLabels, `${path}.matchLabels`, errors) ?? {};
  for (const [key, value] of Object.entries(matchLabels)) {
    const keyProblem = labelKeyProblem(key);
    if (keyProblem) errors.push({ path: `${path}.matchLabels`, message: `key '${key}': ${keyProblem}` });
    const valueProblem = typeof value === 'string' ? labelValueProblem(value) : 'must be a string';
    if (valueProblem) errors.push({ path: `${path}.matchLabels[${key}]`, message: valueProblem });
  }
  optionalList(record.matchExpressions, `${path}.matchExpressions`, errors).forEach((item, i) => {
    const at = `${path}.matchExpressions[${i}]`;
    const req = asRecord(item);
    if (!req) {
      errors.push({ path: at, message: 'must be an object' });
      return;
    }
    const keyProblem = typeof req.key === 'string' ? labelKeyProblem(req.key) : 'is required';
    if (keyProblem) errors.push({ path: `${at}.key`, message: keyProblem });
    const operator = LABEL_SELECTOR_OPERATORS.find((op) => op === req.operator);
    if (operator === undefined) {
      errors.push({
        path: `${at}.operator`,
        message: `must be one of ${LABEL_SELECTOR_OPERATORS.join(', ')}`,
      });
      return;
    }
    const values = optionalList(req.values, `${at}.values`, errors);
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
 * requirement must hold (NotIn and DoesNotExist hold for a missing label); `{}` matches everything.
 * Assumes a valid selector.
 */
export function labelSelectorMatches(
  selector: LabelSelector,
  labels: Readonly<Record<string, string>>,
): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[key] !== value) return false;
  }
  for (const req of selector.matchExpressions ?? []) {
    const value = Object.hasOwn(labels, req.key) ? labels[req.key] : undefined;
    const values = req.values ?? [];
    switch (req.operator) {
      case 'In':
        if (value === undefined || !values.includes(value)) return false;
        break;
      case 'NotIn':
        if (value !== undefined && values.includes(value)) return false;
        break;
      case 'Exists':
        if (value === undefined) return false;
        break;
      case 'DoesNotExist':
        if (value !== undefined) return false;
        break;
    }
  }
  return true;
}
