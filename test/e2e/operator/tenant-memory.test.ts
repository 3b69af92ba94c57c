// The memory figure of issue 17, measured from outside a running operator (/proc/<pid>/status): one
// tenant puts 50 values of 1 MB under a prefix it may read, with 5 nested PrefixSyncs on it. The
// operator's RSS stays within 64 MiB of its idle figure, every one of the 5 reports TooLarge, and
// another tenant's PrefixSync keeps syncing meanwhile. `E2E_OPERATOR_ENTRY=dist/bundle/main.js` measures
// what ships (after `npm run build`) instead of the sources run through tsx.
import { strict as assert } from 'node:assert';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { PrefixSyncConditionType, PrefixSyncReason, type PrefixSync } from '../../../src/api/index.js';
import { conditionOf, describeConditions } from '../support/kube-api.js';
import { useOperatorEnv } from '../support/mocha-hooks.js';
import type { OperatorEnv } from '../support/operator-env.js';
import { newTenant, specFor, waitForExactSync, type Tenant } from '../support/scenario.js';
import { waitFor } from '../support/wait.js';

const MIB = 1024 * 1024;
/** "1 MB": under etcd's default request limit (1.5 MiB), so one put per value. */
const VALUE_BYTES = 1_000_000;
const VALUE_COUNT = 50;
/** Values put before the PrefixSyncs exist (read by their first snapshot); the rest arrive by watch. */
const VALUES_BEFORE = 25;
/** The prefixes of the 5 nested PrefixSyncs, below the tenant's prefix; the values go into the last. */
const NESTED = ['', 'a/', 'a/b/', 'a/b/c/', 'a/b/c/d/'] as const;
/** A small value beside the big ones: what the nested PrefixSyncs publish once the big ones are gone. */
const SEED = 'small';
/** What the issue allows above the idle figure. */
const RSS_HEADROOM_BYTES = 64 * MIB;
/** How often the RSS is sampled while the tenant writes. */
const RSS_SAMPLE_MS = 50;
/** Every this many puts, the other tenant's PrefixSync must carry a new value to its ConfigMap. */
const OTHER_TENANT_EVERY = 5;

/** The resident set size of process `pid` in bytes, from /proc/<pid>/status (VmRSS). */
async function rssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
  if (kb === undefined) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(kb) * 1024;
}

/** Samples a process's RSS every RSS_SAMPLE_MS until stop(); keeps the highest figure. */
class RssSampler {
  private peak = 0;
  private isStopped = false;
  private readonly loop: Promise<void>;

  constructor(private readonly pid: number) {
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    while (!this.isStopped) {
      this.peak = Math.max(this.peak, await rssBytes(this.pid));
      await new Promise((r) => setTimeout(r, RSS_SAMPLE_MS));
    }
  }

  /** Stops sampling; resolves with the peak, the last sample included. */
  async stop(): Promise<number> {
    this.isStopped = true;
    await this.loop;
    return Math.max(this.peak, await rssBytes(this.pid));
  }
}

const mib = (bytes: number): string => `${(bytes / MIB).toFixed(1)} MiB`;

describe('operator e2e: one tenant cannot exhaust the operator’s memory', function () {
  this.timeout(300_000);
  const entry = process.env['E2E_OPERATOR_ENTRY'];
  const e = useOperatorEnv(entry ? { operatorEntry: resolve(entry) } : {});

  /** The tenant's view of one of its nested PrefixSyncs, for waitForExactSync. */
  const nestedView = (t: Tenant, i: number): Tenant => ({
    ...t,
    prefix: t.prefix + NESTED[i]!,
    prefixSync: `app${i}`,
    configMap: `cfg${i}`,
  });

  /** Puts `value` under the other tenant's prefix and waits for its ConfigMap to hold it. */
  async function otherTenantSyncs(env: OperatorEnv, other: Tenant, value: string): Promise<void> {
    await env.etcdClient.kv.put(`${other.prefix}tick`, value);
    await waitFor(`the other tenant's ConfigMap to hold tick=${value}`, async () => {
      const cm = await env.kube.getConfigMap(other.namespace, other.configMap);
      return cm?.data?.['tick'] === value || `tick=${cm?.data?.['tick']}`;
    });
  }

  /** Waits until all 5 nested PrefixSyncs report Ready False/TooLarge over `keys` keys; returns them. */
  async function allTooLarge(env: OperatorEnv, t: Tenant, keys: number): Promise<PrefixSync[]> {
    return waitFor(
      `the ${NESTED.length} nested PrefixSyncs to report TooLarge over ${keys} keys`,
      async () => {
        const all = await Promise.all(NESTED.map((_, i) => env.kube.getPrefixSync(t.namespace, `app${i}`)));
        const notYet = all.filter((ps) => {
          const ready = conditionOf(ps, PrefixSyncConditionType.Ready);
          return (
            ready?.reason !== PrefixSyncReason.TooLarge || !ready.message.includes(` ${keys} keys under `)
          );
        });
        const seen = (ps: PrefixSync | undefined): string => describeConditions(ps).slice(0, 300);
        return notYet.length === 0 ? (all as PrefixSync[]) : notYet.map(seen).join(' | ');
      },
    );
  }

  it('50 × 1 MB under 5 nested PrefixSyncs: RSS within 64 MiB of idle, all TooLarge, the other tenant syncs', async () => {
    const env = e();
    const pid = env.operator?.pid;
    assert.ok(pid, 'the operator runs');
    const other = await newTenant(env, 'other');
    await env.etcdClient.kv.put(`${other.prefix}tick`, 'start');
    await env.kube.createPrefixSync(
      other.namespace,
      other.prefixSync,
      specFor(other, { rollout: { mode: 'none' } }),
    );
    await waitForExactSync(env, other);
    const t = await newTenant(env, 'big');
    const deepest = t.prefix + NESTED[NESTED.length - 1]!;
    await env.etcdClient.kv.put(`${deepest}seed`, SEED);

    const idle = await rssBytes(pid);
    const sampler = new RssSampler(pid);
    const value = (i: number): Buffer => Buffer.alloc(VALUE_BYTES, String.fromCharCode(97 + (i % 26)));
    let ticks = 0;
    let peak: number;
    let tooLarge: PrefixSync[];
    try {
      for (let i = 0; i < VALUES_BEFORE; i++) await env.etcdClient.kv.put(`${deepest}k${i}`, value(i));
      for (const [i, below] of NESTED.entries()) {
        await env.kube.createPrefixSync(t.namespace, `app${i}`, {
          ...specFor(t, { rollout: { mode: 'none' } }),
          prefix: t.prefix + below,
          target: { name: `cfg${i}` },
        });
      }
      await otherTenantSyncs(env, other, `t${++ticks}`);
      await allTooLarge(env, t, VALUES_BEFORE + 1);
      for (let i = VALUES_BEFORE; i < VALUE_COUNT; i++) {
        await env.etcdClient.kv.put(`${deepest}k${i}`, value(i));
        if ((i + 1) % OTHER_TENANT_EVERY === 0) await otherTenantSyncs(env, other, `t${++ticks}`);
      }
      // Past the bound the operator no longer sees puts (nor their values): the reports stand.
      tooLarge = await allTooLarge(env, t, VALUES_BEFORE + 1);
    } finally {
      peak = await sampler.stop();
    }
    const after = await rssBytes(pid);
    process.stdout.write(
      `      memory figure (${entry ?? 'sources via tsx'}): idle ${mib(idle)}, peak ${mib(peak)} (+${mib(peak - idle)}), after ${mib(after)}\n`,
    );
    assert.ok(
      peak - idle <= RSS_HEADROOM_BYTES,
      `RSS grew by ${mib(peak - idle)} (idle ${mib(idle)}, peak ${mib(peak)}), more than ${mib(RSS_HEADROOM_BYTES)}`,
    );
    for (const ps of tooLarge) {
      const message = conditionOf(ps, PrefixSyncConditionType.Ready)?.message ?? '';
      assert.match(message, /content is (more than )?\d+ bytes/, 'how big');
      assert.match(
        message,
        new RegExp(`the biggest: "${deepest}k\\d+" \\(${VALUE_BYTES} bytes\\)`),
        'which keys',
      );
    }
    for (const [i] of NESTED.entries()) {
      assert.equal(
        await env.kube.getConfigMap(t.namespace, `cfg${i}`),
        undefined,
        `nothing written for app${i}`,
      );
    }

    // Back under the limit, every nested PrefixSync syncs what is left.
    await env.etcdClient.kv.delete({ prefix: `${deepest}k` });
    for (const i of NESTED.keys())
      await waitForExactSync(env, nestedView(t, i), { name: `app${i}`, configMap: `cfg${i}` });
  });
});
