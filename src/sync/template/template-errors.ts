/** Why a template did not render, where the engine says so (1-based line and column). */
export interface TemplateError {
  /** The target key whose template failed. */
  readonly templateKey: string;
  /** `syntax`: the template does not parse; `render`: it failed while running (a helper, a limit). */
  readonly phase: 'syntax' | 'render';
  /** `output`: its output passed the size limit; `time`: its run passed the time limit; else unset. */
  readonly limit?: 'output' | 'time';
  readonly line?: number;
  readonly column?: number;
  /** The engine's message, without its own position suffix. */
  readonly message: string;
}

/** One line naming the template key, the line and column, and what went wrong. */
export function describeTemplateError(error: TemplateError): string {
  const where =
    error.line !== undefined
      ? ` line ${error.line}${error.column !== undefined ? `, column ${error.column}` : ''}`
      : '';
  const what = error.phase === 'syntax' ? 'syntax error' : 'render failed';
  return `template ${JSON.stringify(error.templateKey)}${where}: ${what}: ${error.message}`;
}
