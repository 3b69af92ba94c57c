import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { parse } from 'yaml';
import { renderConfigMap } from '../../../src/sync/index.js';
import type { PrefixSnapshot, RenderOptions } from '../../../src/sync/index.js';
import { autoValue, parseJsonValue, yamlNumber } from '../../../src/sync/typed-values.js';
import { textArb, textTreeArb } from './arbitraries.js';
import { readTypedWithPython } from './external-readers.js';
import { expectOk, expectProblems, readable, snapshot } from './helpers.js';

// A separate process reads the documents; generous for a machine shared by many test runs.
const READER_TIMEOUT_MS = 180_000;
// Half the other formats' 120: every case is read four times (here, PyYAML, Python's json, the oracle).
const RUNS = Number(process.env.SYNC_PROPERTY_RUNS ?? 60);

function render(snap: PrefixSnapshot, format: 'yaml' | 'json', values: RenderOptions['values']): string {
  const key = `config.${format}`;
  return expectOk(renderConfigMap(snap, { format, key, separator: '.', values })).data[key]!;
}

describe('sync typed values', () => {
  describe('auto', () => {
    it('types canonical integers, decimal fractions and true/false, and nothing else', () => {
      const typed = ['0', '-12', '8080', '9007199254740991', '-9007199254740991', '1.5', '-0.25', '0.0'];
      for (const text of typed) assert.deepEqual(autoValue(text), { type: 'number', text }, text);
      assert.deepEqual(autoValue('true'), { type: 'boolean', value: true });
      assert.deepEqual(autoValue('false'), { type: 'boolean', value: false });
      const strings = [
        ...[
          '',
          '-0',
          '+1',
          '007',
          '00',
          '1.',
          '.5',
          '1e3',
          '1.5e+3',
          '1_000',
          '0x1F',
          '0o17',
          '9007199254740992',
        ],
        ...['True', 'yes', 'on', 'null', '~', '.inf', 'NaN', '12:30', '2024-01-01', ' 1', '1 ', '1.0e999'],
      ];
      for (const text of strings) assert.equal(autoValue(text), undefined, text);
    });

    it('writes typed leaves plain and keeps every other value a quoted string', () => {
      const snap = snapshot('/a/', [
        ['/a/port', '8080'],
        ['/a/ratio', '-0.25'],
        ['/a/on', 'true'],
        ['/a/word', 'yes'],
        ['/a/hex', '0x1F'],
        ['/a/big', '9007199254740993'],
        ['/a/date', '2024-01-01'],
        ['/a/name', 'web'],
      ]);
      assert.equal(
        render(snap, 'yaml', 'auto'),
        'big: "9007199254740993"\ndate: "2024-01-01"\nhex: "0x1F"\nname: web\n"on": true\nport: 8080\nratio: -0.25\nword: "yes"\n',
      );
      assert.deepEqual(JSON.parse(render(snap, 'json', 'auto')), {
        big: '9007199254740993',
        date: '2024-01-01',
        hex: '0x1F',
        name: 'web',
        on: true,
        port: 8080,
        ratio: -0.25,
        word: 'yes',
      });
    });
  });

  describe('json', () => {
    it('parses one JSON document, keeping number text and member order', () => {
      assert.deepEqual(parseJsonValue(' {"b": [1, 2.50, -3e+2], "a": null} '), {
        ok: true,
        value: {
          type: 'object',
          members: [
            [
              'b',
              {
                type: 'array',
                items: [
                  { type: 'number', text: '1' },
                  { type: 'number', text: '2.50' },
                  { type: 'number', text: '-3e+2' },
                ],
              },
            ],
            ['a', { type: 'null' }],
          ],
        },
      });
      const refused = [
        '',
        'yes',
        "'a'",
        '01',
        '1.',
        '[1,]',
        '{"a":1,"a":2}',
        '"\\ud800"',
        '{"a" 1}',
        '1 2',
        'NaN',
      ];
      for (const text of refused)
        assert.deepEqual(parseJsonValue(text), { ok: false, error: 'not-json' }, text);
      assert.deepEqual(parseJsonValue('['.repeat(65) + ']'.repeat(65)), {
        ok: false,
        error: 'json-too-deep',
      });
      assert.equal(parseJsonValue('['.repeat(64) + ']'.repeat(64)).ok, true);
    });

    it('spells floats as every YAML reader reads them', () => {
      const cases = [
        ['12', '12'],
        ['-0', '-0'],
        ['1.5', '1.5'],
        ['1e3', '1.0e+3'],
        ['2E-7', '2.0e-7'],
        ['1.25e+10', '1.25e+10'],
      ];
      for (const [json, yaml] of cases) assert.equal(yamlNumber(json!), yaml, json);
    });

    it('embeds each value as YAML blocks and as JSON', () => {
      const snap = snapshot('/a/', [
        ['/a/limits', '{"cpu": 2, "ratio": 1e3, "tags": ["x", "yes", {"k": [[]]}], "e": {}}'],
        ['/a/flag', 'false'],
        ['/a/text', '"multi\\nline"'],
        ['/a/none', 'null'],
      ]);
      assert.equal(
        render(snap, 'yaml', 'json'),
        [
          'flag: false',
          'limits:',
          '  cpu: 2',
          '  ratio: 1.0e+3',
          '  tags:',
          '    - x',
          '    - "yes"',
          '    - k:',
          '        - []',
          '  "e": {}',
          'none: null',
          'text: |-',
          '  multi',
          '  line',
          '',
        ].join('\n'),
      );
      assert.equal(
        render(snap, 'json', 'json'),
        '{\n  "flag": false,\n  "limits": {\n    "cpu": 2,\n    "ratio": 1e3,\n    "tags": [\n      "x",\n      "yes",\n      {\n        "k": [\n          []\n        ]\n      }\n    ],\n    "e": {}\n  },\n  "none": null,\n  "text": "multi\\nline"\n}\n',
      );
    });

    it('names every value that is not JSON, also under onInvalidKey skip', () => {
      const snap = snapshot('/a/', [
        ['/a/ok', '1'],
        ['/a/bad', 'yes'],
        ['/a/deep', '['.repeat(65) + ']'.repeat(65)],
      ]);
      for (const onInvalidKey of ['fail', 'skip'] as const) {
        const result = expectProblems(
          renderConfigMap(snap, {
            format: 'json',
            key: 'c.json',
            separator: '.',
            values: 'json',
            onInvalidKey,
          }),
        );
        assert.deepEqual(result.problems.map(readable), [
          { kind: 'InvalidValue', etcdKey: '/a/bad', reason: 'not-json' },
          { kind: 'InvalidValue', etcdKey: '/a/deep', reason: 'json-too-deep' },
        ]);
      }
    });
  });

  it('refuses typed values outside yaml/json and upper case outside env/properties', () => {
    const snap = snapshot('/a/', [['/a/x', '1']]);
    const env = expectProblems(
      renderConfigMap(snap, { format: 'env', key: 'e', separator: '_', values: 'auto' }),
    );
    assert.deepEqual(env.problems.map(readable), [
      { kind: 'InvalidOption', option: 'values', message: 'is only used with format yaml or json' },
    ]);
    const yaml = expectProblems(
      renderConfigMap(snap, { format: 'yaml', key: 'y', separator: '.', keyCase: 'upper' }),
    );
    assert.deepEqual(yaml.problems.map(readable), [
      { kind: 'InvalidOption', option: 'keyCase', message: 'is only used with format env or properties' },
    ]);
  });

  describe('read back', () => {
    /** Values of every kind Auto must judge: numbers in many spellings, words, and any text. */
    const autoTextArb = fc.oneof(
      fc.stringMatching(/^-?(?:0|[1-9][0-9]{0,17})(?:\.[0-9]{1,4})?(?:[eE][-+]?[0-9]{1,3})?$/),
      fc.constantFrom('true', 'false', 'yes', 'null', '~', '0x1F', '007', '-0', '+1', '.5', '1_000', '12:30'),
      textArb,
    );
    /** JSON documents: any JSON value, and numbers in every JSON spelling (beyond 2^53, exponents). */
    const numberText = fc.stringMatching(
      /^-?(?:0|[1-9][0-9]{0,22})(?:\.[0-9]{1,6})?(?:[eE][-+]?[0-9]{1,3})?$/,
    );
    const jsonTextArb = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v, null, 1)),
      numberText,
      fc.array(numberText, { maxLength: 3 }).map((items) => `[${items.join(',')}]`),
    );

    /** A tree whose leaves come from `leafArb`, and the JSON text of each leaf as Auto/JSON types it. */
    function typedTreeArb(leafArb: fc.Arbitrary<string>, mode: 'auto' | 'json') {
      return fc
        .tuple(textTreeArb, fc.array(leafArb, { minLength: 12, maxLength: 12 }))
        .map(([tree, leaves]) => {
          const entries = tree.snapshot.entries.map((e, i) => ({
            key: e.key,
            value: Buffer.from(leaves[i]!, 'utf8'),
          }));
          const expected = tree.paths.map((path, i) => {
            const text = leaves[i]!;
            const json = mode === 'json' ? text : autoValue(text) !== undefined ? text : JSON.stringify(text);
            return [path, json] as const;
          });
          return { snap: { ...tree.snapshot, entries }, expected: spliced(expected) };
        });
    }

    for (const [mode, leafArb] of [
      ['auto', autoTextArb],
      ['json', jsonTextArb],
    ] as const) {
      it(`${mode}: yaml and json read back as the same typed tree, here and in Python`, async () => {
        const cases = fc.sample(typedTreeArb(leafArb, mode), { numRuns: RUNS, seed: 23 });
        const yamlDocs = cases.map((c) => render(c.snap, 'yaml', mode));
        const jsonDocs = cases.map((c) => render(c.snap, 'json', mode));
        cases.forEach((c, i) => {
          const expected: unknown = JSON.parse(c.expected);
          assert.deepStrictEqual(JSON.parse(jsonDocs[i]!), expected, `json ${i}:\n${jsonDocs[i]}`);
          assert.deepStrictEqual(parse(yamlDocs[i]!), expected, `yaml ${i}:\n${yamlDocs[i]}`);
        });
        // The oracle: Python's json reading each leaf's own text, spliced into one document.
        const [fromPyYaml, fromPyJson, oracle] = await Promise.all([
          readTypedWithPython(yamlDocs, 'yaml'),
          readTypedWithPython(jsonDocs, 'json'),
          readTypedWithPython(
            cases.map((c) => c.expected),
            'json',
          ),
        ]);
        cases.forEach((_c, i) => {
          assert.deepStrictEqual(fromPyYaml[i], oracle[i], `PyYAML ${i}:\n${yamlDocs[i]}`);
          assert.deepStrictEqual(fromPyJson[i], oracle[i], `json ${i}:\n${jsonDocs[i]}`);
        });
      }).timeout(READER_TIMEOUT_MS);
    }
  });
});

/** One JSON object text from `[path, leaf JSON text]` pairs (no path a parent of another). */
function spliced(pairs: readonly (readonly [readonly string[], string])[]): string {
  interface Node {
    children: Map<string, Node>;
    leaf?: string;
  }
  const root: Node = { children: new Map() };
  for (const [path, json] of pairs) {
    let node = root;
    for (const segment of path) {
      let child = node.children.get(segment);
      if (child === undefined) node.children.set(segment, (child = { children: new Map() }));
      node = child;
    }
    node.leaf = json;
  }
  const text = (node: Node): string =>
    node.leaf ??
    `{${[...node.children].map(([name, child]) => `${JSON.stringify(name)}:${text(child)}`).join(',')}}`;
  return text(root);
}
