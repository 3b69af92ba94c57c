// The one SourceConnections of a session, shared by both controllers: made by whichever asks first,
// with the metrics that every mirror and client reports, and closed when the session ends.
import type { SessionScope } from '../../runtime/index.js';
import type { ControllerEnv } from '../shared/controller-env.js';
import { SourceConnections, type SourceConnectionEvents } from './source-connections.js';

/** Client defaults suited to an operator: fail over and report unreachable etcd in seconds, not 15 s. */
const DEFAULT_ETCD_CLIENT_OPTIONS = { connectTimeoutMs: 2_000, requestTimeoutMs: 5_000 };

const SESSION_KEY = 'etcd-connections';

/** The session's etcd connections; the first call makes them. */
export function sessionConnections(session: SessionScope, env: ControllerEnv): SourceConnections {
  return session.shared(SESSION_KEY, () => {
    const connections = new SourceConnections({
      clientOptions: { ...DEFAULT_ETCD_CLIENT_OPTIONS, ...env.etcdClientOptions },
      logger: env.logger.child({ component: 'etcd' }),
    });
    connections.subscribe(connectionMetrics(env));
    env.metrics.countMirrorsWith(() => connections.mirrorCount);
    env.metrics.measureMirrorBytesWith(() => connections.mirrorBytes());
    return connections;
  });
}

/** Counts what the mirrors and clients report, per source. */
function connectionMetrics({ metrics, logger }: ControllerEnv): SourceConnectionEvents {
  return {
    onMirrorChange: (source, _holders, kind, eventCount) => {
      if (eventCount > 0) metrics.addWatchEvents(source, eventCount);
      if (kind === 'resync') metrics.incResyncs(source);
    },
    onMirrorError: (source) => metrics.incReconnects(source),
    onCompaction: (source) => metrics.incCompactions(source),
    onRevisionWentBack: (source, holders, error) => {
      metrics.incRevisionWentBack(source);
      logger.debug('prefix mirror saw etcd go back', {
        source,
        holders: holders.length,
        fromRevision: String(error.seenRevision),
        revision: String(error.etcdRevision),
      });
    },
  };
}
