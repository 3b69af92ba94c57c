/**
 * The API server's limit on a ConfigMap's content: 1 MiB (`corev1.MaxSecretSize`, 1,048,576 bytes).
 *
 * What it counts (ValidateConfigMap in kubernetes/pkg/apis/core/validation): the sum of `len(value)`
 * over `data` (the UTF-8 bytes of each string) and over `binaryData` (the decoded bytes, not the
 * base64); keys are not counted, and a total equal to the limit is accepted. {@link byteCount} counts
 * exactly that, so a result we accept is never refused by that check.
 *
 * Headroom, which that check does not cover and which a caller can keep with `RenderOptions.maxBytes`:
 * the whole object must also fit etcd's request limit (1.5 MiB by default) with its keys, metadata and
 * managedFields (which list every key again), and the request body limit (3 MiB) after JSON encoding
 * (base64 adds a third to binary values; control characters in text escape to six bytes each). A
 * prefix with thousands of long keys, or text full of control characters, can reach those first.
 */
export const CONFIGMAP_MAX_DATA_BYTES = 1024 * 1024;

/** What the API server counts against {@link CONFIGMAP_MAX_DATA_BYTES} for this content. */
export function byteCount(data: Record<string, string>, binaryData: Record<string, string>): number {
  let total = 0;
  for (const value of Object.values(data)) total += Buffer.byteLength(value, 'utf8');
  // byteLength of base64 text is the decoded length, computed without decoding.
  for (const value of Object.values(binaryData)) total += Buffer.byteLength(value, 'base64');
  return total;
}
