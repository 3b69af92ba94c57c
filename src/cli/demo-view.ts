// The demo's live view: watches the ConfigMap, the PrefixSync and the Deployment through the API (as
// kubectl --watch would) and prints one readable line per change a person should notice.
import { Watch, type KubeConfig, type V1ConfigMap, type V1Deployment } from '@kubernetes/client-node';
import { CONFIG_HASH_ANNOTATION, GROUP, PREFIX_SYNC, VERSION, type PrefixSync } from '../api/index.js';
import { DEMO } from './demo-cluster.js';

/** Pause before re-opening a watch the server ended (they end on timeouts; that is normal). */
const REWATCH_DELAY_MS = 500;
/** Values longer than this are shortened in the view. */
const MAX_VALUE_CHARS = 40;

/** What the view has seen so far; the non-interactive mode waits on it. */
export interface DemoState {
  configMapData: Record<string, string> | undefined;
  syncedRevision: string | undefined;
  contentHash: string | undefined;
  ready: string | undefined;
  generation: number | undefined;
  podTemplateHash: string | undefined;
  rollouts: number;
}

function clock(): string {
  return new Date().toISOString().slice(11, 19);
}

function short(v: string): string {
  const oneLine = JSON.stringify(v);
  return oneLine.length > MAX_VALUE_CHARS ? `${oneLine.slice(0, MAX_VALUE_CHARS - 1)}…"` : oneLine;
}

function shortHash(h: string | undefined): string {
  return h === undefined ? '(none)' : h.replace(/^sha256:/, '').slice(0, 12);
}

/** The lines describing how `after` differs from `before`. */
export function describeDataChange(
  before: Record<string, string> | undefined,
  after: Record<string, string>,
): string[] {
  const lines: string[] = [];
  for (const [k, v] of Object.entries(after).sort()) {
    const old = before?.[k];
    if (old === undefined) lines.push(`+ ${k} = ${short(v)}`);
    else if (old !== v) lines.push(`~ ${k} = ${short(v)}   (was ${short(old)})`);
  }
  for (const k of Object.keys(before ?? {}).sort()) if (!(k in after)) lines.push(`- ${k}`);
  return lines;
}

/**
 * Watches the demo's three objects and prints their changes to `out`. Every printed line is also a
 * state change others can wait for with {@link until}. `close()` ends the watches (idempotent).
 */
export class DemoView {
  readonly state: DemoState = {
    configMapData: undefined,
    syncedRevision: undefined,
    contentHash: undefined,
    ready: undefined,
    generation: undefined,
    podTemplateHash: undefined,
    rollouts: 0,
  };
  private readonly aborts = new Set<AbortController>();
  private readonly listeners = new Set<() => void>();
  private closed = false;

  constructor(
    private readonly kc: KubeConfig,
    private readonly out: (line: string) => void,
  ) {}

  /** Opens the watches; resolves once all three are open. */
  async start(): Promise<void> {
    const ns = DEMO.namespace;
    await Promise.all([
      this.watch(`/api/v1/namespaces/${ns}/configmaps`, DEMO.configMap, (o: V1ConfigMap) =>
        this.onConfigMap(o),
      ),
      this.watch(
        `/apis/${GROUP}/${VERSION}/namespaces/${ns}/${PREFIX_SYNC.plural}`,
        DEMO.prefixSync,
        (o: PrefixSync) => this.onPrefixSync(o),
      ),
      this.watch(`/apis/apps/v1/namespaces/${ns}/deployments`, DEMO.deployment, (o: V1Deployment) =>
        this.onDeployment(o),
      ),
    ]);
  }

  /** Resolves once `predicate(state)` holds; rejects with `what` after `timeoutMs`. */
  until(what: string, predicate: (s: DemoState) => boolean, timeoutMs: number): Promise<void> {
    if (predicate(this.state)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!predicate(this.state)) return;
        done();
        resolve();
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
    });
  }

  close(): void {
    this.closed = true;
    for (const a of this.aborts) a.abort();
    this.aborts.clear();
  }

  private notify(): void {
    for (const l of [...this.listeners]) l();
  }

  private print(subject: string, text: string): void {
    this.out(`${clock()}  ${subject.padEnd(24)} ${text}`);
  }

  private async watch<T extends { metadata?: { name?: string } }>(
    path: string,
    name: string,
    handle: (obj: T) => void,
  ): Promise<void> {
    if (this.closed) return;
    const controller = await new Watch(this.kc).watch(
      path,
      {},
      (type: string, obj: T) => {
        if (obj.metadata?.name !== name || type === 'BOOKMARK') return;
        if (type === 'DELETED') this.print(name, 'deleted');
        else handle(obj);
        this.notify();
      },
      () => {
        this.aborts.delete(controller);
        // A watch ended by the server is re-opened; the state comparison keeps the view free of repeats.
        if (!this.closed) {
          setTimeout(() => {
            this.watch(path, name, handle).catch((e: unknown) =>
              this.print(name, `watch failed: ${e instanceof Error ? e.message : String(e)}`),
            );
          }, REWATCH_DELAY_MS);
        }
      },
    );
    this.aborts.add(controller);
  }

  private onConfigMap(cm: V1ConfigMap): void {
    const data = { ...(cm.data ?? {}) };
    const before = this.state.configMapData;
    const changes = describeDataChange(before, data);
    if (before !== undefined && changes.length === 0) return;
    this.state.configMapData = data;
    const subject = `ConfigMap ${DEMO.configMap}`;
    this.print(subject, before === undefined ? `written with ${Object.keys(data).length} keys:` : 'updated:');
    for (const line of changes) this.out(`${' '.repeat(10)}${' '.repeat(25)}${line}`);
  }

  private onPrefixSync(ps: PrefixSync): void {
    const s = ps.status;
    const ready = s?.conditions?.find((c) => c.type === 'Ready');
    const readyText = ready ? `Ready=${ready.status} (${ready.reason})` : 'Ready=?';
    if (
      s?.syncedRevision === this.state.syncedRevision &&
      s?.contentHash === this.state.contentHash &&
      readyText === this.state.ready
    )
      return;
    // Nothing to say before the operator has written any status.
    if (s === undefined) return;
    this.state.syncedRevision = s?.syncedRevision;
    this.state.contentHash = s?.contentHash;
    this.state.ready = readyText;
    const rev =
      s?.syncedRevision === undefined ? 'not synced yet' : `synced etcd revision ${s.syncedRevision}`;
    const problem = ready && ready.status !== 'True' && ready.message ? ` — ${ready.message}` : '';
    this.print(
      `PrefixSync ${DEMO.prefixSync}`,
      `${rev}, ${readyText}, hash ${shortHash(s?.contentHash)}${problem}`,
    );
  }

  private onDeployment(d: V1Deployment): void {
    const hash = d.spec?.template.metadata?.annotations?.[CONFIG_HASH_ANNOTATION];
    const generation = d.metadata?.generation;
    const first = this.state.generation === undefined;
    if (!first && hash === this.state.podTemplateHash && generation === this.state.generation) return;
    const previous = this.state.podTemplateHash;
    this.state.generation = generation;
    this.state.podTemplateHash = hash;
    const subject = `Deployment ${DEMO.deployment}`;
    if (first) {
      this.print(
        subject,
        `generation ${generation}, pod template ${CONFIG_HASH_ANNOTATION}=${shortHash(hash)}`,
      );
    } else if (hash !== previous) {
      this.state.rollouts++;
      this.print(
        subject,
        `rolling restart: ${CONFIG_HASH_ANNOTATION} ${shortHash(previous)} → ${shortHash(hash)} (generation ${generation})`,
      );
    } else {
      this.print(subject, `generation ${generation}`);
    }
  }
}
