// etcd's cluster and member IDs as people see them.

/** etcd reports the cluster id as a decimal uint64; etcdctl prints it in lower-case hex. */
export function clusterIdHex(decimal: string): string {
  try {
    return BigInt(decimal).toString(16);
  } catch {
    return decimal;
  }
}
