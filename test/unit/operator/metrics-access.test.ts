import { strict as assert } from 'node:assert';
import { FakeClock } from '../../../src/base/index.js';
import {
  ForbiddenError,
  ServerError,
  TransportError,
  type AccessReviewResult,
  type AccessReviewer,
  type NonResourceAccess,
  type ReviewedUser,
  type TokenReviewResult,
} from '../../../src/kube/index.js';
import {
  DEFAULT_ALLOWED_TTL_MS,
  DEFAULT_AUTHENTICATED_TTL_MS,
  DEFAULT_DENIED_TTL_MS,
  DEFAULT_UNAUTHENTICATED_TTL_MS,
  ExpiringCache,
  MetricsAccessFilter,
  bearerToken,
  unavailableAnswer,
  type AccessVerdict,
  type MetricsAccessOptions,
} from '../../../src/operator/index.js';

/** An AccessReviewer answering from tables, counting calls, able to fail or hold its answers. */
class FakeReviewer implements AccessReviewer {
  /** token → user name. */
  readonly users = new Map<string, string>([
    ['good', 'prometheus'],
    ['other', 'stranger'],
  ]);
  /** User names allowed `get` on /metrics. */
  readonly allowed = new Set<string>(['prometheus']);
  tokenReviews = 0;
  accessReviews = 0;
  /** Every call fails with this while set. */
  failure: Error | undefined;
  /** While set, calls wait until released (or aborted). */
  private held: Array<() => void> | undefined;
  /** Signals of the calls made, to see aborts. */
  readonly signals: AbortSignal[] = [];

  hold(): void {
    this.held = [];
  }
  release(): void {
    const waiting = this.held ?? [];
    this.held = undefined;
    for (const go of waiting) go();
  }

  private async gate(signal: AbortSignal | undefined): Promise<void> {
    if (signal) this.signals.push(signal);
    if (this.held) {
      const held = this.held;
      await new Promise<void>((resolve, reject) => {
        held.push(resolve);
        signal?.addEventListener('abort', () => reject(new TransportError('aborted', 0, undefined)), {
          once: true,
        });
      });
    }
    if (this.failure !== undefined) throw this.failure;
  }

  async reviewToken(token: string, options: { signal?: AbortSignal } = {}): Promise<TokenReviewResult> {
    this.tokenReviews++;
    await this.gate(options.signal);
    const username = this.users.get(token);
    return username
      ? { authenticated: true, user: { username, uid: `uid-${username}`, groups: ['g'], extra: {} } }
      : { authenticated: false, reason: 'invalid bearer token' };
  }

  async reviewAccess(
    user: ReviewedUser,
    access: NonResourceAccess,
    options: { signal?: AbortSignal } = {},
  ): Promise<AccessReviewResult> {
    this.accessReviews++;
    await this.gate(options.signal);
    const ok = this.allowed.has(user.username) && access.path === '/metrics' && access.verb === 'get';
    return { allowed: ok, reason: ok ? 'allowed' : '' };
  }
}

function request(token: string | undefined, method = 'GET', url = '/metrics') {
  return { headers: token === undefined ? {} : { authorization: `Bearer ${token}` }, method, url };
}

function statusOf(verdict: AccessVerdict): number {
  return verdict.allowed ? 200 : verdict.answer.status;
}

describe('bearerToken', () => {
  const cases: Array<[string | undefined, string | undefined]> = [
    [undefined, undefined],
    ['', undefined],
    ['Bearer abc.def-ghi', 'abc.def-ghi'],
    ['bearer abc', 'abc'],
    ['Bearer   abc  ', 'abc'],
    ['Basic dXNlcjpwYXNz', undefined],
    ['Bearer', undefined],
    ['Bearer a b', undefined],
    ['Bearerabc', undefined],
  ];
  for (const [header, token] of cases) {
    it(`reads ${JSON.stringify(header)} as ${JSON.stringify(token)}`, () => {
      assert.equal(bearerToken(header), token);
    });
  }
});

describe('unavailableAnswer', () => {
  it('answers 503 with Retry-After for what may heal, 500 otherwise, and never says why', () => {
    assert.deepEqual(unavailableAnswer('authentication', true), {
      status: 503,
      headers: { 'Retry-After': '5' },
      body: 'Authentication unavailable, retry later\n',
    });
    assert.deepEqual(unavailableAnswer('authorization', false), {
      status: 500,
      body: 'Authorization failed\n',
    });
  });
});

describe('ExpiringCache', () => {
  it('returns a value until its own TTL has passed', () => {
    const clock = new FakeClock();
    const cache = new ExpiringCache<string>({ maxEntries: 10, clock });
    cache.set('short', 'a', 1_000);
    cache.set('long', 'b', 5_000);
    clock.advance(999);
    assert.equal(cache.get('short'), 'a');
    clock.advance(1);
    assert.equal(cache.get('short'), undefined);
    assert.equal(cache.get('long'), 'b');
    clock.advance(4_000);
    assert.equal(cache.get('long'), undefined);
    assert.equal(cache.size, 0, 'expired entries are dropped when met');
  });

  it('holds at most maxEntries, evicting the least recently used', () => {
    const clock = new FakeClock();
    const cache = new ExpiringCache<number>({ maxEntries: 3, clock });
    for (const k of ['a', 'b', 'c']) cache.set(k, 1, 60_000);
    assert.equal(cache.get('a'), 1); // a is now the most recent
    cache.set('d', 1, 60_000);
    assert.equal(cache.size, 3);
    assert.equal(cache.get('b'), undefined, 'b was the least recently used');
    assert.deepEqual(
      ['a', 'c', 'd'].map((k) => cache.get(k)),
      [1, 1, 1],
    );
    for (let i = 0; i < 1_000; i++) cache.set(`k${i}`, i, 60_000);
    assert.equal(cache.size, 3);
  });

  it('stores nothing for a TTL of 0, and refuses a size below 1', () => {
    const cache = new ExpiringCache<number>({ maxEntries: 1, clock: new FakeClock() });
    cache.set('x', 1, 0);
    assert.equal(cache.size, 0);
    assert.throws(() => new ExpiringCache({ maxEntries: 0, clock: new FakeClock() }), /maxEntries/);
  });
});

describe('MetricsAccessFilter', () => {
  let reviewer: FakeReviewer;
  let clock: FakeClock;
  let filter: MetricsAccessFilter;
  const start = (options: Partial<MetricsAccessOptions> = {}): MetricsAccessFilter => {
    filter = new MetricsAccessFilter({ reviewer, clock, ...options });
    return filter;
  };

  beforeEach(() => {
    reviewer = new FakeReviewer();
    clock = new FakeClock();
  });
  afterEach(() => filter?.close());

  describe('decides', () => {
    it('401 without a bearer token, asking nothing', async () => {
      const verdict = await start().check(request(undefined));
      assert.equal(statusOf(verdict), 401);
      assert.ok(!verdict.allowed && verdict.answer.headers?.['WWW-Authenticate'] === 'Bearer');
      assert.equal(reviewer.tokenReviews, 0);
    });

    it('401 for a token the TokenReview rejects, without asking about access', async () => {
      assert.equal(statusOf(await start().check(request('made-up'))), 401);
      assert.equal(reviewer.accessReviews, 0);
    });

    it('403 for an authenticated user RBAC does not allow, naming the user', async () => {
      const verdict = await start().check(request('other'));
      assert.equal(statusOf(verdict), 403);
      assert.ok(!verdict.allowed && /stranger/.test(verdict.answer.body));
    });

    it('allows a user allowed get on the path; HEAD counts as get, another path is asked as itself', async () => {
      start();
      assert.deepEqual(await filter.check(request('good')), { allowed: true, user: 'prometheus' });
      assert.equal(statusOf(await filter.check(request('good', 'HEAD'))), 200);
      assert.equal(statusOf(await filter.check(request('good', 'GET', '/debug'))), 403);
    });

    it('500 when the operator may not create reviews (no RBAC), 503 when the API is down', async () => {
      start();
      reviewer.failure = new ForbiddenError('create tokenreview: 403', 403, 'Forbidden');
      const forbidden = await filter.check(request('good'));
      assert.deepEqual(forbidden, { allowed: false, answer: unavailableAnswer('authentication', false) });
      reviewer.failure = new ServerError('create tokenreview: 500 secret detail', 500, 'InternalError');
      const down = await filter.check(request('good'));
      assert.deepEqual(down, { allowed: false, answer: unavailableAnswer('authentication', true) });
      assert.ok(!down.allowed && !/secret detail/.test(down.answer.body), 'no detail leaks to the caller');
    });

    it('names the stage that failed: a SubjectAccessReview failure is an authorization failure', async () => {
      start({ authenticatedTtlMs: 10 * DEFAULT_ALLOWED_TTL_MS });
      await filter.check(request('good'));
      clock.advance(DEFAULT_ALLOWED_TTL_MS); // the access verdict expires, the token does not
      reviewer.failure = new TransportError('connect ECONNREFUSED', 0, undefined);
      assert.deepEqual(await filter.check(request('good')), {
        allowed: false,
        answer: unavailableAnswer('authorization', true),
      });
    });
  });

  describe('caches', () => {
    it('reuses an accepted token and an allow until their TTLs pass', async () => {
      start();
      for (let i = 0; i < 5; i++) assert.equal(statusOf(await filter.check(request('good'))), 200);
      assert.deepEqual([reviewer.tokenReviews, reviewer.accessReviews], [1, 1]);
      clock.advance(DEFAULT_AUTHENTICATED_TTL_MS - 1);
      await filter.check(request('good'));
      assert.deepEqual([reviewer.tokenReviews, reviewer.accessReviews], [1, 1]);
      clock.advance(1);
      await filter.check(request('good'));
      assert.deepEqual([reviewer.tokenReviews, reviewer.accessReviews], [2, 2]);
    });

    it('reuses a rejection for its shorter TTL, so a fixed token or binding counts soon', async () => {
      start();
      assert.equal(statusOf(await filter.check(request('late'))), 401);
      reviewer.users.set('late', 'newcomer');
      assert.equal(statusOf(await filter.check(request('late'))), 401, 'the rejection is cached');
      clock.advance(DEFAULT_UNAUTHENTICATED_TTL_MS);
      assert.equal(statusOf(await filter.check(request('late'))), 403);
      reviewer.allowed.add('newcomer');
      assert.equal(statusOf(await filter.check(request('late'))), 403, 'the denial is cached');
      clock.advance(DEFAULT_DENIED_TTL_MS);
      assert.equal(statusOf(await filter.check(request('late'))), 200);
      assert.deepEqual([reviewer.tokenReviews, reviewer.accessReviews], [2, 2]);
    });

    it('sees a revoked binding within the allow TTL', async () => {
      start();
      assert.equal(statusOf(await filter.check(request('good'))), 200);
      reviewer.allowed.delete('prometheus');
      assert.equal(statusOf(await filter.check(request('good'))), 200);
      clock.advance(DEFAULT_ALLOWED_TTL_MS);
      assert.equal(statusOf(await filter.check(request('good'))), 403);
    });

    it('never caches a failure: the next request asks again', async () => {
      start();
      reviewer.failure = new ServerError('boom', 500, undefined);
      assert.equal(statusOf(await filter.check(request('good'))), 503);
      reviewer.failure = undefined;
      assert.equal(statusOf(await filter.check(request('good'))), 200);
      assert.equal(reviewer.tokenReviews, 2);
    });

    it('keeps at most maxCacheEntries tokens: a flood of made-up tokens costs bounded memory', async () => {
      start({ maxCacheEntries: 8 });
      for (let i = 0; i < 100; i++) await filter.check(request(`junk-${i}`));
      assert.equal(reviewer.tokenReviews, 100);
      await filter.check(request('junk-99'));
      assert.equal(reviewer.tokenReviews, 100, 'a recent one is still cached');
      await filter.check(request('junk-0'));
      assert.equal(reviewer.tokenReviews, 101, 'an old one was evicted');
    });
  });

  describe('under load', () => {
    it('shares one review among concurrent requests with the same token', async () => {
      start();
      reviewer.hold();
      const verdicts = Promise.all([1, 2, 3, 4].map(() => filter.check(request('good'))));
      await new Promise((r) => setImmediate(r));
      reviewer.release();
      assert.deepEqual((await verdicts).map(statusOf), [200, 200, 200, 200]);
      assert.deepEqual([reviewer.tokenReviews, reviewer.accessReviews], [1, 1]);
    });

    it('answers 503 at once past maxPendingReviews instead of queueing more reviews', async () => {
      start({ maxPendingReviews: 2 });
      reviewer.hold();
      const first = filter.check(request('a'));
      const second = filter.check(request('b'));
      await new Promise((r) => setImmediate(r));
      assert.equal(statusOf(await filter.check(request('c'))), 503);
      assert.equal(reviewer.tokenReviews, 2);
      reviewer.release();
      assert.deepEqual([statusOf(await first), statusOf(await second)], [401, 401]);
    });

    it('gives up on a review after reviewTimeoutMs with 503, aborting the request', async () => {
      start({ reviewTimeoutMs: 5_000 });
      reviewer.hold();
      const verdict = filter.check(request('good'));
      await new Promise((r) => setImmediate(r));
      clock.advance(5_000);
      assert.equal(statusOf(await verdict), 503);
      assert.equal(reviewer.signals[0]?.aborted, true);
    });

    it('close() aborts pending reviews (503) and refuses new ones', async () => {
      start();
      reviewer.hold();
      const verdict = filter.check(request('good'));
      await new Promise((r) => setImmediate(r));
      filter.close();
      assert.equal(statusOf(await verdict), 503);
      assert.equal(statusOf(await filter.check(request('other'))), 503);
    });
  });

  it('refuses bad options at construction', () => {
    assert.throws(() => new MetricsAccessFilter({} as MetricsAccessOptions), /reviewer/);
    assert.throws(() => new MetricsAccessFilter({ reviewer, deniedTtlMs: -1 }), /denied TTL/);
    assert.throws(() => new MetricsAccessFilter({ reviewer, maxPendingReviews: 0 }), /maxPendingReviews/);
  });
});
