import type { JsonObject } from './json.js';
import { unsupportedMediaType } from './status-error.js';

/** The content type kubectl's typed clients (`kubectl create configmap|secret|namespace`) send. */
export const PROTOBUF_CONTENT_TYPE = 'application/vnd.kubernetes.protobuf';

/** The 4-byte prefix of Kubernetes' protobuf envelope (runtime.Unknown follows). */
const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

interface Field {
  no: number;
  /** varint value, or undefined for length-delimited fields */
  int?: bigint;
  bytes?: Buffer;
}

/** Splits one protobuf message into its fields (wire types 0, 1, 2 and 5). */
function fields(buf: Buffer): Field[] {
  const out: Field[] = [];
  let i = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = buf[i++];
      if (b === undefined) throw new Error('truncated varint');
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  while (i < buf.length) {
    const key = varint();
    const no = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (wire === 0) out.push({ no, int: varint() });
    else if (wire === 2) {
      const len = Number(varint());
      out.push({ no, bytes: buf.subarray(i, i + len) });
      i += len;
    } else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else throw new Error(`unsupported wire type ${wire}`);
  }
  return out;
}

const str = (f: Field): string => f.bytes?.toString('utf8') ?? '';

function map(entries: Field[], no: number, asBase64 = false): Record<string, string> | undefined {
  const pairs = entries.filter((f) => f.no === no && f.bytes);
  if (pairs.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const kv = fields(p.bytes!);
    const k = kv.find((f) => f.no === 1);
    const v = kv.find((f) => f.no === 2);
    out[k ? str(k) : ''] = v ? (asBase64 ? (v.bytes ?? Buffer.alloc(0)).toString('base64') : str(v)) : '';
  }
  return out;
}

function strings(entries: Field[], no: number): string[] | undefined {
  const list = entries.filter((f) => f.no === no).map(str);
  return list.length > 0 ? list : undefined;
}

/** k8s.io/apimachinery ObjectMeta, the fields a client sets (server-set ones are ignored anyway). */
function objectMeta(buf: Buffer): JsonObject {
  const f = fields(buf);
  const meta: JsonObject = {};
  const text: Array<[number, string]> = [
    [1, 'name'],
    [2, 'generateName'],
    [3, 'namespace'],
    [5, 'uid'],
    [6, 'resourceVersion'],
  ];
  for (const [no, key] of text) {
    const v = f.find((x) => x.no === no);
    if (v && str(v) !== '') meta[key] = str(v);
  }
  const labels = map(f, 11);
  const annotations = map(f, 12);
  if (labels) meta['labels'] = labels;
  if (annotations) meta['annotations'] = annotations;
  const owners = f
    .filter((x) => x.no === 13 && x.bytes)
    .map((x) => {
      const o = fields(x.bytes!);
      const get = (no: number): string => str(o.find((y) => y.no === no) ?? { no });
      const flag = (no: number): boolean | undefined => {
        const v = o.find((y) => y.no === no);
        return v?.int === undefined ? undefined : v.int !== 0n;
      };
      return {
        apiVersion: get(5),
        kind: get(1),
        name: get(3),
        uid: get(4),
        controller: flag(6),
        blockOwnerDeletion: flag(7),
      };
    });
  if (owners.length > 0) meta['ownerReferences'] = owners;
  const finalizers = strings(f, 14);
  if (finalizers) meta['finalizers'] = finalizers;
  return meta;
}

const DECODERS: Record<string, (f: Field[]) => JsonObject> = {
  'v1/ConfigMap': (f) => {
    const o: JsonObject = {};
    const data = map(f, 2);
    const binary = map(f, 3, true);
    if (data) o['data'] = data;
    if (binary) o['binaryData'] = binary;
    const immutable = f.find((x) => x.no === 4);
    if (immutable?.int !== undefined) o['immutable'] = immutable.int !== 0n;
    return o;
  },
  'v1/Secret': (f) => {
    const o: JsonObject = {};
    const data = map(f, 2, true);
    if (data) o['data'] = data;
    const type = f.find((x) => x.no === 3);
    if (type && str(type) !== '') o['type'] = str(type);
    const stringData = map(f, 4);
    if (stringData) o['stringData'] = stringData;
    return o;
  },
  'v1/Namespace': () => ({}),
};

/** An int64 varint as the number it stands for (two's complement: -1 is ten bytes of 0xff…01). */
const int64 = (v: bigint): number => Number(BigInt.asIntN(64, v));

/**
 * k8s.io/apimachinery DeleteOptions (meta/v1 generated.proto): gracePeriodSeconds = 1,
 * preconditions = 2 (uid = 1, resourceVersion = 2), orphanDependents = 3, propagationPolicy = 4,
 * dryRun = 5. It carries no ObjectMeta, so it is decoded apart from the object kinds below.
 */
function deleteOptions(f: Field[]): JsonObject {
  const o: JsonObject = {};
  const grace = f.find((x) => x.no === 1);
  if (grace?.int !== undefined) o['gracePeriodSeconds'] = int64(grace.int);
  const pre = f.find((x) => x.no === 2)?.bytes;
  if (pre) {
    const p = fields(pre);
    const preconditions: JsonObject = {};
    const uid = p.find((x) => x.no === 1);
    const rv = p.find((x) => x.no === 2);
    if (uid) preconditions['uid'] = str(uid);
    if (rv) preconditions['resourceVersion'] = str(rv);
    o['preconditions'] = preconditions;
  }
  const orphan = f.find((x) => x.no === 3);
  if (orphan?.int !== undefined) o['orphanDependents'] = orphan.int !== 0n;
  const policy = f.find((x) => x.no === 4);
  if (policy && str(policy) !== '') o['propagationPolicy'] = str(policy);
  const dryRun = strings(f, 5);
  if (dryRun) o['dryRun'] = dryRun;
  return o;
}

/**
 * Decodes a protobuf request body for the few kinds kubectl creates through typed clients
 * (ConfigMap, Secret, Namespace) and for DeleteOptions, which client-go's typed clients (Helm's
 * `uninstall`) send with a DELETE — under whichever group version the request is for, as
 * DeleteOptions is registered in every one. Anything else is answered 415, naming JSON as the way in.
 */
export function decodeProtobuf(body: Buffer): JsonObject {
  if (!body.subarray(0, 4).equals(MAGIC))
    throw unsupportedMediaType(['application/json', 'application/yaml']);
  const unknown = fields(body.subarray(4));
  const typeMeta = fields(unknown.find((f) => f.no === 1)?.bytes ?? Buffer.alloc(0));
  const apiVersion = str(typeMeta.find((f) => f.no === 1) ?? { no: 1 });
  const kind = str(typeMeta.find((f) => f.no === 2) ?? { no: 2 });
  const decoder = DECODERS[`${apiVersion}/${kind}`];
  const raw = unknown.find((f) => f.no === 2)?.bytes;
  if (kind === 'DeleteOptions' && (apiVersion === 'v1' || apiVersion.endsWith('/v1')))
    return { apiVersion, kind, ...deleteOptions(fields(raw ?? Buffer.alloc(0))) };
  if (!decoder || !raw) throw unsupportedMediaType(['application/json', 'application/yaml']);
  const f = fields(raw);
  const metaField = f.find((x) => x.no === 1)?.bytes;
  return { apiVersion, kind, metadata: metaField ? objectMeta(metaField) : {}, ...decoder(f) };
}
