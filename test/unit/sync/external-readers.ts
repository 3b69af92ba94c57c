// Independent readers of the rendered formats, run once per batch of documents: PyYAML (a YAML 1.1
// reader), java.util.Properties, and a POSIX shell. They are what applications use, so agreeing with
// them — not with our own parser — is the test.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const PROCESS_TIMEOUT_MS = 120_000; // generous: two cores shared with many busy test runs
const MAX_BUFFER = 64 * 1024 * 1024;

async function withDocs<T>(
  docs: readonly string[],
  ext: string,
  use: (dir: string, files: string[]) => Promise<T>,
): Promise<T> {
  const dir = await mkdtemp(path.join(tmpdir(), 'sync-readers-'));
  try {
    const files = docs.map((_, i) => path.join(dir, `doc-${i}${ext}`));
    await Promise.all(docs.map((doc, i) => writeFile(files[i]!, doc, 'utf8')));
    return await use(dir, files);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Anything PyYAML reads that is not a string or a mapping of strings, spelled `!nonstr!…`. */
export type YamlTree = string | { [name: string]: YamlTree };

const PY_YAML = `
import json, sys, yaml
def plain(node):
    if isinstance(node, dict):
        return {(k if isinstance(k, str) else '!nonstr!' + repr(k)): plain(v) for k, v in node.items()}
    return node if isinstance(node, str) else '!nonstr!' + repr(node)
out = []
for p in sys.argv[1:]:
    with open(p, 'rb') as f:
        try:
            out.append(plain(yaml.safe_load(f)))
        except yaml.YAMLError as e:
            out.append('!error!' + str(e))
json.dump(out, sys.stdout)
`;

/** Each document as PyYAML's `safe_load` reads it. */
export function readYamlWithPython(docs: readonly string[]): Promise<YamlTree[]> {
  return withDocs(docs, '.yaml', async (_dir, files) => {
    const { stdout } = await run('python3', ['-c', PY_YAML, ...files], {
      timeout: PROCESS_TIMEOUT_MS,
      maxBuffer: MAX_BUFFER,
    });
    return JSON.parse(stdout) as YamlTree[];
  });
}

const JAVA_PROPS = `
import java.io.*;
import java.nio.charset.StandardCharsets;
import java.util.*;
public class Props {
  static String hex(String s) {
    StringBuilder h = new StringBuilder();
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) h.append(String.format("%02x", b));
    return h.toString();
  }
  public static void main(String[] args) throws Exception {
    StringBuilder out = new StringBuilder();
    for (String path : args) {
      Properties p = new Properties();
      try (InputStream in = new FileInputStream(path)) { p.load(in); }
      out.append("F\\n");
      for (String k : new TreeSet<>(p.stringPropertyNames())) out.append(hex(k)).append(' ').append(hex(p.getProperty(k))).append('\\n');
    }
    System.out.print(out);
  }
}
`;

/** Each document as `java.util.Properties.load(InputStream)` (ISO-8859-1) reads it. */
export function readPropertiesWithJava(docs: readonly string[]): Promise<Map<string, string>[]> {
  return withDocs(docs, '.properties', async (dir, files) => {
    const source = path.join(dir, 'Props.java');
    await writeFile(source, JAVA_PROPS, 'utf8');
    const { stdout } = await run('java', ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', source, ...files], {
      timeout: PROCESS_TIMEOUT_MS,
      maxBuffer: MAX_BUFFER,
    });
    const maps: Map<string, string>[] = [];
    for (const line of stdout.split('\n')) {
      if (line === 'F') maps.push(new Map());
      else if (line !== '') {
        const [k = '', v = ''] = line.split(' ');
        maps[maps.length - 1]!.set(
          Buffer.from(k, 'hex').toString('utf8'),
          Buffer.from(v, 'hex').toString('utf8'),
        );
      }
    }
    return maps;
  });
}

function parseEnv0(bytes: Buffer): Map<string, string> {
  const vars = new Map<string, string>();
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] !== 0) continue;
    const item = bytes.subarray(start, i).toString('utf8');
    const eq = item.indexOf('=');
    vars.set(item.slice(0, eq), item.slice(eq + 1));
    start = i + 1;
  }
  return vars;
}

/** The variables each document adds when a POSIX shell (`/bin/sh`, dash) sources it with `set -a`. */
export function readEnvWithShell(docs: readonly string[]): Promise<Map<string, string>[]> {
  return withDocs(docs, '.env', async (dir, files) => {
    const script = 'env -0 > "$0/base.out"; for f in "$@"; do ( set -a; . "$f"; env -0 > "$f.out" ); done';
    await run('/usr/bin/env', ['-i', 'PATH=/usr/bin:/bin', '/bin/sh', '-c', script, dir, ...files], {
      timeout: PROCESS_TIMEOUT_MS,
    });
    const base = parseEnv0(await readFile(path.join(dir, 'base.out')));
    return Promise.all(
      files.map(async (f) => {
        const added = new Map<string, string>();
        for (const [k, v] of parseEnv0(await readFile(`${f}.out`))) if (base.get(k) !== v) added.set(k, v);
        return added;
      }),
    );
  });
}

/**
 * A value as Python reads it, tagged with its Python type: `['s', str]`, `['i', decimal]`,
 * `['f', repr]`, `['b', bool]`, `['n']`, `['a', items]`, `['o', [[name, value], …]]` (members sorted by
 * name), `['?', repr]` for anything else (a date, a set…), `['!', message]` for a document that fails.
 */
export type TaggedValue = readonly unknown[];

const PY_TYPED = `
import json, sys, yaml
def tag(v):
    if isinstance(v, bool): return ['b', v]
    if isinstance(v, int): return ['i', str(v)]
    if isinstance(v, float): return ['f', repr(v)]
    if isinstance(v, str): return ['s', v]
    if v is None: return ['n']
    if isinstance(v, list): return ['a', [tag(x) for x in v]]
    if isinstance(v, dict):
        return ['o', sorted([[k if isinstance(k, str) else '!nonstr!' + repr(k), tag(x)] for k, x in v.items()])]
    return ['?', repr(v)]
out = []
for p in sys.argv[2:]:
    with open(p, 'rb') as f:
        try:
            out.append(tag(yaml.safe_load(f) if sys.argv[1] == 'yaml' else json.load(f)))
        except Exception as e:
            out.append(['!', str(e)])
json.dump(out, sys.stdout)
`;

/** Each document as PyYAML's `safe_load` (`yaml`) or Python's `json.load` (`json`) reads it, typed. */
export function readTypedWithPython(
  docs: readonly string[],
  reader: 'yaml' | 'json',
): Promise<TaggedValue[]> {
  return withDocs(docs, `.${reader}`, async (_dir, files) => {
    const { stdout } = await run('python3', ['-c', PY_TYPED, reader, ...files], {
      timeout: PROCESS_TIMEOUT_MS,
      maxBuffer: MAX_BUFFER,
    });
    return JSON.parse(stdout) as TaggedValue[];
  });
}
