/** One problem with one field of an object, named like the API server does: `spec.rollout.targets[1].name`. */
export interface FieldError {
  path: string;
  message: string;
}

/** One line for a condition message or a log: `spec.prefix: must end with '/'; spec.debounce: …`. */
export function formatFieldErrors(errors: readonly FieldError[]): string {
  return errors.map((e) => `${e.path}: ${e.message}`).join('; ');
}

// Readers for input that no schema has checked: each says what it found instead of throwing.

/** A JSON object (not null, not an array), or undefined. */
export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/**
 * Reads an optional object field: undefined when absent, the object when it is one, and an error
 * (with undefined) when it is something else.
 */
export function optionalRecord(
  value: unknown,
  path: string,
  errors: FieldError[],
): Record<string, unknown> | undefined {
  if (value === undefined) return undefined;
  const record = asRecord(value);
  if (!record) errors.push({ path, message: 'must be an object' });
  return record;
}

/** Reads an optional list field: [] when absent, an error and [] when not a list. */
export function optionalList(value: unknown, path: string, errors: FieldError[]): readonly unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    errors.push({ path, message: 'must be a list' });
    return [];
  }
  return value as readonly unknown[];
}
