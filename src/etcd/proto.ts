import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import * as protoLoader from '@grpc/proto-loader';
import type { MethodDefinition } from '@grpc/proto-loader';

/**
 * Finds proto/etcd by walking up from this module, so that it is found both from src/etcd (tsx) and
 * from dist/etcd (compiled), and from an installed package (which ships proto/).
 */
function protoDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, 'proto', 'etcd');
    if (existsSync(path.join(candidate, 'rpc.proto'))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir)
      throw new Error('proto/etcd/rpc.proto not found above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

/** The loader options etcd needs (TOOLCHAIN.md): without keepCase etcd silently ignores create_request. */
const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: String,
  bytes: Buffer,
  defaults: true,
  oneofs: true,
};

let cached: protoLoader.PackageDefinition | undefined;

function packageDefinition(): protoLoader.PackageDefinition {
  if (!cached) {
    const dir = protoDir();
    cached = protoLoader.loadSync(path.join(dir, 'rpc.proto'), { ...LOADER_OPTIONS, includeDirs: [dir] });
  }
  return cached;
}

/** A method of etcd's gRPC API as a client calls it: its path, request encoder and response decoder. */
export type EtcdMethod<Req, Res> = Pick<
  MethodDefinition<Req, Res>,
  'path' | 'requestSerialize' | 'responseDeserialize'
>;

/** Looks up `etcdserverpb.<service>.<method>`; throws if our proto lacks it (a programming error). */
export function etcdMethod<Req, Res>(service: string, method: string): EtcdMethod<Req, Res> {
  const svc = packageDefinition()[`etcdserverpb.${service}`];
  const def = svc && (svc as Record<string, unknown>)[method];
  if (!def) throw new Error(`etcdserverpb.${service}.${method} is not in proto/etcd`);
  return def as EtcdMethod<Req, Res>;
}
