/** The verbs faults can target, as the apiserver names them. */
export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

/** Which requests a fault applies to: unset fields match everything. `resource` is a plural, e.g. `leases`. */
export interface FaultTarget {
  verb?: Verb;
  resource?: string;
}

/** Options of `SimFaults.failNext`. */
export interface FailNextOptions extends FaultTarget {
  /** How many matching requests fail. */
  count: number;
  /** The HTTP code of the Status they get (500, 409, 429, 503, ...). */
  status: number;
  /** Overrides the Status message. */
  message?: string;
}

/** Options of `SimFaults.delay`. */
export interface DelayOptions extends FaultTarget {
  ms: number;
}

/** Fault injection, as exposed on `KubeSim.faults`. */
export interface SimFaults {
  /** The next `count` matching requests fail with `status` (a Status body) before touching the store. */
  failNext(options: FailNextOptions): void;
  /** Matching requests wait `ms` before they are handled, until `clear()`. */
  delay(options: DelayOptions): void;
  /** Ends every open watch stream cleanly; clients re-watch from their last resourceVersion. */
  cutWatches(): void;
  /** Drops the watch history: a watch from any older resourceVersion gets 410 Gone. */
  compactHistory(): void;
  /** Removes every pending failure and delay. */
  clear(): void;
}

function matches(t: FaultTarget, verb: Verb, resource: string): boolean {
  return (t.verb === undefined || t.verb === verb) && (t.resource === undefined || t.resource === resource);
}

/** The failures and delays the HTTP layer consults on every resource request. */
export class FaultBook {
  private failures: Array<FailNextOptions & { left: number }> = [];
  private delays: DelayOptions[] = [];

  failNext(options: FailNextOptions): void {
    if (!Number.isInteger(options.count) || options.count < 1)
      throw new RangeError('failNext: count must be a positive integer');
    this.failures.push({ ...options, left: options.count });
  }

  delay(options: DelayOptions): void {
    if (!(options.ms >= 0)) throw new RangeError('delay: ms must be >= 0');
    this.delays.push({ ...options });
  }

  clear(): void {
    this.failures = [];
    this.delays = [];
  }

  /** Total delay for a request (delays add up). */
  delayFor(verb: Verb, resource: string): number {
    return this.delays.filter((d) => matches(d, verb, resource)).reduce((n, d) => n + d.ms, 0);
  }

  /** Consumes one matching failure, if any. */
  takeFailure(verb: Verb, resource: string): { status: number; message?: string } | undefined {
    const f = this.failures.find((x) => x.left > 0 && matches(x, verb, resource));
    if (!f) return undefined;
    f.left--;
    this.failures = this.failures.filter((x) => x.left > 0);
    return { status: f.status, ...(f.message !== undefined ? { message: f.message } : {}) };
  }
}
