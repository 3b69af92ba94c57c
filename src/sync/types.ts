import type { Problem } from './problems.js';
import type { ValueMode } from './typed-values.js';

/** One etcd key-value pair, as bytes: etcd keys and values are arbitrary byte strings. */
export interface SnapshotEntry {
  /** The full etcd key, prefix included. */
  readonly key: Buffer;
  /** The value exactly as stored in etcd. */
  readonly value: Buffer;
  /**
   * The path it is published under, when that is not the key below the snapshot's prefix: an entry of
   * several sources (spec.sources), filtered and rewritten by mergeSources. Problems still name `key`.
   */
  readonly path?: Buffer;
}

/**
 * The content of one etcd prefix at one revision — the only input the ConfigMap is a function of.
 * Entry order carries no meaning: every result is the same for any order of `entries`.
 */
export interface PrefixSnapshot {
  /** The prefix every key starts with; a string is taken as its UTF-8 bytes. Should end with `/`. */
  readonly prefix: Buffer | string;
  /** The etcd revision the snapshot was read at. Not part of the rendered content or its hash. */
  readonly revision: bigint;
  /** Every key under the prefix, each at most once. */
  readonly entries: readonly SnapshotEntry[];
}

/** The ways a prefix can be laid out in a ConfigMap (PrefixSync `spec.target.format`). */
export const RENDER_FORMATS = ['files', 'yaml', 'json', 'properties', 'env'] as const;

/** One of {@link RENDER_FORMATS}. */
export type RenderFormat = (typeof RENDER_FORMATS)[number];

/**
 * How a snapshot becomes ConfigMap content. The controller maps a PrefixSync's `spec.target` and
 * `spec.keys` onto this; `renderConfigMap` validates it and reports a bad option as an
 * `InvalidOption` problem.
 */
export interface RenderOptions {
  /** `files`: one ConfigMap key per etcd key; otherwise one rendered document under `key`. */
  /**
   * `template` is accepted by the type so that a PrefixSync's format fits, but refused here
   * (`InvalidOption`): templates render through `renderTemplates`, off the event loop.
   */
  readonly format: RenderFormat | 'template';
  /** The ConfigMap key holding the rendered document. Required for every format but `files`, ignored there. */
  readonly key?: string;
  /** Joins the path segments below the prefix into one name (`spec.keys.separator`, default `.`). Non-empty. */
  readonly separator: string;
  /**
   * Refuse results whose {@link RenderSuccess.byteCount} exceeds this. Defaults to, and may not exceed,
   * {@link CONFIGMAP_MAX_DATA_BYTES}; set it lower to keep headroom (see size.ts).
   */
  readonly maxBytes?: number;
  /**
   * `fail` (default): an etcd key that cannot become a ConfigMap key (or, for `env`, a variable name)
   * fails the whole result. `skip`: such entries are left out and listed in {@link RenderSuccess.skipped}.
   */
  readonly onInvalidKey?: 'fail' | 'skip';
  /**
   * (`yaml`, `json`; `spec.target.values`) `string` (default): every value a string. `auto`: canonical
   * integers, decimal fractions and `true`/`false` typed (see `autoValue`). `json`: each value parsed as
   * a JSON document and embedded; a value that is not one is `InvalidValue` (never skipped).
   */
  readonly values?: ValueMode;
  /**
   * (`env`, `properties`; `spec.keys.case`) `preserve` (default): names as the path spells them.
   * `upper`: ASCII letters upper-cased (`flags/enabled` → `FLAGS_ENABLED`); other characters are kept,
   * so a non-ASCII name stays invalid for `env` (`InvalidEnvName`) rather than being folded in a way
   * only some languages agree on (`ß` → `SS`).
   */
  readonly keyCase?: KeyCase;
}

/** How `env` and `properties` names are cased (`RenderOptions.keyCase`). */
export type KeyCase = 'preserve' | 'upper';

/** An etcd key left out under `onInvalidKey: skip`. */
export interface SkippedKey {
  /** The etcd key: as it is when UTF-8, in displayBytes form otherwise. */
  readonly etcdKey: string;
  /** Why it cannot be a key. */
  readonly reason: string;
}

/** The default `spec.keys.separator`. */
export const DEFAULT_SEPARATOR = '.';

/** A snapshot that renders: the ConfigMap content and what status reports about it. */
export interface RenderSuccess {
  readonly ok: true;
  /** ConfigMap `data`: UTF-8 values. A null-prototype object, so a key named `__proto__` is an ordinary key. */
  readonly data: Record<string, string>;
  /** ConfigMap `binaryData`: non-UTF-8 values, base64-encoded. Null-prototype, like `data`. */
  readonly binaryData: Record<string, string>;
  /** Hex digest of `data` + `binaryData` (see content-hash.ts); for the config-hash annotation and status. */
  readonly contentHash: string;
  /** How many etcd keys the ConfigMap carries (for `files`, also its number of keys). */
  readonly keyCount: number;
  /**
   * Bytes the API server counts against its 1 MiB limit: UTF-8 length of every `data` value plus the
   * decoded length of every `binaryData` value. Keys are not counted (neither does the API server).
   */
  readonly byteCount: number;
  /** Under `onInvalidKey: skip`: every entry left out, sorted by etcd key; absent otherwise. */
  readonly skipped?: readonly SkippedKey[];
}

/** A snapshot that cannot be rendered: every reason, naming every offending key. Never empty. */
export interface RenderFailure {
  readonly ok: false;
  /** Sorted deterministically, so the same snapshot always yields the same list. */
  readonly problems: readonly Problem[];
}

/** The outcome of `renderConfigMap`: content, or the problems that prevent it. */
export type RenderResult = RenderSuccess | RenderFailure;
