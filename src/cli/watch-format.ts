import { isUtf8 } from 'node:buffer';

/** A key-value as the formatter needs it (structurally the etcd client's KeyValue). */
export interface FormattableKeyValue {
  key: Buffer;
  value: Buffer;
  modRevision: bigint;
  createRevision: bigint;
  version: bigint;
  lease: bigint;
}

/** One watch event as the formatter needs it (structurally the etcd client's WatchEvent). */
export interface FormattableEvent extends FormattableKeyValue {
  type: 'put' | 'delete';
  prevKv?: FormattableKeyValue;
}

/** Everything `watch` prints: events and the control lines around them. */
export type WatchLine =
  | { type: 'event'; event: FormattableEvent }
  | { type: 'created' | 'progress'; revision: bigint }
  | { type: 'reconnected'; revision: bigint; etcdRevision: bigint }
  /** etcd became unreachable (printed once per outage); `connected` when it answers again. */
  | { type: 'waiting'; error: string }
  | { type: 'connected'; endpoint: string }
  | { type: 'compacted'; compactRevision: bigint }
  | {
      type: 'reset';
      /** The highest revision the watch had seen. */
      revision: bigint;
      /** etcd's revision now (lower, or another cluster's). */
      etcdRevision: bigint;
      /** Set, with clusterId, when another cluster answers. */
      previousClusterId?: string;
      clusterId?: string;
    };

/**
 * A key-value on the wire: strings throughout. Key and value are encoded each on its own, so a binary
 * value leaves the key readable (`jq .key`): `keyEncoding` / `valueEncoding` is `'base64'` when that
 * one is not valid UTF-8, and absent otherwise.
 */
export interface JsonKeyValue {
  key: string;
  value: string;
  modRevision: string;
  createRevision: string;
  version: string;
  lease: string;
  keyEncoding?: 'base64';
  valueEncoding?: 'base64';
}

function jsonKeyValue(kv: FormattableKeyValue): JsonKeyValue {
  const isKeyText = isUtf8(kv.key);
  const isValueText = isUtf8(kv.value);
  return {
    key: kv.key.toString(isKeyText ? 'utf8' : 'base64'),
    value: kv.value.toString(isValueText ? 'utf8' : 'base64'),
    modRevision: kv.modRevision.toString(),
    createRevision: kv.createRevision.toString(),
    version: kv.version.toString(),
    lease: kv.lease.toString(),
    ...(isKeyText ? {} : { keyEncoding: 'base64' as const }),
    ...(isValueText ? {} : { valueEncoding: 'base64' as const }),
  };
}

/**
 * One JSON line (with its trailing newline) for `line`. Revisions and other int64s are decimal
 * strings so that no reader loses precision.
 */
export function formatJsonLine(line: WatchLine): string {
  switch (line.type) {
    case 'event': {
      const e = line.event;
      const out: Record<string, unknown> = { type: e.type, ...jsonKeyValue(e) };
      if (e.prevKv) out['prevKv'] = jsonKeyValue(e.prevKv);
      return JSON.stringify(out) + '\n';
    }
    case 'compacted':
      return JSON.stringify({ type: 'compacted', compactRevision: line.compactRevision.toString() }) + '\n';
    case 'reset':
      return (
        JSON.stringify({
          type: 'reset',
          revision: line.revision.toString(),
          etcdRevision: line.etcdRevision.toString(),
          ...(line.previousClusterId !== undefined && line.clusterId !== undefined
            ? { previousClusterId: line.previousClusterId, clusterId: line.clusterId }
            : {}),
        }) + '\n'
      );
    case 'waiting':
      return JSON.stringify({ type: 'waiting', error: line.error }) + '\n';
    case 'connected':
      return JSON.stringify({ type: 'connected', endpoint: line.endpoint }) + '\n';
    case 'reconnected':
      return (
        JSON.stringify({
          type: 'reconnected',
          revision: line.revision.toString(),
          etcdRevision: line.etcdRevision.toString(),
        }) + '\n'
      );
    default:
      return JSON.stringify({ type: line.type, revision: line.revision.toString() }) + '\n';
  }
}

/**
 * What text output writes for `line`, split by stream: like `etcdctl watch`, an event is its type
 * (`PUT`/`DELETE`), then the previous key and value when asked for, then key and value, one per line,
 * bytes as stored. Control lines are not data, so they go to stderr as `# …` comments.
 */
export function formatTextLine(line: WatchLine): { stdout?: Buffer; stderr?: string } {
  switch (line.type) {
    case 'event': {
      const e = line.event;
      const nl = Buffer.from('\n');
      const parts: Buffer[] = [Buffer.from(e.type === 'put' ? 'PUT\n' : 'DELETE\n')];
      if (e.prevKv) parts.push(e.prevKv.key, nl, e.prevKv.value, nl);
      parts.push(e.key, nl, e.value, nl);
      return { stdout: Buffer.concat(parts) };
    }
    case 'created':
      return { stderr: `# watch created; store at revision ${line.revision}\n` };
    case 'progress':
      return { stderr: `# progress: up to date at revision ${line.revision}\n` };
    case 'reconnected':
      return {
        stderr: `# reconnected, resuming after revision ${line.revision} (etcd at ${line.etcdRevision})\n`,
      };
    case 'waiting':
      return { stderr: `# etcd unreachable (${line.error}); waiting for it, reconnecting\n` };
    case 'connected':
      return { stderr: `# etcd is back: connected to ${line.endpoint}\n` };
    case 'compacted':
      return { stderr: `# compacted: history before revision ${line.compactRevision} is gone\n` };
    case 'reset': {
      const clusters =
        line.previousClusterId !== undefined && line.clusterId !== undefined
          ? `; cluster ID changed from ${line.previousClusterId} to ${line.clusterId}`
          : '';
      return {
        stderr: `# reset: etcd went back from revision ${line.revision} to ${line.etcdRevision}${clusters}\n`,
      };
    }
  }
}
