import { Etcd3 } from 'etcd3';
import { ownCpuMicros, type StartWatch } from './consumer-adapter.js';

/**
 * The `etcd3` npm client's watch, with its defaults (as its users run it) but for grpc's receive
 * limit, raised as its users would have to for any response over 4 MiB (the catch-up phase): the
 * comparison is of client cost, not of a default.
 */
export const startEtcd3Watch: StartWatch = async (spec, makeTally) => {
  const client = new Etcd3({
    hosts: spec.endpoints.map((e) => `http://${e}`),
    grpcOptions: { 'grpc.max_receive_message_length': -1 },
  });
  const tally = makeTally(ownCpuMicros);
  const watcher = await client.watch().prefix(spec.prefix).startRevision(spec.fromRevision).create();
  // create() resolves on the first `connected`; every later one is a re-established stream.
  watcher.on('connected', (res) => tally.recreated(Number(res.header.revision)));
  watcher.on('error', (err: Error) => (tally.error = `${err.name}: ${err.message}`));
  watcher.on('data', (res) => {
    for (const ev of res.events) {
      const kv = ev.kv;
      tally.event(Number(kv.mod_revision), () => kv.value);
    }
  });
  return {
    async stop() {
      await watcher.cancel().catch(() => undefined);
      client.close();
    },
  };
};
