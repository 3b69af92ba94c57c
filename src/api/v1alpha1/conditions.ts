// Condition types and reasons: what each means to a user, and what the user should do about it.
// Condition messages carry the specifics (which key, which workload); reasons stay a closed set.

/** The condition types of a PrefixSync. */
export const PrefixSyncConditionType = {
  /**
   * The ConfigMap holds the prefix's content at `status.syncedRevision` and nothing is wrong. False with
   * the reason of whatever is wrong (the same reason as Synced or RolledOut when one of them is False).
   */
  Ready: 'Ready',
  /**
   * The last sync attempt succeeded. False when a snapshot could not be turned into a ConfigMap or
   * written; the last good ConfigMap stays in place meanwhile.
   */
  Synced: 'Synced',
  /** The workloads selected by `spec.rollout` run with the current content hash. */
  RolledOut: 'RolledOut',
} as const;

/** One of {@link PrefixSyncConditionType}. */
export type PrefixSyncConditionType = (typeof PrefixSyncConditionType)[keyof typeof PrefixSyncConditionType];

/** Reasons of PrefixSync conditions. */
export const PrefixSyncReason = {
  /** Ready/Synced True: the ConfigMap holds the prefix's content at `status.syncedRevision`. Nothing to do. */
  Synced: 'Synced',
  /** Unknown: the first sync has not finished yet. Wait; if it stays, look at the operator's logs. */
  Pending: 'Pending',
  /** False: `spec.suspend` is true; the ConfigMap is left as it was. Set it to false to resume. */
  Suspended: 'Suspended',
  /** False: the ClusterEtcdSource named by `spec.sourceRef` does not exist. Fix the name or create it. */
  SourceNotFound: 'SourceNotFound',
  /**
   * False: etcd cannot be reached through the ClusterEtcdSource (see its Ready condition). Retried
   * automatically; the last good ConfigMap stays.
   */
  SourceUnavailable: 'SourceUnavailable',
  /**
   * False: no access rule of the ClusterEtcdSource lets this namespace read `spec.prefix`. Ask the owners
   * of the ClusterEtcdSource to add one, or pick a prefix you are allowed.
   */
  PrefixForbidden: 'PrefixForbidden',
  /**
   * False: the spec breaks a rule the CRD schema cannot express (the message lists the fields). Fix the
   * spec; nothing is retried until it changes.
   */
  InvalidSpec: 'InvalidSpec',
  /**
   * False: an etcd key below the prefix maps to a string that is not a valid ConfigMap key (the message
   * names it). Rename the key in etcd or change `spec.keys.separator`. The last good ConfigMap stays.
   */
  InvalidKey: 'InvalidKey',
  /**
   * False: two etcd keys map to the same ConfigMap key (the message names both). Rename one in etcd or
   * change `spec.keys.separator`. The last good ConfigMap stays.
   */
  KeyCollision: 'KeyCollision',
  /**
   * False: the key tree cannot be rendered in `spec.target.format` (e.g. a key is both a value and the
   * parent of other keys, or a value is not text). Change the keys or use format files.
   */
  RenderFailed: 'RenderFailed',
  /**
   * False: a template of `format: template` did not render — a syntax error, a failing helper, its
   * time or output limit, or its ConfigMap or key missing. The message names the template key and
   * the line. Nothing is written; the last good target stays until etcd, the spec or the template
   * ConfigMap changes.
   */
  TemplateFailed: 'TemplateFailed',
  /**
   * False: the result exceeds the ConfigMap size limit (1 MiB). Nothing is written; the last good
   * ConfigMap stays. Sync a narrower prefix or shrink the values.
   */
  TooLarge: 'TooLarge',
  /**
   * False: the target ConfigMap exists and is not owned by this PrefixSync; it is never overwritten.
   * Delete or rename that ConfigMap, or choose another `spec.target.name`.
   */
  TargetConflict: 'TargetConflict',
  /**
   * False: `spec.target.kind` is Secret and this operator runs without `--secret-targets` (chart value
   * `secretTargets.enabled`), so it may not write Secrets. Nothing is written.
   */
  SecretTargetsDisabled: 'SecretTargetsDisabled',
  /** False: writing the ConfigMap to the API server failed. Retried with backoff; see the message. */
  WriteFailed: 'WriteFailed',
  /**
   * False: mirroring the prefix would take the ClusterEtcdSource's mirrors past its memory budget
   * (`spec.limits.maxMirrorBytes`; the message says how much is used and needed). Nothing is written;
   * the last good ConfigMap stays, and it syncs again once there is room. Ask the owners of the source
   * to raise the budget, or sync a smaller prefix.
   */
  SourceBudgetExceeded: 'SourceBudgetExceeded',
  /**
   * False: the revision would leave fewer keys than `spec.validation.minKeys` or remove more than
   * `maxRemoved` (the message names the revision and the keys). The last good ConfigMap stays. If the
   * change is intended, approve it with the annotation `etcdconfig.dev/approve-revision: "<revision>"`.
   */
  ChangeHeld: 'ChangeHeld',
  /**
   * False: the rendered content breaks a rule or schema of `spec.validation` (the message names the
   * rule, the revision and the keys). The last good ConfigMap stays; fix the value in etcd, or approve
   * the revision with `etcdconfig.dev/approve-revision`.
   */
  ValidationFailed: 'ValidationFailed',
  /**
   * False: `spec.pinRevision` is older than etcd's compacted revision, so its content cannot be read.
   * The last good ConfigMap stays. Pin a newer revision or remove the pin.
   */
  RevisionCompacted: 'RevisionCompacted',
  /**
   * RolledOut True: every selected workload runs the current content — its pod template carries the
   * content hash and its controller reports the rollout complete (updated and available replicas).
   */
  RolledOut: 'RolledOut',
  /** RolledOut True: `spec.rollout.mode` is none, so nothing is ever restarted. */
  RolloutDisabled: 'RolloutDisabled',
  /**
   * RolledOut True: the first sync (or the first after an operator restart) recorded the content hash
   * without restarting anything, since the workloads already read this content.
   */
  InitialSync: 'InitialSync',
  /** RolledOut True: mode auto found no workload using the ConfigMap (after `selector`). Nothing to do. */
  NoWorkloads: 'NoWorkloads',
  /** RolledOut False: a workload named in `spec.rollout.targets` does not exist. Fix the name or create it. */
  TargetNotFound: 'TargetNotFound',
  /**
   * RolledOut False: patching a workload's pod template failed (retried with backoff), or a workload
   * did not run the new content within `spec.rollout.progressDeadline` (the message names it).
   */
  RolloutFailed: 'RolloutFailed',
  /** RolledOut Unknown: the workloads are rolling to the new content (the message says which wait). */
  Progressing: 'Progressing',
  /**
   * RolledOut Unknown: the ConfigMap holds new content, and the workloads are rolled to it once
   * `spec.rollout.minInterval` has passed since their last rollout.
   */
  RolloutDelayed: 'RolloutDelayed',
  /**
   * RolledOut False: a workload named in `spec.rollout.targets` does not use the ConfigMap (no volume,
   * projected volume, envFrom or env valueFrom names it), so it is not restarted for it.
   */
  TargetNotConsumer: 'TargetNotConsumer',
  /**
   * Synced False: the rollout of a revision failed and `rollout.onFailure: Rollback` put back the last
   * good content (ConfigMap and workloads). The revision is held until etcd holds different content or
   * the force-sync annotation changes.
   */
  RolledBack: 'RolledBack',
} as const;

/** One of {@link PrefixSyncReason}. */
export type PrefixSyncReason = (typeof PrefixSyncReason)[keyof typeof PrefixSyncReason];

/** The reasons `status.held.reason` may carry (the CRD's enum, in its order). */
export const HELD_REASONS = [
  PrefixSyncReason.ChangeHeld,
  PrefixSyncReason.ValidationFailed,
] as const satisfies readonly PrefixSyncReason[];

/** The condition types of a ClusterEtcdSource. */
export const ClusterEtcdSourceConditionType = {
  /** The operator reaches the etcd cluster with these settings (endpoints, TLS, credentials). */
  Ready: 'Ready',
} as const;

/** One of {@link ClusterEtcdSourceConditionType}. */
export type ClusterEtcdSourceConditionType =
  (typeof ClusterEtcdSourceConditionType)[keyof typeof ClusterEtcdSourceConditionType];

/** Reasons of ClusterEtcdSource conditions. */
export const ClusterEtcdSourceReason = {
  /** True: a member answered with a leader; `status.clusterId`, `memberCount` and `revision` are current. */
  Connected: 'Connected',
  /** Unknown: no connection attempt has finished yet. */
  Pending: 'Pending',
  /**
   * False: no endpoint answered, or none has a leader. The message says how each endpoint failed:
   * "connection refused by host:port" (etcd is not running there), "cannot resolve the host name of
   * host:port", "no answer from host:port within 5s (timeout)" (a frozen member or a blocked network
   * path). Check the endpoints and the network path from the operator; retried automatically.
   */
  SourceUnavailable: 'SourceUnavailable',
  /** False: etcd refused the username/password from `spec.auth.secretRef`. Fix the Secret or the etcd user. */
  AuthFailed: 'AuthFailed',
  /**
   * False: the TLS handshake failed (unknown CA, wrong server name, expired or bad certificate); the
   * message carries the handshake error, e.g. "unable to verify the first certificate". Check `spec.tls`
   * and the Secrets it names.
   */
  TLSFailed: 'TLSFailed',
  /**
   * False: a Secret named by `spec.tls` or `spec.auth` is missing from the operator's namespace or lacks
   * a key it needs. Create it or fix the reference.
   */
  SecretNotFound: 'SecretNotFound',
  /** False: the spec breaks a rule the CRD schema cannot express (the message lists the fields). Fix it. */
  InvalidSpec: 'InvalidSpec',
} as const;

/** One of {@link ClusterEtcdSourceReason}. */
export type ClusterEtcdSourceReason = (typeof ClusterEtcdSourceReason)[keyof typeof ClusterEtcdSourceReason];
