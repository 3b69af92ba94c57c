import { EtcdClient } from '../../src/etcd/index.js';
import { ownCpuMicros, type StartWatch } from './consumer-adapter.js';

/** This project's watch client (src/etcd), with its defaults. */
export const startOurWatch: StartWatch = (spec, makeTally) => {
  const client = new EtcdClient({ endpoints: spec.endpoints });
  const tally = makeTally(ownCpuMicros);
  const watch = client.watch({ key: spec.prefix, prefix: true, fromRevision: BigInt(spec.fromRevision) });
  const loop = (async () => {
    try {
      for await (const message of watch) {
        if (message.type === 'events') {
          for (const e of message.events) tally.event(Number(e.modRevision), () => e.value);
        } else if (message.type === 'reconnected') {
          tally.recreated(Number(message.etcdRevision));
        }
      }
    } catch (err) {
      tally.error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    }
  })();
  return Promise.resolve({
    async stop() {
      await watch.cancel();
      await loop;
      await client.close();
    },
  });
};
