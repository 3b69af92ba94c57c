// Go-style durations (time.ParseDuration), the form Kubernetes users write: 500ms, 1s, 1m30s, 0.
// Units are ns, us, ms, s, m and h (no µs spelling); no sign.

const UNIT_NS: Readonly<Record<string, number>> = {
  ns: 1,
  us: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

const WHOLE = /^(0|([0-9]+([.][0-9]+)?(ns|us|ms|s|m|h))+)$/;
const PART = /([0-9]+(?:\.[0-9]+)?)(ns|us|ms|s|m|h)/g;

/** The result of {@link parseDuration}: milliseconds (possibly fractional), or why the text is not a duration. */
export type DurationResult = { ok: true; ms: number } | { ok: false; message: string };

/** Parses a Go-style duration into milliseconds. Never throws. */
export function parseDuration(text: string): DurationResult {
  if (!WHOLE.test(text)) {
    return { ok: false, message: `'${text}' is not a duration like 500ms, 1s or 1m30s` };
  }
  let ns = 0;
  for (const match of text.matchAll(PART)) {
    const [, amount, unit] = match;
    ns += Number(amount) * (UNIT_NS[unit ?? ''] ?? Number.NaN);
  }
  if (!Number.isFinite(ns)) return { ok: false, message: `'${text}' is too long a duration` };
  return { ok: true, ms: ns / 1e6 };
}

/** Formats milliseconds back to a Go-style duration (`1m30s`, `500ms`, `0s`); the inverse of parseDuration. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = (ms % 60_000) / 1000;
  if (h === 0 && m === 0 && s < 1) return `${ms}ms`;
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s ? `${s}s` : ''}`;
}
