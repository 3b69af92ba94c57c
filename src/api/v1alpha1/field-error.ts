/** One problem with one field of an object, named like the API server does: `spec.rollout.targets[1].name`. */
export interface FieldError {
  path: string;
  message: string;
}

/** One line for a condition message or a log: `spec.prefix: must end with '/'; spec.debounce: …`. */
export function formatFieldErrors(errors: readonly FieldError[]): string {
  return errors.map((e) => `${e.path}: ${e.message}`).join('; ');
}

/** A value as it may arrive when the API server did not validate it: any field may be absent. */
export type Loose<T> = T extends readonly (infer U)[]
  ? readonly Loose<U>[]
  : T extends object
    ? { readonly [K in keyof T]?: Loose<T[K]> }
    : T;
