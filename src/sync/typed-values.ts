// Typed leaves for the `yaml` and `json` formats (`target.values` Auto and JSON): which etcd values
// become numbers, booleans or whole JSON documents, and which stay strings.

/**
 * A JSON value as the renderers need it. Numbers keep their JSON text, so a value like
 * `12345678901234567890` or `0.1000000000000000055511151231257827` reaches the document digit for digit
 * (a JavaScript number would round it); object members keep their document order.
 */
export type JsonValue =
  | { readonly type: 'null' }
  | { readonly type: 'boolean'; readonly value: boolean }
  | { readonly type: 'number'; readonly text: string }
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'array'; readonly items: readonly JsonValue[] }
  | { readonly type: 'object'; readonly members: readonly (readonly [string, JsonValue])[] };

/** How etcd values become leaves of the key tree (`target.values`). */
export type ValueMode = 'string' | 'auto' | 'json';

/** Every {@link ValueMode}. */
export const VALUE_MODES = ['string', 'auto', 'json'] as const satisfies readonly ValueMode[];

/** Deepest nesting of arrays and objects accepted in one JSON value (readers recurse per level). */
export const MAX_JSON_DEPTH = 64;

// Auto integers: no sign but `-`, no leading zeros, no `-0` (JSON readers in JavaScript read it as
// the float -0, Python's as the int 0). Bounded by MAX_SAFE_INTEGER below, so JavaScript JSON readers
// read them exactly too, not only PyYAML and Python's json (which read any size).
const AUTO_INTEGER = /^-?(?:0|[1-9][0-9]*)$/;

// Auto floats: digits, a point, digits — the one spelling that PyYAML (YAML 1.1 needs the point, and
// a signed exponent, so `1e3` is a string there), YAML 1.2, JSON and Java's Double.parseDouble all read
// as the same decimal, hence the same nearest double. No exponent: `1.5e+3` would be read alike too,
// but few write it, and `1.5e3` (a string in PyYAML) next to it would surprise more than it helps.
const AUTO_FLOAT = /^-?(?:0|[1-9][0-9]*)\.[0-9]+$/;

/**
 * The typed leaf Auto gives `text`: a number for a canonical integer within ±(2^53 − 1) or a decimal
 * fraction like `1.5` / `-0.25` (finite), a boolean for exactly `true` / `false`; `undefined` — the
 * value stays a string — for anything else (`1e3`, `+1`, `007`, `-0`, `yes`, `null`, `0x1F`, …). Pure.
 */
export function autoValue(text: string): JsonValue | undefined {
  if (text === 'true' || text === 'false') return { type: 'boolean', value: text === 'true' };
  if (AUTO_INTEGER.test(text)) {
    if (text === '-0' || !Number.isSafeInteger(Number(text))) return undefined;
    return { type: 'number', text };
  }
  if (AUTO_FLOAT.test(text) && Number.isFinite(Number(text))) return { type: 'number', text };
  return undefined;
}

/** Why a value is not a JSON document the renderers can embed. */
export type JsonValueError = 'not-json' | 'json-too-deep';

/**
 * Parses `text` as one JSON document (RFC 8259; surrounding whitespace allowed). Refused as `not-json`:
 * anything `JSON.parse` refuses, and also an object naming a member twice (readers disagree on which
 * wins) and a string holding a lone surrogate (`"\ud800"`, which no UTF-8 document can carry). Refused
 * as `json-too-deep`: arrays/objects nested deeper than {@link MAX_JSON_DEPTH}. Pure; never throws.
 */
export function parseJsonValue(
  text: string,
): { ok: true; value: JsonValue } | { ok: false; error: JsonValueError } {
  const parser = new JsonParser(text);
  try {
    const value = parser.document();
    return { ok: true, value };
  } catch (err) {
    if (err instanceof JsonSyntaxError) return { ok: false, error: err.reason };
    throw err;
  }
}

class JsonSyntaxError extends Error {
  constructor(readonly reason: JsonValueError) {
    super(reason);
  }
}

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?/y;
// A JSON string body: anything but `"`, `\` and control characters, or a valid escape.
// eslint-disable-next-line no-control-regex -- JSON forbids raw control characters in strings
const STRING = /"((?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*)"/y;
const WHITESPACE = /[ \t\n\r]*/y;
// With the u flag a pair is one code point, so this matches only a surrogate without its partner.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/** A recursive-descent JSON reader; depth-bounded, so its recursion is too. */
class JsonParser {
  /** Index of the next unread character. */
  private at = 0;

  constructor(private readonly text: string) {}

  document(): JsonValue {
    const value = this.value(0);
    this.skipSpace();
    if (this.at !== this.text.length) throw new JsonSyntaxError('not-json');
    return value;
  }

  private skipSpace(): void {
    WHITESPACE.lastIndex = this.at;
    WHITESPACE.exec(this.text);
    this.at = WHITESPACE.lastIndex;
  }

  private match(pattern: RegExp): RegExpExecArray {
    pattern.lastIndex = this.at;
    const found = pattern.exec(this.text);
    if (found === null) throw new JsonSyntaxError('not-json');
    this.at = pattern.lastIndex;
    return found;
  }

  private literal(word: string): void {
    if (!this.text.startsWith(word, this.at)) throw new JsonSyntaxError('not-json');
    this.at += word.length;
  }

  private string(): string {
    const body = this.match(STRING)[0];
    const value = JSON.parse(body) as string;
    if (LONE_SURROGATE.test(value)) throw new JsonSyntaxError('not-json');
    return value;
  }

  private value(depth: number): JsonValue {
    this.skipSpace();
    const ch = this.text[this.at];
    switch (ch) {
      case '{':
      case '[': {
        if (depth >= MAX_JSON_DEPTH) throw new JsonSyntaxError('json-too-deep');
        return ch === '{' ? this.object(depth + 1) : this.array(depth + 1);
      }
      case '"':
        return { type: 'string', value: this.string() };
      case 't':
        this.literal('true');
        return { type: 'boolean', value: true };
      case 'f':
        this.literal('false');
        return { type: 'boolean', value: false };
      case 'n':
        this.literal('null');
        return { type: 'null' };
      default:
        return { type: 'number', text: this.match(NUMBER)[0] };
    }
  }

  private array(depth: number): JsonValue {
    this.at++; // [
    const items: JsonValue[] = [];
    this.skipSpace();
    if (this.text[this.at] === ']') {
      this.at++;
      return { type: 'array', items };
    }
    for (;;) {
      items.push(this.value(depth));
      this.skipSpace();
      const next = this.text[this.at++];
      if (next === ']') return { type: 'array', items };
      if (next !== ',') throw new JsonSyntaxError('not-json');
    }
  }

  private object(depth: number): JsonValue {
    this.at++; // {
    const members: [string, JsonValue][] = [];
    const names = new Set<string>();
    this.skipSpace();
    if (this.text[this.at] === '}') {
      this.at++;
      return { type: 'object', members };
    }
    for (;;) {
      this.skipSpace();
      const name = this.string();
      if (names.has(name)) throw new JsonSyntaxError('not-json');
      names.add(name);
      this.skipSpace();
      this.literal(':');
      members.push([name, this.value(depth)]);
      this.skipSpace();
      const next = this.text[this.at++];
      if (next === '}') return { type: 'object', members };
      if (next !== ',') throw new JsonSyntaxError('not-json');
    }
  }
}

/**
 * A JSON number's text in the one float spelling YAML 1.1 readers (PyYAML) accept besides JSON and
 * YAML 1.2: `d.d` with a signed exponent if any (`1e3` → `1.0e+3`, `2E-7` → `2.0e-7`). The same decimal,
 * so every reader rounds it to the same double. Integers (no point, no exponent) are kept as they are.
 */
export function yamlNumber(text: string): string {
  const m = /^(-?[0-9]+)(?:\.([0-9]+))?(?:[eE]([-+]?)([0-9]+))?$/.exec(text);
  if (m === null) return text;
  const [, whole = '', fraction, sign, exponent] = m;
  if (fraction === undefined && exponent === undefined) return text;
  const mantissa = `${whole}.${fraction ?? '0'}`;
  return exponent === undefined ? mantissa : `${mantissa}e${sign === '-' ? '-' : '+'}${exponent}`;
}
