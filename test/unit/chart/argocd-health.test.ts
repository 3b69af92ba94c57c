// The Argo CD health checks of PrefixSync and ClusterEtcdSource (charts/etcd-config-operator/files/argocd/),
// run by lua5.1 against status samples of each outcome, and their copies in docs/argocd.md.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ClusterEtcdSourceReason, PrefixSyncReason } from '../../../src/api/index.js';
import { CHART, REPO_ROOT } from '../../integration/chart/support/helm.js';
import { runHealthScript, toLuaLiteral, type HealthVerdict, type JsonValue } from './support/lua-health.js';

const PREFIX_SYNC_SCRIPT = join(CHART, 'files/argocd/prefixsync-health.lua');
const SOURCE_SCRIPT = join(CHART, 'files/argocd/clusteretcdsource-health.lua');
/** The statuses Argo CD accepts from a health script. */
const ARGO_STATUSES = new Set(['Healthy', 'Progressing', 'Degraded', 'Suspended', 'Missing', 'Unknown']);

interface Cond {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message?: string;
}

/** A PrefixSync at `generation` whose status is `status` (observed at `observed`, default current). */
function prefixSync(
  status: { conditions?: Cond[]; syncedRevision?: string } | null,
  opts: { generation?: number; observed?: number; suspend?: boolean } = {},
): JsonValue {
  const generation = opts.generation ?? 3;
  return {
    apiVersion: 'etcdconfig.dev/v1alpha1',
    kind: 'PrefixSync',
    metadata: { name: 'app', namespace: 'shop', generation },
    spec: {
      sourceRef: { name: 'main' },
      prefix: '/shop/',
      target: { name: 'cfg' },
      ...(opts.suspend === undefined ? {} : { suspend: opts.suspend }),
    },
    ...(status === null
      ? {}
      : {
          status: {
            observedGeneration: opts.observed ?? generation,
            ...(status.syncedRevision === undefined ? {} : { syncedRevision: status.syncedRevision }),
            conditions: (status.conditions ?? []).map((c) => ({
              ...c,
              lastTransitionTime: '2026-12-01T10:00:00Z',
              observedGeneration: opts.observed ?? generation,
            })),
          },
        }),
  };
}

const SYNCED: Cond = { type: 'Synced', status: 'True', reason: 'Synced', message: 'revision 42' };
const READY: Cond = { type: 'Ready', status: 'True', reason: 'Synced', message: 'revision 42' };
const ROLLED: Cond = { type: 'RolledOut', status: 'True', reason: 'RolledOut', message: 'Deployment web' };

/** A ClusterEtcdSource whose Ready condition is `ready` (none when undefined). */
function source(ready: Cond | undefined, opts: { generation?: number; observed?: number } = {}): JsonValue {
  const generation = opts.generation ?? 1;
  return {
    apiVersion: 'etcdconfig.dev/v1alpha1',
    kind: 'ClusterEtcdSource',
    metadata: { name: 'main', generation },
    spec: { endpoints: ['etcd-0.etcd:2379'] },
    status: {
      observedGeneration: opts.observed ?? generation,
      clusterId: '14841639068965178418',
      memberCount: 3,
      revision: '1234',
      conditions: ready ? [{ ...ready, lastTransitionTime: '2026-12-01T10:00:00Z' }] : [],
    },
  };
}

interface Case {
  readonly name: string;
  readonly obj: JsonValue;
  readonly status: string;
  readonly message: RegExp;
}

/** Runs every case of `cases` through `script` in one interpreter and checks each verdict. */
async function check(script: string, cases: readonly Case[]): Promise<void> {
  const verdicts = await runHealthScript(
    script,
    cases.map((c) => c.obj),
  );
  const wrong = cases
    .map((c, i) => ({ c, v: verdicts[i] as HealthVerdict }))
    .filter(({ c, v }) => v.status !== c.status || !c.message.test(v.message))
    .map(({ c, v }) => `${c.name}: got ${v.status} "${v.message}", want ${c.status} ${String(c.message)}`);
  assert.deepEqual(wrong, []);
}

describe('Argo CD health checks (lua5.1, as gopher-lua runs them)', function () {
  this.timeout(30_000);

  describe('toLuaLiteral', () => {
    it('writes tables, 1-based arrays and escaped strings that Lua reads back as the same values', async () => {
      const tricky = 'quote " backslash \\ newline \n tab \t ünïcode';
      const verdicts = await runHealthScript(join(REPO_ROOT, 'test/unit/chart/support/echo-health.lua'), [
        { spec: { text: tricky, list: ['a', 'b', 'c'], n: 7, flag: true, gone: null } },
      ]);
      assert.deepEqual(verdicts, [
        { status: 'Healthy', message: 'quote " backslash \\ newline   tab   ünïcode|3|c|7|true|nil' },
      ]);
      assert.equal(toLuaLiteral({ a: [1, 2] }), '{["a"] = {1, 2}}');
    });
  });

  describe('PrefixSync', () => {
    it('is Healthy when Ready is True for the current spec, naming the synced revision', async () => {
      await check(PREFIX_SYNC_SCRIPT, [
        {
          name: 'synced and rolled out',
          obj: prefixSync({ syncedRevision: '42', conditions: [READY, SYNCED, ROLLED] }),
          status: 'Healthy',
          message: /^synced at etcd revision 42$/,
        },
        {
          name: 'rollout disabled',
          obj: prefixSync({
            syncedRevision: '7',
            conditions: [
              READY,
              SYNCED,
              { type: 'RolledOut', status: 'True', reason: PrefixSyncReason.RolloutDisabled },
            ],
          }),
          status: 'Healthy',
          message: /revision 7/,
        },
      ]);
    });

    it('is Suspended when spec.suspend is true, whatever the status says', async () => {
      await check(PREFIX_SYNC_SCRIPT, [
        {
          name: 'suspend set, not yet observed',
          obj: prefixSync(
            { syncedRevision: '42', conditions: [READY, SYNCED, ROLLED] },
            { suspend: true, observed: 2 },
          ),
          status: 'Suspended',
          message: /spec\.suspend/,
        },
        {
          name: 'suspended and observed',
          obj: prefixSync(
            {
              conditions: [
                {
                  type: 'Ready',
                  status: 'False',
                  reason: PrefixSyncReason.Suspended,
                  message: 'spec.suspend is true',
                },
              ],
            },
            { suspend: true },
          ),
          status: 'Suspended',
          message: /spec\.suspend/,
        },
        {
          name: 'suspend false',
          obj: prefixSync({ syncedRevision: '42', conditions: [READY, SYNCED, ROLLED] }, { suspend: false }),
          status: 'Healthy',
          message: /revision 42/,
        },
      ]);
    });

    it('is Progressing before the operator has acted on the latest spec or while a rollout runs', async () => {
      await check(PREFIX_SYNC_SCRIPT, [
        { name: 'no status yet', obj: prefixSync(null), status: 'Progressing', message: /latest spec/ },
        {
          name: 'observedGeneration behind, an old failure',
          obj: prefixSync(
            {
              conditions: [
                { type: 'Ready', status: 'False', reason: PrefixSyncReason.InvalidKey, message: 'old' },
              ],
            },
            { generation: 4, observed: 3 },
          ),
          status: 'Progressing',
          message: /latest spec/,
        },
        {
          name: 'first sync pending',
          obj: prefixSync({
            conditions: [
              { type: 'Ready', status: 'Unknown', reason: PrefixSyncReason.Pending, message: 'first sync' },
            ],
          }),
          status: 'Progressing',
          message: /^Pending: first sync$/,
        },
        {
          name: 'no Ready condition yet',
          obj: prefixSync({ conditions: [] }),
          status: 'Progressing',
          message: /first sync/,
        },
        {
          name: 'rollout progressing',
          obj: prefixSync({
            syncedRevision: '43',
            conditions: [
              READY,
              SYNCED,
              {
                type: 'RolledOut',
                status: 'Unknown',
                reason: PrefixSyncReason.Progressing,
                message: 'waiting for Deployment web: 1 of 3 updated',
              },
            ],
          }),
          status: 'Progressing',
          message: /^Progressing: waiting for Deployment web: 1 of 3 updated$/,
        },
        {
          name: 'rollout delayed by minInterval',
          obj: prefixSync({
            syncedRevision: '43',
            conditions: [
              READY,
              SYNCED,
              {
                type: 'RolledOut',
                status: 'Unknown',
                reason: PrefixSyncReason.RolloutDelayed,
                message: 'in 30s',
              },
            ],
          }),
          status: 'Progressing',
          message: /^RolloutDelayed: in 30s$/,
        },
      ]);
    });

    it('is Degraded with the reason and message when Ready is False for the current spec', async () => {
      await check(PREFIX_SYNC_SCRIPT, [
        {
          name: 'invalid key',
          obj: prefixSync({
            syncedRevision: '40',
            conditions: [
              {
                type: 'Ready',
                status: 'False',
                reason: PrefixSyncReason.InvalidKey,
                message: 'etcd key "/shop/a b" maps to "a b"',
              },
              { type: 'Synced', status: 'False', reason: PrefixSyncReason.InvalidKey, message: 'x' },
              ROLLED,
            ],
          }),
          status: 'Degraded',
          message: /^InvalidKey: etcd key "\/shop\/a b" maps to "a b"$/,
        },
        {
          name: 'rollout failed',
          obj: prefixSync({
            syncedRevision: '43',
            conditions: [
              {
                type: 'Ready',
                status: 'False',
                reason: PrefixSyncReason.RolloutFailed,
                message: 'Deployment web\npast its deadline',
              },
              SYNCED,
              { type: 'RolledOut', status: 'False', reason: PrefixSyncReason.RolloutFailed, message: 'x' },
            ],
          }),
          status: 'Degraded',
          message: /^RolloutFailed: Deployment web past its deadline$/,
        },
      ]);
    });

    it('is Degraded for every reason Ready can be False with, but Suspended', async () => {
      const reasons = Object.values(PrefixSyncReason).filter((r) => r !== PrefixSyncReason.Suspended);
      await check(
        PREFIX_SYNC_SCRIPT,
        reasons.map((reason) => ({
          name: reason,
          obj: prefixSync({ conditions: [{ type: 'Ready', status: 'False', reason, message: 'why' }] }),
          status: 'Degraded',
          message: new RegExp(`^${reason}: why$`),
        })),
      );
    });
  });

  describe('ClusterEtcdSource', () => {
    it('maps Ready True, False and Unknown, and a lagging observedGeneration', async () => {
      await check(SOURCE_SCRIPT, [
        {
          name: 'connected',
          obj: source({
            type: 'Ready',
            status: 'True',
            reason: ClusterEtcdSourceReason.Connected,
            message: 'ok',
          }),
          status: 'Healthy',
          message: /^connected to 3 etcd members at revision 1234$/,
        },
        {
          name: 'pending',
          obj: source({ type: 'Ready', status: 'Unknown', reason: ClusterEtcdSourceReason.Pending }),
          status: 'Progressing',
          message: /^Pending$/,
        },
        {
          name: 'no condition yet',
          obj: source(undefined),
          status: 'Progressing',
          message: /first connection/,
        },
        {
          name: 'spec changed, not yet observed',
          obj: source(
            { type: 'Ready', status: 'False', reason: ClusterEtcdSourceReason.AuthFailed, message: 'old' },
            { generation: 2, observed: 1 },
          ),
          status: 'Progressing',
          message: /latest spec/,
        },
        ...Object.values(ClusterEtcdSourceReason)
          .filter((r) => r !== ClusterEtcdSourceReason.Connected && r !== ClusterEtcdSourceReason.Pending)
          .map((reason) => ({
            name: reason,
            obj: source({
              type: 'Ready',
              status: 'False',
              reason,
              message: 'connection refused by etcd-0.etcd:2379',
            }),
            status: 'Degraded',
            message: new RegExp(`^${reason}: connection refused by etcd-0\\.etcd:2379$`),
          })),
      ]);
    });
  });

  it('returns only statuses Argo CD knows', async () => {
    const verdicts = [
      ...(await runHealthScript(PREFIX_SYNC_SCRIPT, [prefixSync(null), prefixSync({ conditions: [READY] })])),
      ...(await runHealthScript(SOURCE_SCRIPT, [source(undefined)])),
    ];
    assert.deepEqual(
      verdicts.filter((v) => !ARGO_STATUSES.has(v.status)),
      [],
    );
  });

  it('appear verbatim in docs/argocd.md, in both the argo-cd chart values and the argocd-cm patch', () => {
    const doc = readFileSync(join(REPO_ROOT, 'docs/argocd.md'), 'utf8');
    for (const [kind, file] of [
      ['PrefixSync', PREFIX_SYNC_SCRIPT],
      ['ClusterEtcdSource', SOURCE_SCRIPT],
    ] as const) {
      const key = `resource.customizations.health.etcdconfig.dev_${kind}`;
      const script = readFileSync(file, 'utf8').trimEnd();
      // The argo-cd chart's configs.cm (6 spaces of indent) and argocd-cm's data (4 spaces).
      for (const indent of ['      ', '    ']) {
        const block = script
          .split('\n')
          .map((l) => (l === '' ? '' : indent + l))
          .join('\n');
        const at = doc.indexOf(`${key}: |\n${block}\n`);
        assert.ok(at >= 0, `docs/argocd.md lacks ${kind}'s script under ${key} at indent ${indent.length}`);
      }
    }
  });
});
