import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import type * as ProtoLoader from '@grpc/proto-loader';
import type { MethodDefinition } from '@grpc/proto-loader';

/**
 * proto-loader (with protobufjs) and the parse of rpc.proto cost ~150 ms of CPU: loaded on the first
 * request that needs them, not at import, so that a process that only watches (watch-rpc.ts) never
 * pays for them. A synchronous require, because a serializer is synchronous.
 */
const loadProtoLoader = (): typeof ProtoLoader =>
  createRequire(import.meta.url)('@grpc/proto-loader') as typeof ProtoLoader;

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
const LOADER_OPTIONS: ProtoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: String,
  bytes: Buffer,
  defaults: true,
  oneofs: true,
};

let cached: ProtoLoader.PackageDefinition | undefined;

function packageDefinition(): ProtoLoader.PackageDefinition {
  if (!cached) {
    const dir = protoDir();
    cached = loadProtoLoader().loadSync(path.join(dir, 'rpc.proto'), {
      ...LOADER_OPTIONS,
      includeDirs: [dir],
    });
  }
  return cached;
}

/** A method of etcd's gRPC API as a client calls it: its path, request encoder and response decoder. */
export type EtcdMethod<Req, Res> = Pick<
  MethodDefinition<Req, Res>,
  'path' | 'requestSerialize' | 'responseDeserialize'
>;

/**
 * proto-loader's full definition of `etcdserverpb.<service>.<method>` (with the server side's
 * encoders, which tests use to make wire bytes). Loads and parses the protos on the first call;
 * throws if our proto lacks the method (a programming error).
 */
export function etcdMethodDefinition<Req, Res>(service: string, method: string): MethodDefinition<Req, Res> {
  const svc = packageDefinition()[`etcdserverpb.${service}`];
  const def = svc && (svc as Record<string, unknown>)[method];
  if (!def) throw new Error(`etcdserverpb.${service}.${method} is not in proto/etcd`);
  return def as MethodDefinition<Req, Res>;
}

/**
 * `etcdserverpb.<service>.<method>` as a client calls it. The protos are loaded on its first request
 * or response (see loadProtoLoader), and a method our proto lacks throws then.
 */
export function etcdMethod<Req, Res>(service: string, method: string): EtcdMethod<Req, Res> {
  let def: MethodDefinition<Req, Res> | undefined;
  const resolve = (): MethodDefinition<Req, Res> => (def ??= etcdMethodDefinition<Req, Res>(service, method));
  return {
    // gRPC's path for a method of a package's service: /<package>.<Service>/<Method>.
    path: `/etcdserverpb.${service}/${method}`,
    requestSerialize: (request: Req) => resolve().requestSerialize(request),
    responseDeserialize: (bytes: Buffer) => resolve().responseDeserialize(bytes),
  };
}
