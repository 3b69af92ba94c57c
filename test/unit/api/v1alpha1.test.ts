// Behaviour of the pure helpers of src/api/v1alpha1 that the controllers build on.
import assert from 'node:assert/strict';
import {
  checkAccess,
  configMapKeyProblem,
  dns1123LabelProblem,
  dns1123SubdomainProblem,
  endpointUsesTls,
  formatDuration,
  formatFieldErrors,
  labelKeyProblem,
  labelSelectorMatches,
  labelValueProblem,
  normalizePrefix,
  parseDuration,
  parseMaxRemoved,
  parseEndpoint,
  prefixProblem,
  resolveClusterEtcdSourceSpec,
  resolvePrefixSyncSpec,
  validateClusterEtcdSourceSpec,
  validatePrefixSyncSpec,
  withClusterEtcdSourceDefaults,
  withPrefixSyncDefaults,
} from '../../../src/api/index.js';
import type { AccessRule, ClusterEtcdSourceSpec, PrefixSyncSpec } from '../../../src/api/index.js';

describe('api/v1alpha1', () => {
  describe('parseDuration', () => {
    const good: [string, number][] = [
      ['0', 0],
      ['0s', 0],
      ['1s', 1000],
      ['500ms', 500],
      ['1m30s', 90_000],
      ['1.5s', 1500],
      ['1h', 3_600_000],
      ['250us', 0.25],
      ['100ns', 0.0001],
      ['2m0.5s', 120_500],
    ];
    for (const [text, ms] of good) {
      it(`reads ${text} as ${ms} ms`, () => assert.deepEqual(parseDuration(text), { ok: true, ms }));
    }
    for (const text of ['', '1', '-1s', '+1s', '1 s', '1sec', '.5s', '1.s', '1µs', 's', '1d', '1s ']) {
      it(`refuses '${text}' with a message`, () => {
        const result = parseDuration(text);
        assert.equal(result.ok, false);
        if (!result.ok) assert.match(result.message, /not a duration/);
      });
    }
    it('formats milliseconds back into a duration it can read', () => {
      for (const ms of [0, 1, 500, 1000, 1500, 90_000, 600_000, 3_723_000]) {
        const text = formatDuration(ms);
        assert.deepEqual(parseDuration(text), { ok: true, ms }, `${ms} -> ${text}`);
      }
      assert.equal(formatDuration(600_000), '10m');
      assert.equal(formatDuration(90_000), '1m30s');
    });
  });

  describe('prefixes', () => {
    it('accepts prefixes in normal form', () => {
      for (const p of ['/', '/config/', '/config/app/', '/a.b/-_/x y/', '/config/..x/'])
        assert.equal(prefixProblem(p), undefined, p);
    });
    it('refuses others, suggesting the normal form where there is one', () => {
      assert.equal(prefixProblem('config/app'), "must start and end with '/' (did you mean /config/app/?)");
      assert.equal(
        prefixProblem('/config//app/'),
        "must not contain an empty segment ('//') (did you mean /config/app/?)",
      );
      assert.equal(prefixProblem('/a/../b/'), "must not contain '.' or '..' segments");
      assert.equal(prefixProblem('/a/\t/'), 'must not contain control characters');
      assert.equal(prefixProblem(''), 'must not be empty');
      assert.equal(prefixProblem(`/${'x'.repeat(600)}/`), 'must be at most 512 characters');
    });
    it('normalizes only when the intent is clear', () => {
      assert.equal(normalizePrefix('config//app/./'), '/config/app/');
      assert.equal(normalizePrefix(''), '/');
      assert.equal(normalizePrefix('/a/../b'), undefined);
    });
  });

  describe('endpoints', () => {
    it('takes host:port, https:// and http:// apart', () => {
      assert.deepEqual(parseEndpoint('127.0.0.1:2379'), {
        ok: true,
        endpoint: { scheme: undefined, host: '127.0.0.1', port: 2379 },
      });
      assert.deepEqual(parseEndpoint('https://etcd-0.etcd:2379'), {
        ok: true,
        endpoint: { scheme: 'https', host: 'etcd-0.etcd', port: 2379 },
      });
      assert.deepEqual(parseEndpoint('http://[::1]:2379'), {
        ok: true,
        endpoint: { scheme: 'http', host: '[::1]', port: 2379 },
      });
    });
    it('refuses anything else without throwing', () => {
      for (const text of [
        'etcd',
        'etcd:',
        ':2379',
        'unix:///run/etcd.sock',
        'https://a:2379/',
        'a:0',
        'a:65536',
        'a b:1',
      ]) {
        assert.equal(parseEndpoint(text).ok, false, text);
      }
    });
    it('uses TLS for https://, never for http://, and for a bare host:port only when tls is set', () => {
      const tls = (text: string, hasTls: boolean): boolean => {
        const parsed = parseEndpoint(text);
        assert.ok(parsed.ok);
        return endpointUsesTls(parsed.endpoint, hasTls);
      };
      assert.equal(tls('https://a:1', false), true);
      assert.equal(tls('http://a:1', true), false);
      assert.equal(tls('a:1', true), true);
      assert.equal(tls('a:1', false), false);
    });
  });

  describe('names and keys', () => {
    it('follows the API server for ConfigMap keys', () => {
      for (const k of ['a', 'app.yaml', 'DB_HOST', '-x', '.env', 'a..b'])
        assert.equal(configMapKeyProblem(k), undefined, k);
      for (const k of ['', '.', '..', '..a', 'a/b', 'a b', 'ü', 'x'.repeat(254)])
        assert.ok(configMapKeyProblem(k), k);
    });
    it('follows the API server for DNS-1123 names and labels', () => {
      assert.equal(dns1123SubdomainProblem('app.config-1'), undefined);
      assert.ok(dns1123SubdomainProblem('App'));
      assert.ok(dns1123SubdomainProblem('a..b'));
      assert.equal(dns1123LabelProblem('default'), undefined);
      assert.ok(dns1123LabelProblem('a.b'));
      assert.ok(dns1123LabelProblem('x'.repeat(64)));
      assert.equal(labelKeyProblem('app.kubernetes.io/name'), undefined);
      assert.ok(labelKeyProblem('Bad_Prefix/name'));
      assert.ok(labelKeyProblem('a/'));
      assert.equal(labelValueProblem(''), undefined);
      assert.ok(labelValueProblem('-a'));
    });
  });

  describe('labelSelectorMatches', () => {
    const labels = { app: 'web', tier: 'frontend' };
    it('matches everything with {}', () => assert.equal(labelSelectorMatches({}, {}), true));
    it('ANDs matchLabels and every requirement', () => {
      assert.equal(labelSelectorMatches({ matchLabels: { app: 'web' } }, labels), true);
      assert.equal(labelSelectorMatches({ matchLabels: { app: 'web', tier: 'backend' } }, labels), false);
      assert.equal(
        labelSelectorMatches(
          {
            matchLabels: { app: 'web' },
            matchExpressions: [{ key: 'tier', operator: 'In', values: ['frontend'] }],
          },
          labels,
        ),
        true,
      );
    });
    it('reads In, NotIn, Exists and DoesNotExist like Kubernetes (NotIn matches a missing label)', () => {
      const m = (
        operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist',
        key: string,
        values?: string[],
      ): boolean =>
        labelSelectorMatches(
          { matchExpressions: [values ? { key, operator, values } : { key, operator }] },
          labels,
        );
      assert.equal(m('In', 'tier', ['backend']), false);
      assert.equal(m('In', 'zone', ['a']), false);
      assert.equal(m('NotIn', 'tier', ['backend']), true);
      assert.equal(m('NotIn', 'zone', ['a']), true);
      assert.equal(m('NotIn', 'tier', ['frontend']), false);
      assert.equal(m('Exists', 'app'), true);
      assert.equal(m('Exists', 'zone'), false);
      assert.equal(m('DoesNotExist', 'zone'), true);
      assert.equal(m('DoesNotExist', 'app'), false);
    });
  });

  describe('checkAccess', () => {
    const access: AccessRule[] = [
      { namespaces: ['shop'], prefixes: ['/config/shop/', '/config/shared/'] },
      { namespaceSelector: { matchLabels: { team: 'search' } }, prefixes: ['/config/search/'] },
    ];
    const shop = { name: 'shop', labels: {} };
    it('allows a prefix at or below a granted one, naming the rule', () => {
      assert.deepEqual(checkAccess(access, shop, '/config/shop/'), {
        allowed: true,
        ruleIndex: 0,
        grantedPrefix: '/config/shop/',
      });
      assert.deepEqual(checkAccess(access, shop, '/config/shared/db/'), {
        allowed: true,
        ruleIndex: 0,
        grantedPrefix: '/config/shared/',
      });
    });
    it('never allows a sibling that merely shares leading characters', () => {
      assert.deepEqual(checkAccess(access, shop, '/config/shopping/'), { allowed: false });
      assert.deepEqual(checkAccess(access, shop, '/config/'), { allowed: false });
    });
    it('matches namespaces by name or by labels, and allows nothing without a rule', () => {
      assert.equal(
        checkAccess(access, { name: 'x', labels: { team: 'search' } }, '/config/search/').allowed,
        true,
      );
      assert.equal(
        checkAccess(access, { name: 'x', labels: { team: 'shop' } }, '/config/search/').allowed,
        false,
      );
      assert.equal(checkAccess(access, { name: 'search', labels: {} }, '/config/search/').allowed, false);
      assert.equal(checkAccess([], shop, '/').allowed, false);
    });
  });

  describe('defaults', () => {
    const minimal: PrefixSyncSpec = { sourceRef: { name: 'local' }, prefix: '/a/', target: { name: 'a' } };
    it('fills every PrefixSync default, Retain and no rollout included', () => {
      assert.deepEqual(withPrefixSyncDefaults(minimal), {
        sourceRef: { name: 'local' },
        prefix: '/a/',
        sources: [{ prefix: '/a/', sourceRef: { name: 'local' }, include: [], exclude: [], rewrite: [] }],
        target: {
          name: 'a',
          format: 'files',
          versioned: false,
          keepVersions: 3,
          kind: 'ConfigMap',
          metadata: { labels: {}, annotations: {} },
          immutable: false,
          adopt: false,
          values: 'String',
        },
        keys: { separator: '.', onInvalid: 'Fail', case: 'Preserve' },
        rollout: {
          mode: 'none',
          targets: [],
          progressDeadline: '10m',
          onFailure: 'Halt',
          minInterval: '0s',
          strategy: 'Parallel',
        },
        debounce: '1s',
        suspend: false,
        deletionPolicy: 'Retain',
        validation: { minKeys: 1, rules: [], schemas: [] },
      });
    });
    it('keeps the guards and the pin as written, minKeys 0 included, sharing nothing with the input', () => {
      const spec: PrefixSyncSpec = {
        ...minimal,
        keys: { onInvalid: 'Skip' },
        validation: {
          minKeys: 0,
          maxRemoved: '25%',
          rules: [{ rule: "'a' in data", message: 'a is set' }],
          schemas: [{ keys: '*.json', schema: { type: 'object' } }],
        },
        pinRevision: 42,
      };
      const out = withPrefixSyncDefaults(spec);
      assert.deepEqual(out.keys, { separator: '.', onInvalid: 'Skip', case: 'Preserve' });
      assert.deepEqual(out.validation, spec.validation);
      assert.equal(out.pinRevision, 42);
      out.validation.schemas[0]!.schema.type = 'array';
      assert.equal(spec.validation!.schemas![0]!.schema.type, 'object');
      assert.equal('pinRevision' in withPrefixSyncDefaults(minimal), false);
      assert.equal('maxRemoved' in withPrefixSyncDefaults(minimal).validation, false);
    });
    it("defaults the separator by format: '_' for env, '.' for the others; keeps one that is set", () => {
      const env = { ...minimal, target: { name: 'a', format: 'env' as const, key: '.env' } };
      assert.equal(withPrefixSyncDefaults(env).keys.separator, '_');
      assert.equal(withPrefixSyncDefaults({ ...env, keys: { separator: '.' } }).keys.separator, '.');
      assert.equal(
        withPrefixSyncDefaults({ ...env, target: { ...env.target, format: 'properties' } }).keys.separator,
        '.',
      );
    });
    it('keeps what is set, and never touches its input', () => {
      const spec: PrefixSyncSpec = {
        ...minimal,
        rollout: { mode: 'auto', selector: { matchLabels: { a: 'b' } } },
        debounce: '0s',
        deletionPolicy: 'Delete',
      };
      const frozen = structuredClone(spec);
      const out = withPrefixSyncDefaults(spec);
      assert.deepEqual(spec, frozen);
      assert.equal(out.debounce, '0s');
      assert.equal(out.deletionPolicy, 'Delete');
      out.rollout.selector!.matchLabels!.a = 'changed';
      assert.equal(spec.rollout!.selector!.matchLabels!.a, 'b');
    });
    it('defaults the CA key, the access list and the mirror budget of a ClusterEtcdSource', () => {
      const spec: ClusterEtcdSourceSpec = { endpoints: ['a:1'], tls: { caSecretRef: { name: 'ca' } } };
      assert.deepEqual(withClusterEtcdSourceDefaults(spec), {
        endpoints: ['a:1'],
        tls: { caSecretRef: { name: 'ca', key: 'ca.crt' } },
        access: [],
        limits: { maxMirrorBytes: '256Mi' },
      });
    });
  });

  describe('resolve', () => {
    it('gives a valid PrefixSync spec with defaults and the debounce in milliseconds', () => {
      const result = resolvePrefixSyncSpec({
        sourceRef: { name: 's' },
        prefix: '/a/',
        target: { name: 'c' },
        debounce: '1m30s',
      });
      assert.ok(result.ok);
      assert.equal(result.spec.debounceMs, 90_000);
      assert.equal(result.spec.target.format, 'files');
    });
    it('parses maxRemoved: a count, a percentage, or no limit', () => {
      const base = { sourceRef: { name: 's' }, prefix: '/a/', target: { name: 'c' } };
      const resolved = (validation?: object): unknown => {
        const result = resolvePrefixSyncSpec({ ...base, validation });
        assert.ok(result.ok, JSON.stringify(result));
        return result.spec.maxRemoved;
      };
      assert.equal(resolved(), undefined);
      assert.equal(resolved({ minKeys: 3 }), undefined);
      assert.deepEqual(resolved({ maxRemoved: 10 }), { kind: 'count', count: 10 });
      assert.deepEqual(resolved({ maxRemoved: '25%' }), { kind: 'percent', percent: 25 });
    });
    it('gives every problem of an invalid one, with paths', () => {
      const result = resolvePrefixSyncSpec({
        sourceRef: { name: 's' },
        prefix: 'a',
        target: { name: 'c', format: 'yaml' },
        debounce: '1h',
      });
      assert.ok(!result.ok);
      assert.deepEqual(
        result.errors.map((e) => e.path),
        ['spec.prefix', 'spec.target.key', 'spec.debounce'],
      );
      assert.match(
        formatFieldErrors(result.errors),
        /^spec\.prefix: must start and end with '\/' \(did you mean \/a\/\?\); /,
      );
    });
    it('resolves a ClusterEtcdSource the same way', () => {
      assert.ok(resolveClusterEtcdSourceSpec({ endpoints: ['a:1'] }).ok);
      const bad = resolveClusterEtcdSourceSpec({ endpoints: ['a:99999'] });
      assert.ok(!bad.ok);
      assert.deepEqual(bad.errors, [{ path: 'spec.endpoints[0]', message: 'port 99999 is not in 1-65535' }]);
    });
  });

  describe('parseMaxRemoved', () => {
    const table: [unknown, unknown][] = [
      [0, { kind: 'count', count: 0 }],
      [10, { kind: 'count', count: 10 }],
      [2147483647, { kind: 'count', count: 2147483647 }],
      ['0%', { kind: 'percent', percent: 0 }],
      ['25%', { kind: 'percent', percent: 25 }],
      ['007%', { kind: 'percent', percent: 7 }],
      ['100%', { kind: 'percent', percent: 100 }],
      [-1, undefined],
      [1.5, undefined],
      [2147483648, undefined],
      ['101%', undefined],
      ['25', undefined],
      ['%', undefined],
      ['2.5%', undefined],
      [' 5%', undefined],
      [true, undefined],
      [null, undefined],
    ];
    for (const [input, expected] of table) {
      it(`reads ${JSON.stringify(input)} as ${JSON.stringify(expected)}`, () =>
        assert.deepEqual(parseMaxRemoved(input), expected));
    }
  });

  describe('validation of the guards', () => {
    const base = { sourceRef: { name: 's' }, prefix: '/a/', target: { name: 'c' } };
    const problems = (extra: object): string =>
      formatFieldErrors(validatePrefixSyncSpec({ ...base, ...extra }));
    it('says what maxRemoved may be', () => {
      assert.equal(
        problems({ validation: { maxRemoved: '120%' } }),
        'spec.validation.maxRemoved: must be a count of keys (e.g. 10) or a percentage from "0%" to "100%" (e.g. "25%")',
      );
      assert.equal(
        problems({ validation: { maxRemoved: -3 } }),
        'spec.validation.maxRemoved: must be at least 0',
      );
    });
    it('checks every rule and schema entry, naming it by index', () => {
      assert.equal(
        problems({
          validation: {
            minKeys: -1,
            rules: [{ rule: 'true', message: 'ok' }, { rule: 7, reason: 'Invalid' }, 'x'],
            schemas: [{ keys: 'a/*', schema: [] }],
          },
        }),
        [
          'spec.validation.minKeys: must be at least 0',
          'spec.validation.rules[1].rule: must be a string',
          'spec.validation.rules[1].message: is required',
          'spec.validation.rules[1].reason: unknown field (a rule has only rule and message)',
          'spec.validation.rules[2]: must be an object',
          "spec.validation.schemas[0].keys: must be a glob over ConfigMap keys: letters, digits, '-', '_', '.', and the wildcards '*' (any run of characters) and '?' (one character)",
          'spec.validation.schemas[0].schema: must be an object (a JSON Schema)',
        ].join('; '),
      );
    });
    it('does not compile CEL rules or JSON Schemas (the sync layer does)', () => {
      assert.equal(
        problems({
          validation: {
            rules: [{ rule: 'this is not CEL (', message: 'm' }],
            schemas: [{ keys: '*', schema: { type: 'no-such-type' } }],
          },
        }),
        '',
      );
    });
    it('bounds pinRevision to what a JSON number holds exactly', () => {
      assert.equal(problems({ pinRevision: Number.MAX_SAFE_INTEGER }), '');
      assert.equal(problems({ pinRevision: 2 ** 53 }), 'spec.pinRevision: must be at most 9007199254740991');
      assert.equal(problems({ pinRevision: 0 }), 'spec.pinRevision: must be at least 1');
      assert.equal(problems({ pinRevision: '12' }), 'spec.pinRevision: must be an integer');
    });
    it('checks keys.onInvalid', () => {
      assert.equal(
        problems({ keys: { onInvalid: 'skip' } }),
        'spec.keys.onInvalid: must be one of Fail, Skip',
      );
    });
  });

  describe('validators on input no schema has checked', () => {
    const garbage: unknown[] = [
      undefined,
      null,
      42,
      'spec',
      [],
      {},
      { sourceRef: 'x', prefix: 7, target: [], keys: null, rollout: { targets: [null, 3, 'x'] } },
      {
        endpoints: 'a:1',
        tls: 'yes',
        auth: { secretRef: 5 },
        access: [{ namespaces: [1], prefixes: [null] }],
      },
      { rollout: { mode: 'auto', selector: { matchLabels: { a: 1 }, matchExpressions: [{}] } } },
      {
        validation: { minKeys: null, maxRemoved: {}, rules: [null, []], schemas: [{ keys: null }] },
        pinRevision: NaN,
      },
      { validation: 'strict', keys: { onInvalid: 1 } },
    ];
    it('report problems instead of throwing', () => {
      for (const value of garbage) {
        const asPrefixSync = validatePrefixSyncSpec(value);
        const asSource = validateClusterEtcdSourceSpec(value);
        assert.ok(asPrefixSync.length > 0, `PrefixSync accepted ${JSON.stringify(value)}`);
        assert.ok(asSource.length > 0, `ClusterEtcdSource accepted ${JSON.stringify(value)}`);
      }
    });
  });
});
