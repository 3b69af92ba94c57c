import { strict as assert } from 'node:assert';
import {
  AuthenticationV1Api,
  AuthorizationV1Api,
  type KubeConfig,
  type V1SubjectAccessReview,
} from '@kubernetes/client-node';
import {
  DEFAULT_SIM_ACCESS,
  KUBECONFIG_TOKEN,
  KubeSim,
  type SimAccess,
} from '../../../src/envtest/kube-sim/index.js';
import { expectStatus, http } from './helpers.js';

/** A table with a scraper allowed /metrics, a user allowed nothing, and the default admin. */
const TABLE: SimAccess = {
  tokens: {
    ...DEFAULT_SIM_ACCESS.tokens,
    'scraper-token': { username: 'system:serviceaccount:monitoring:prometheus', uid: 'u-1', groups: ['sa'] },
    'nobody-token': { username: 'nobody', extra: { scopes: ['a', 'b'] } },
  },
  rules: [
    ...DEFAULT_SIM_ACCESS.rules,
    { users: ['system:serviceaccount:monitoring:prometheus'], verbs: ['get'], nonResourceURLs: ['/metrics'] },
    { groups: ['readers'], verbs: ['get', 'list'], apiGroups: [''], resources: ['configmaps'] },
    { groups: ['debuggers'], verbs: ['get'], nonResourceURLs: ['/debug/*'] },
  ],
};

function metricsReview(user: string, groups: string[] = []): V1SubjectAccessReview {
  return { spec: { user, groups, nonResourceAttributes: { path: '/metrics', verb: 'get' } } };
}

describe('KubeSim access reviews', () => {
  let sim: KubeSim;
  let kc: KubeConfig;
  let authn: AuthenticationV1Api;
  let authz: AuthorizationV1Api;

  beforeEach(async () => {
    sim = await KubeSim.start({ access: TABLE });
    kc = sim.kubeConfig();
    authn = kc.makeApiClient(AuthenticationV1Api);
    authz = kc.makeApiClient(AuthorizationV1Api);
  });
  afterEach(async () => {
    await sim.close();
  });

  describe('TokenReview', () => {
    it('authenticates a token of the table, adding system:authenticated, and echoes the spec', async () => {
      const review = await authn.createTokenReview({ body: { spec: { token: 'scraper-token' } } });
      assert.equal(review.kind, 'TokenReview');
      assert.equal(review.apiVersion, 'authentication.k8s.io/v1');
      assert.equal(review.spec.token, 'scraper-token');
      assert.equal(review.status?.authenticated, true);
      assert.deepEqual(
        { ...review.status?.user },
        {
          username: 'system:serviceaccount:monitoring:prometheus',
          uid: 'u-1',
          groups: ['sa', 'system:authenticated'],
        },
      );
      const extra = await authn.createTokenReview({ body: { spec: { token: 'nobody-token' } } });
      assert.deepEqual(extra.status?.user?.extra, { scopes: ['a', 'b'] });
    });

    it('does not authenticate an unknown token, and says so in status.error', async () => {
      const review = await authn.createTokenReview({ body: { spec: { token: 'made-up' } } });
      assert.notEqual(review.status?.authenticated, true);
      assert.equal(review.status?.error, 'invalid bearer token');
      assert.deepEqual({ ...review.status?.user }, {});
    });

    it('authenticates the kubeconfig token as an administrator by default', async () => {
      const plain = await KubeSim.start();
      try {
        const api = plain.kubeConfig().makeApiClient(AuthenticationV1Api);
        const review = await api.createTokenReview({ body: { spec: { token: KUBECONFIG_TOKEN } } });
        assert.equal(review.status?.authenticated, true);
        assert.ok(review.status?.user?.groups?.includes('system:masters'));
        const other = await api.createTokenReview({ body: { spec: { token: 'scraper-token' } } });
        assert.notEqual(other.status?.authenticated, true);
      } finally {
        await plain.close();
      }
    });

    it('refuses a review without a token (400), as kube-apiserver does', async () => {
      const st = await expectStatus(400, () => authn.createTokenReview({ body: { spec: {} } }));
      assert.match(st.message, /token is required/);
    });
  });

  describe('SubjectAccessReview', () => {
    it('allows a non-resource URL to the user a rule names, and nothing else to them', async () => {
      const allowed = await authz.createSubjectAccessReview({
        body: metricsReview('system:serviceaccount:monitoring:prometheus'),
      });
      assert.equal(allowed.status?.allowed, true);
      assert.match(allowed.status?.reason ?? '', /rules\[1\]/);
      const other = await authz.createSubjectAccessReview({
        body: {
          spec: {
            user: 'system:serviceaccount:monitoring:prometheus',
            nonResourceAttributes: { path: '/healthz', verb: 'get' },
          },
        },
      });
      assert.equal(other.status?.allowed, false);
      assert.notEqual(other.status?.denied, true, 'no rule matching is "no opinion", as RBAC says');
    });

    it('matches groups, verbs, resources and a trailing-* URL as RBAC does', async () => {
      const ask = async (spec: V1SubjectAccessReview['spec']): Promise<boolean> =>
        (await authz.createSubjectAccessReview({ body: { spec } })).status?.allowed === true;
      assert.equal(
        await ask({
          user: 'x',
          groups: ['readers'],
          resourceAttributes: { verb: 'list', resource: 'configmaps' },
        }),
        true,
      );
      assert.equal(
        await ask({
          user: 'x',
          groups: ['readers'],
          resourceAttributes: { verb: 'delete', resource: 'configmaps' },
        }),
        false,
      );
      assert.equal(
        await ask({
          user: 'x',
          groups: ['readers'],
          resourceAttributes: { verb: 'get', resource: 'secrets' },
        }),
        false,
      );
      assert.equal(
        await ask({
          user: 'x',
          groups: ['readers'],
          resourceAttributes: { verb: 'get', group: 'apps', resource: 'configmaps' },
        }),
        false,
      );
      assert.equal(
        await ask({
          user: 'x',
          groups: ['debuggers'],
          nonResourceAttributes: { verb: 'get', path: '/debug/pprof' },
        }),
        true,
      );
      assert.equal(
        await ask({
          user: 'x',
          groups: ['debuggers'],
          nonResourceAttributes: { verb: 'get', path: '/metrics' },
        }),
        false,
      );
      assert.equal(
        await ask({
          user: 'anyone',
          groups: ['system:masters'],
          resourceAttributes: { verb: 'delete', resource: 'secrets' },
        }),
        true,
      );
    });

    it('refuses a review without a subject or without attributes (422 with upstream fields)', async () => {
      const st = await expectStatus(422, () =>
        authz.createSubjectAccessReview({
          body: { spec: { nonResourceAttributes: { path: '/metrics', verb: 'get' } } },
        }),
      );
      assert.deepEqual(
        st.details?.causes?.map((c) => c.field),
        ['spec.user'],
      );
      const none = await expectStatus(422, () =>
        authz.createSubjectAccessReview({ body: { spec: { user: 'u' } } }),
      );
      assert.deepEqual(
        none.details?.causes?.map((c) => c.field),
        ['spec.resourceAttributes'],
      );
    });
  });

  it('answers from the new table after setAccess, and keeps the old one when the new one is malformed', async () => {
    sim.setAccess({
      tokens: { fresh: { username: 'fresh' } },
      rules: [{ users: ['fresh'], verbs: ['get'], nonResourceURLs: ['/metrics'] }],
    });
    assert.equal(
      (await authn.createTokenReview({ body: { spec: { token: 'scraper-token' } } })).status?.authenticated,
      undefined,
    );
    assert.equal(
      (await authn.createTokenReview({ body: { spec: { token: 'fresh' } } })).status?.authenticated,
      true,
    );
    assert.equal(
      (await authz.createSubjectAccessReview({ body: metricsReview('fresh') })).status?.allowed,
      true,
    );
    assert.throws(() => sim.setAccess({ tokens: {}, rules: [{ verbs: ['get'] }] }), /users or groups/);
    assert.equal(
      (await authn.createTokenReview({ body: { spec: { token: 'fresh' } } })).status?.authenticated,
      true,
    );
  });

  it('stores nothing: only POST is served, and discovery lists the reviews as create-only', async () => {
    const base = `${sim.url}/apis/authentication.k8s.io/v1`;
    const get = await http(`${base}/tokenreviews`);
    assert.equal(get.status, 405);
    const named = await http(`${base}/tokenreviews/x`, { method: 'DELETE' });
    assert.equal(named.status, 405);
    const list = await http(base);
    assert.deepEqual(list.json['resources'], [
      {
        name: 'tokenreviews',
        singularName: 'tokenreview',
        namespaced: false,
        kind: 'TokenReview',
        verbs: ['create'],
        storageVersionHash: '',
      },
    ]);
    const authzList = await http(`${sim.url}/apis/authorization.k8s.io/v1`);
    assert.deepEqual(
      (authzList.json['resources'] as Array<{ name: string; verbs: string[] }>).map((r) => [r.name, r.verbs]),
      [['subjectaccessreviews', ['create']]],
    );
  });

  it('takes injected faults like any other resource', async () => {
    sim.faults.failNext({ verb: 'create', resource: 'tokenreviews', count: 1, status: 503 });
    await expectStatus(503, () => authn.createTokenReview({ body: { spec: { token: 'scraper-token' } } }));
    assert.equal(
      (await authn.createTokenReview({ body: { spec: { token: 'scraper-token' } } })).status?.authenticated,
      true,
    );
  });
});
