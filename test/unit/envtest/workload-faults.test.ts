import { strict as assert } from 'node:assert';
import { configMapsOfTemplate, templateHash } from '../../../src/envtest/kube-sim/pod-template.js';
import {
  FAIL_ROLLOUTS_ANNOTATION,
  FAIL_WHEN_ANNOTATION,
  failSwitchErrors,
  parseFailWhen,
  rolloutFails,
} from '../../../src/envtest/kube-sim/workload-faults.js';

type Json = Record<string, unknown>;

function workload(annotations: Record<string, string>, podSpec: Json = {}): Json {
  return { metadata: { name: 'w', annotations }, spec: { template: { spec: podSpec } } };
}

describe('the simulator’s fail switch', () => {
  it('is named sim.etcdconfig.dev/fail-rollouts and sim.etcdconfig.dev/fail-when', () => {
    assert.equal(FAIL_ROLLOUTS_ANNOTATION, 'sim.etcdconfig.dev/fail-rollouts');
    assert.equal(FAIL_WHEN_ANNOTATION, 'sim.etcdconfig.dev/fail-when');
  });

  describe('parseFailWhen', () => {
    const table: Array<[string, ReturnType<typeof parseFailWhen>]> = [
      ['mode=broken', { ok: true, conditions: [{ key: 'mode', value: 'broken' }] }],
      [
        'mode=broken, level = 9 ',
        {
          ok: true,
          conditions: [
            { key: 'mode', value: 'broken' },
            { key: 'level', value: '9' },
          ],
        },
      ],
      ['url=http://x/?a=b', { ok: true, conditions: [{ key: 'url', value: 'http://x/?a=b' }] }],
      ['empty=', { ok: true, conditions: [{ key: 'empty', value: '' }] }],
      ['broken', { ok: false, error: "'broken' is not <key>=<value>" }],
      ['a=1,,b=2', { ok: false, error: "'' is not <key>=<value>" }],
      ['=x', { ok: false, error: "'=x' has an empty key" }],
    ];
    for (const [text, want] of table) {
      it(`'${text}'`, () => assert.deepEqual(parseFailWhen(text), want));
    }
  });

  describe('failSwitchErrors (admission)', () => {
    it('accepts no switch, "true", "false" and well-formed conditions', () => {
      assert.deepEqual(failSwitchErrors(workload({})), []);
      assert.deepEqual(failSwitchErrors(workload({ [FAIL_ROLLOUTS_ANNOTATION]: 'true' })), []);
      assert.deepEqual(failSwitchErrors(workload({ [FAIL_ROLLOUTS_ANNOTATION]: 'false' })), []);
      assert.deepEqual(failSwitchErrors(workload({ [FAIL_WHEN_ANNOTATION]: 'k=v,x=y' })), []);
    });
    it('names the annotation and the problem of a value it cannot read', () => {
      assert.deepEqual(failSwitchErrors(workload({ [FAIL_ROLLOUTS_ANNOTATION]: 'yes' })), [
        {
          field: 'metadata.annotations[sim.etcdconfig.dev/fail-rollouts]',
          reason: 'FieldValueInvalid',
          message: `Invalid value: "yes": must be "true" or "false" (the simulator's fail switch)`,
        },
      ]);
      const [e] = failSwitchErrors(workload({ [FAIL_WHEN_ANNOTATION]: 'k' }));
      assert.equal(e?.field, 'metadata.annotations[sim.etcdconfig.dev/fail-when]');
      assert.match(e?.message ?? '', /'k' is not <key>=<value>/);
    });
  });

  describe('rolloutFails', () => {
    const configMaps: Record<string, Json> = {
      good: { data: { mode: 'ok' } },
      bad: { data: { mode: 'broken' } },
      other: { data: { level: '9' } },
    };
    const read = (name: string): Json | undefined => configMaps[name];
    const uses = (name: string): Array<[string, Json]> => [
      ['a volume', { volumes: [{ name: 'v', configMap: { name } }] }],
      ['a projected volume', { volumes: [{ name: 'v', projected: { sources: [{ configMap: { name } }] } }] }],
      ['envFrom', { containers: [{ name: 'c', envFrom: [{ configMapRef: { name } }] }] }],
      [
        'env valueFrom',
        {
          containers: [
            { name: 'c', env: [{ name: 'E', valueFrom: { configMapKeyRef: { name, key: 'mode' } } }] },
          ],
        },
      ],
      ['an init container', { initContainers: [{ name: 'i', envFrom: [{ configMapRef: { name } }] }] }],
    ];

    it('fails every rollout under fail-rollouts "true", none under "false"', () => {
      assert.equal(rolloutFails(workload({ [FAIL_ROLLOUTS_ANNOTATION]: 'true' }), read), true);
      assert.equal(rolloutFails(workload({ [FAIL_ROLLOUTS_ANNOTATION]: 'false' }), read), false);
      assert.equal(rolloutFails(workload({}), read), false);
    });

    for (const [how] of uses('bad')) {
      it(`fail-when matches a ConfigMap used through ${how}`, () => {
        const spec = uses('bad').find(([h]) => h === how)![1];
        assert.equal(rolloutFails(workload({ [FAIL_WHEN_ANNOTATION]: 'mode=broken' }, spec), read), true);
        const good = uses('good').find(([h]) => h === how)![1];
        assert.equal(rolloutFails(workload({ [FAIL_WHEN_ANNOTATION]: 'mode=broken' }, good), read), false);
      });
    }

    it('fail-when matches any of several conditions, only exact values, only ConfigMaps the template uses', () => {
      const both = {
        volumes: [
          { name: 'a', configMap: { name: 'good' } },
          { name: 'b', configMap: { name: 'other' } },
        ],
      };
      assert.equal(
        rolloutFails(workload({ [FAIL_WHEN_ANNOTATION]: 'mode=broken,level=9' }, both), read),
        true,
      );
      assert.equal(rolloutFails(workload({ [FAIL_WHEN_ANNOTATION]: 'level=99' }, both), read), false);
      assert.equal(rolloutFails(workload({ [FAIL_WHEN_ANNOTATION]: 'mode=broken' }, {}), read), false);
      assert.equal(
        rolloutFails(workload({ [FAIL_WHEN_ANNOTATION]: 'mode=broken' }, uses('missing')[0]![1]), read),
        false,
        'a missing ConfigMap matches nothing',
      );
    });
  });
});

describe('pod templates', () => {
  it('hash equal templates equally, whatever their key order, and different ones differently', () => {
    const a = { metadata: { labels: { app: 'x' }, annotations: { h: '1' } }, spec: { containers: [] } };
    const reordered = {
      spec: { containers: [] },
      metadata: { annotations: { h: '1' }, labels: { app: 'x' } },
    };
    assert.equal(templateHash(a), templateHash(reordered));
    assert.notEqual(
      templateHash(a),
      templateHash({ ...a, metadata: { ...a.metadata, annotations: { h: '2' } } }),
    );
    assert.match(templateHash(a), /^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
  });

  it('list the ConfigMaps they use, sorted and once each', () => {
    assert.deepEqual(
      configMapsOfTemplate({
        spec: {
          volumes: [
            { name: 'a', configMap: { name: 'z' } },
            { name: 'b', secret: { secretName: 's' } },
            { name: 'c', projected: { sources: [{ configMap: { name: 'y' } }, { secret: { name: 's' } }] } },
          ],
          initContainers: [
            { name: 'i', envFrom: [{ configMapRef: { name: 'x' } }, { secretRef: { name: 's' } }] },
          ],
          containers: [
            {
              name: 'c',
              env: [
                { name: 'A', value: 'v' },
                { name: 'B', valueFrom: { configMapKeyRef: { name: 'z', key: 'k' } } },
                { name: 'C', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } },
              ],
            },
          ],
        },
      }),
      ['x', 'y', 'z'],
    );
  });
});
