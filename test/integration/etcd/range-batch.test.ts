import { strict as assert } from 'node:assert';
import { EtcdCluster, etcdVersionsUnderTest } from '../../../src/envtest/index.js';
import {
  EtcdClient,
  MAX_TXN_OPS,
  type KeyValue,
  type RangeRequest,
  type RangeResult,
} from '../../../src/etcd/index.js';
import { uniquePrefix, waitFor } from './helpers.js';

/** Requests etcd has handled of one KV method, summed over result codes (its own /metrics). */
async function handled(endpoint: string, method: 'Range' | 'Txn'): Promise<number> {
  const res = await fetch(`http://${endpoint}/metrics`);
  if (!res.ok) throw new Error(`GET http://${endpoint}/metrics: ${res.status}`);
  let total = 0;
  for (const line of (await res.text()).split('\n')) {
    if (line.startsWith('grpc_server_handled_total{') && line.includes(`grpc_method="${method}"`)) {
      total += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return total;
}

const render = (r: RangeResult): string =>
  `${r.revision}:` +
  r.kvs.map((kv: KeyValue) => `${kv.key.toString()}=${kv.value.toString()}@${kv.modRevision}`).join(',');

/** Each read's rendering, or the name of the error it failed with. */
async function outcomes(reads: Promise<RangeResult>[]): Promise<string[]> {
  return (await Promise.allSettled(reads)).map((r) =>
    r.status === 'fulfilled' ? render(r.value) : (r.reason as Error).name,
  );
}

/** One key in each of `count` prefixes under `root`, written in Txns of MAX_TXN_OPS puts. */
async function writePrefixes(client: EtcdClient, root: string, count: number): Promise<string[]> {
  const prefixes = Array.from({ length: count }, (_, i) => `${root}${String(i).padStart(4, '0')}/`);
  for (let start = 0; start < count; start += MAX_TXN_OPS) {
    await client.kv.txn({
      success: prefixes
        .slice(start, start + MAX_TXN_OPS)
        .map((p) => ({ type: 'put' as const, key: `${p}k`, value: p })),
    });
  }
  return prefixes;
}

for (const etcd of etcdVersionsUnderTest()) {
  describe(`on etcd ${etcd.version}`, () => {
    describe('Ranges of one turn batched into Txns', function () {
      this.timeout(60_000);
      let cluster: EtcdCluster;
      let client: EtcdClient;
      let endpoint: string;
      /** etcd's Range and Txn counts handled since `before()`. */
      const requestsSince = async (before: {
        Range: number;
        Txn: number;
      }): Promise<{ Range: number; Txn: number }> => ({
        Range: (await handled(endpoint, 'Range')) - before.Range,
        Txn: (await handled(endpoint, 'Txn')) - before.Txn,
      });
      const counts = async (): Promise<{ Range: number; Txn: number }> => requestsSince({ Range: 0, Txn: 0 });

      before(async () => {
        cluster = await EtcdCluster.start({ etcdBin: etcd.etcdBin, etcdctlBin: etcd.etcdctlBin });
        endpoint = cluster.endpoints[0]!;
        client = new EtcdClient({ endpoints: cluster.endpoints });
      });
      after(async () => {
        await client?.close();
        await cluster?.close();
      });

      it('reads 300 prefixes at once in 3 Txns, each answer what its own Range answers', async () => {
        const prefixes = await writePrefixes(client, uniquePrefix('batch'), 300);
        const alone: string[] = [];
        for (const prefix of prefixes) alone.push(render(await client.kv.range({ prefix })));
        const before = await counts();
        const together = await outcomes(prefixes.map((prefix) => client.kv.range({ prefix })));
        assert.deepEqual(together, alone);
        // etcd counts a request once its handler returned, which is before the client has the answer.
        const seen = await waitFor('etcd counted the Txns', async () => {
          const now = await requestsSince(before);
          return now.Txn >= 3 ? now : `${JSON.stringify(now)}`;
        });
        assert.deepEqual(seen, { Range: 0, Txn: 3 });
      });

      it('sends a lone read as a plain Range', async () => {
        const [prefix] = await writePrefixes(client, uniquePrefix('lone'), 1);
        const before = await counts();
        const result = await client.kv.range({ prefix: prefix! });
        assert.equal(result.kvs[0]?.value.toString(), prefix);
        const seen = await waitFor('etcd counted the Range', async () => {
          const now = await requestsSince(before);
          return now.Range >= 1 ? now : `${JSON.stringify(now)}`;
        });
        assert.deepEqual(seen, { Range: 1, Txn: 0 });
      });

      it('fails the reads of a compacted revision with CompactedError, the others of the turn succeed', async () => {
        const prefixes = await writePrefixes(client, uniquePrefix('compacted'), 20);
        const old = (await client.kv.put(`${prefixes[0]!}k`, 'old')).revision;
        const { revision: now } = await client.kv.put(`${prefixes[0]!}k`, prefixes[0]!);
        await client.kv.compact(now);
        const requests: RangeRequest[] = prefixes.map((prefix) => ({ prefix }));
        // Two reads of the compacted revision share a Txn of their own: it fails, and each is read alone.
        requests[3] = { prefix: prefixes[3]!, revision: old };
        requests[11] = { prefix: prefixes[11]!, revision: old };
        const results = await outcomes(requests.map((r) => client.kv.range(r)));
        for (const [i, result] of results.entries()) {
          if (i === 3 || i === 11) assert.equal(result, 'CompactedError', `read ${i}`);
          else assert.match(result, new RegExp(`^${now}:${prefixes[i]!}k=${prefixes[i]!}@`), `read ${i}`);
        }
      });

      // Last: auth stays enabled on this cluster.
      describe('with a user allowed some of the prefixes', () => {
        let alice: EtcdClient;
        before(async () => {
          await writePrefixes(client, '/granted/', 10);
          await writePrefixes(client, '/refused/', 10);
          await cluster.enableAuth({
            rootPassword: 'rootpw',
            roles: [{ name: 'app', permissions: [{ type: 'read', key: '/granted/', prefix: true }] }],
            users: [{ name: 'alice', password: 'alicepw', roles: ['app'] }],
          });
          alice = new EtcdClient({
            endpoints: cluster.endpoints,
            auth: { username: 'alice', password: 'alicepw' },
          });
          await alice.kv.get('/granted/0000/k'); // the token, fetched before the reads under test
        });
        after(async () => alice?.close());

        it('fails the refused prefixes with PermissionDeniedError, the granted ones of the same turn succeed', async () => {
          const prefixes = Array.from({ length: 20 }, (_, i) =>
            i % 2 === 0
              ? `/granted/${String(i / 2).padStart(4, '0')}/`
              : `/refused/${String((i - 1) / 2).padStart(4, '0')}/`,
          );
          const before = await counts();
          const results = await outcomes(prefixes.map((prefix) => alice.kv.range({ prefix })));
          for (const [i, result] of results.entries()) {
            if (i % 2 === 1) assert.equal(result, 'PermissionDeniedError', `read ${i}`);
            else assert.match(result, new RegExp(`:${prefixes[i]!}k=${prefixes[i]!}@`), `read ${i}`);
          }
          // The Txn was refused as a whole; then each prefix was read alone.
          const seen = await waitFor('etcd counted the requests', async () => {
            const now = await requestsSince(before);
            return now.Range >= 20 ? now : `${JSON.stringify(now)}`;
          });
          assert.deepEqual(seen, { Range: 20, Txn: 1 });
        });
      });
    });
  });
}
