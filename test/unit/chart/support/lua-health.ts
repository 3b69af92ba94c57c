// Runs an Argo CD health script (Lua) the way Argo CD does: the resource as the global `obj`, the
// script's returned table read for `status` and `message`. Lua 5.1 is gopher-lua's language, the
// interpreter Argo CD embeds; scripts/ensure-tools.mjs installs Debian's lua5.1.
import { execFile } from 'node:child_process';

/** What a health script returned for one object. */
export interface HealthVerdict {
  readonly status: string;
  readonly message: string;
}

/** A JSON value, as Argo CD hands a resource to Lua (objects become tables, arrays 1-based tables). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Lua's escapes for a string literal: quote, backslash and every control byte as a decimal escape. */
function luaString(s: string): string {
  let out = '"';
  for (const byte of Buffer.from(s, 'utf8')) {
    const ch = String.fromCharCode(byte);
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (byte < 0x20 || byte === 0x7f) out += `\\${byte.toString().padStart(3, '0')}`;
    else if (byte < 0x80) out += ch;
    else out += `\\${byte}`; // UTF-8 continuation bytes kept byte for byte
  }
  return `${out}"`;
}

/** A Lua 5.1 table constructor (or scalar literal) equal to `value`; JSON null leaves a field out. */
export function toLuaLiteral(value: JsonValue): string {
  if (value === null) return 'nil';
  if (typeof value === 'string') return luaString(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`no Lua literal for ${value}`);
    return String(value);
  }
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (Array.isArray(value)) return `{${value.map(toLuaLiteral).join(', ')}}`;
  const fields = Object.entries(value)
    .filter(([, v]) => v !== null)
    .map(([k, v]) => `[${luaString(k)}] = ${toLuaLiteral(v)}`);
  return `{${fields.join(', ')}}`;
}

/**
 * Runs the health script at `scriptPath` once per object (one lua5.1 process for all of them) and
 * returns each verdict in order. Rejects when Lua fails (a syntax or runtime error in the script), when
 * the script returns no table, or when lua5.1 cannot be run.
 */
export function runHealthScript(scriptPath: string, objects: readonly JsonValue[]): Promise<HealthVerdict[]> {
  const program = [
    `local script = assert(loadfile(${luaString(scriptPath)}))`,
    `local samples = {${objects.map(toLuaLiteral).join(',\n')}}`,
    'for i = 1, #samples do',
    '  obj = samples[i]',
    '  local hs = script()',
    '  if type(hs) ~= "table" then error("sample " .. i .. ": the script returned no table") end',
    // One line per verdict: status, a tab, the message with its newlines flattened.
    '  local message = string.gsub(tostring(hs.message or ""), "[\\r\\n\\t]", " ")',
    '  io.write(tostring(hs.status), "\\t", message, "\\n")',
    'end',
  ].join('\n');
  return new Promise((resolve, reject) => {
    const child = execFile('lua5.1', ['-'], { timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) {
        reject(new Error(`lua5.1 failed (scripts/ensure-tools.mjs installs it): ${stderr || err.message}`));
        return;
      }
      const lines = stdout.split('\n').filter((l) => l !== '');
      if (lines.length !== objects.length) {
        reject(new Error(`expected ${objects.length} verdicts, got ${lines.length}: ${stdout}`));
        return;
      }
      resolve(
        lines.map((line) => {
          const tab = line.indexOf('\t');
          return { status: line.slice(0, tab), message: line.slice(tab + 1) };
        }),
      );
    });
    child.stdin?.end(program);
  });
}
