// The benchmark's writer: a bare grpc-js KV client on the project's protos, deliberately neither of the
// clients under test, so that a bug or a slow path in one of them cannot skew what the others see.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { fileURLToPath } from 'node:url';
import { nowMs } from './protocol.js';

const PROTO = fileURLToPath(new URL('../../proto/etcd/rpc.proto', import.meta.url));
/** Deadline of one write attempt; a write during an etcd restart fails after this and is retried. */
const ATTEMPT_TIMEOUT_MS = 2_000;
/** Pause between attempts while etcd is down. */
const RETRY_PAUSE_MS = 20;

interface ResponseHeader {
  revision: string;
}
type Unary<Req, Res> = (
  req: Req,
  options: grpc.CallOptions,
  cb: (err: grpc.ServiceError | null, res?: Res) => void,
) => void;
interface KvStub extends grpc.Client {
  Put: Unary<{ key: Buffer; value: Buffer }, { header: ResponseHeader }>;
  Txn: Unary<{ success: { request_put: { key: Buffer; value: Buffer } }[] }, { header: ResponseHeader }>;
  Range: Unary<{ key: Buffer; count_only?: boolean }, { header: ResponseHeader }>;
  Compact: Unary<{ revision: string; physical: boolean }, { header: ResponseHeader }>;
}

type KvConstructor = new (
  address: string,
  creds: grpc.ChannelCredentials,
  options: grpc.ChannelOptions,
) => KvStub;

/** Reconnect within tens of ms once etcd is back (grpc's default starts at 1 s), so that the writer's own
 * gap never hides a consumer's resume gap. */
const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.initial_reconnect_backoff_ms': 20,
  'grpc.min_reconnect_backoff_ms': 20,
  'grpc.max_reconnect_backoff_ms': 100,
};

function loadKvConstructor(): KvConstructor {
  const definition = protoLoader.loadSync(PROTO, {
    keepCase: true,
    longs: String,
    bytes: Buffer,
    defaults: true,
    oneofs: true,
    includeDirs: [fileURLToPath(new URL('../../proto/etcd/', import.meta.url))],
  });
  const pkg = grpc.loadPackageDefinition(definition) as unknown as {
    etcdserverpb: { KV: KvConstructor };
  };
  return pkg.etcdserverpb.KV;
}

/** Writes to one etcd endpoint and remembers the highest revision it has seen acknowledged. */
export class RawWriter {
  private readonly kv: KvStub;
  /** Highest header revision of any acknowledged write; every later event has a higher one. */
  lastRevision = 0n;
  /**
   * For puts made with {@link putUntilAcknowledged}: revision → when the attempt that landed was sent
   * and when it was acknowledged (epoch ms). Revisions are numbers: bench-local, far below 2^53.
   */
  readonly acks = new Map<number, { sentAt: number; ackedAt: number }>();

  constructor(endpoint: string) {
    const Kv = loadKvConstructor();
    this.kv = new Kv(endpoint, grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
  }

  private call<Req, Res extends { header: ResponseHeader }>(
    method: Unary<Req, Res>,
    req: Req,
  ): Promise<bigint> {
    return new Promise((resolve, reject) => {
      method.call(this.kv, req, { deadline: Date.now() + ATTEMPT_TIMEOUT_MS }, (err, res) => {
        if (err || !res) return reject(err ?? new Error('empty response'));
        const rev = BigInt(res.header.revision);
        if (rev > this.lastRevision) this.lastRevision = rev;
        resolve(rev);
      });
    });
  }

  /** One put; resolves with its revision. */
  put(key: string, value: Buffer | string): Promise<bigint> {
    return this.call(this.kv.Put, { key: Buffer.from(key), value: Buffer.from(value) });
  }

  /**
   * Retries a put until it is acknowledged (used while etcd is killed and restarted). `makeValue` runs
   * for every attempt so that a timestamp in the value is the time of the attempt that landed.
   */
  async putUntilAcknowledged(
    key: string,
    makeValue: () => Buffer | string,
    deadlineMs: number,
  ): Promise<bigint> {
    for (;;) {
      try {
        const sentAt = nowMs();
        const revision = await this.put(key, makeValue());
        this.acks.set(Number(revision), { sentAt, ackedAt: nowMs() });
        return revision;
      } catch (err) {
        if (Date.now() > deadlineMs) throw err;
        await new Promise((r) => setTimeout(r, RETRY_PAUSE_MS));
      }
    }
  }

  /** One transaction of unconditional puts; all of them share one revision. */
  txnPuts(pairs: readonly [string, Buffer | string][]): Promise<bigint> {
    return this.call(this.kv.Txn, {
      success: pairs.map(([key, value]) => ({
        request_put: { key: Buffer.from(key), value: Buffer.from(value) },
      })),
    });
  }

  /** The store's current revision. */
  currentRevision(): Promise<bigint> {
    return this.call(this.kv.Range, { key: Buffer.from([0]), count_only: true });
  }

  close(): void {
    this.kv.close();
  }
}
