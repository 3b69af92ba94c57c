// Byte sizes as Kubernetes users write them (resource.Quantity): an integer, or a number with a binary
// (Ki, Mi, Gi, Ti, Pi, Ei) or decimal (k, M, G, T, P, E) suffix — `256Mi`, `1.5Gi`, `500M`, `1048576`.
// The subset that makes sense for bytes: no sign, no milli (`m`), no exponent (`1e6`).

/** The CRD's pattern for a byte quantity written as a string. */
export const BYTE_QUANTITY_PATTERN = '^[0-9]+(\\.[0-9]+)?([KMGTPE]i|[kMGTPE])?$';
/** Longest byte quantity string (the CRD's maxLength). */
export const BYTE_QUANTITY_MAX_LENGTH = 32;

const PATTERN = new RegExp(BYTE_QUANTITY_PATTERN);

const MULTIPLIER: Readonly<Record<string, bigint>> = {
  '': 1n,
  k: 10n ** 3n,
  M: 10n ** 6n,
  G: 10n ** 9n,
  T: 10n ** 12n,
  P: 10n ** 15n,
  E: 10n ** 18n,
  Ki: 2n ** 10n,
  Mi: 2n ** 20n,
  Gi: 2n ** 30n,
  Ti: 2n ** 40n,
  Pi: 2n ** 50n,
  Ei: 2n ** 60n,
};

/** The result of {@link parseByteQuantity}: whole bytes, or why the value is not a byte quantity. */
export type ByteQuantityResult = { ok: true; bytes: number } | { ok: false; message: string };

/**
 * Parses a byte quantity (a non-negative integer, or a string as above) into whole bytes, rounding a
 * fraction of a byte up as Kubernetes does. Refuses more than `max` bytes. Never throws.
 */
export function parseByteQuantity(value: unknown, max = Number.MAX_SAFE_INTEGER): ByteQuantityResult {
  let bytes: bigint;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) {
      return { ok: false, message: 'must be a whole number of bytes, 0 or more' };
    }
    bytes = BigInt(value);
  } else if (typeof value === 'string') {
    const match = value.length <= BYTE_QUANTITY_MAX_LENGTH ? PATTERN.exec(value) : null;
    if (!match) {
      return { ok: false, message: `'${value}' is not a size in bytes like 256Mi, 1Gi or 1048576` };
    }
    const [whole, fraction = ''] = value.slice(0, value.length - (match[2]?.length ?? 0)).split('.');
    const scale = 10n ** BigInt(fraction.length);
    const multiplier = MULTIPLIER[match[2] ?? ''] ?? 1n;
    const scaled = BigInt(`${whole}${fraction}`) * multiplier;
    bytes = (scaled + scale - 1n) / scale; // rounded up
  } else {
    return { ok: false, message: 'must be an integer or a string like 256Mi' };
  }
  if (bytes > BigInt(max)) return { ok: false, message: `must be at most ${formatBytes(max)}` };
  return { ok: true, bytes: Number(bytes) };
}

/** Bytes for people: `268435456 bytes (256 MiB)`, `1023 bytes`. */
export function formatBytes(bytes: number): string {
  const units = ['KiB', 'MiB', 'GiB', 'TiB'] as const;
  let value = bytes;
  let unit: string | undefined;
  for (const u of units) {
    if (value < 1024) break;
    value /= 1024;
    unit = u;
  }
  if (unit === undefined) return `${bytes} bytes`;
  const shown = Number.isInteger(value) ? String(value) : value.toFixed(1);
  return `${bytes} bytes (${shown} ${unit})`;
}
