/** What a leader-election participant tells its owner. */
export interface LeaderCallbacks {
  /**
   * This process became the leader. `signal` aborts the moment it must stop acting (leadership lost or
   * released); everything started here must take it. May return a promise: on release the elector
   * waits for it before giving the lease up, and it never starts leading again before it settles.
   * Called asynchronously, never from inside `start()`.
   */
  onStartedLeading(signal: AbortSignal): void | Promise<void>;
  /** Leadership ended (the signal is already aborted). Called once per onStartedLeading. */
  onStoppedLeading?(): void;
  /** The observed leader changed (another identity, or this one). */
  onNewLeader?(identity: string): void;
}

/**
 * A participant in leader election. The real one is {@link LeaderElector} (a Lease); tests of code that
 * is gated on leadership use {@link FakeLeaderElector}.
 */
export interface LeaderElection {
  /** This participant's identity (e.g. the pod name). */
  readonly identity: string;
  /** Whether this participant currently holds leadership and may act. */
  isLeader(): boolean;
  /** Begins campaigning. Throws if already started or closed. */
  start(): void;
  /**
   * Stops campaigning. If leading: stops acting (signal aborted, onStoppedLeading called) and then
   * releases leadership so that a standby can take over at once. Idempotent; resolves when done.
   */
  close(): Promise<void>;
}
