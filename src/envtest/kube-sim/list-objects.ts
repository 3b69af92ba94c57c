import { isObject, type JsonObject } from './json.js';
import { nameOf, namespaceOf } from './object-meta.js';
import { EXPIRED, type ObjectStore } from './object-store.js';
import { present } from './present.js';
import type { ResourceRequest } from './resource-api.js';
import { storageKey } from './resource-type.js';
import type { Predicate } from './selectors.js';
import { ApiError, badRequest, gone, invalid } from './status-error.js';

/** A page of a list: items at the request's version, the version, and paging state. */
export interface ListResult {
  items: JsonObject[];
  rv: bigint;
  continueToken?: string;
  /** Set when a limit cut the list and no selector was used (as upstream). */
  remaining?: number;
}

function parseRv(raw: string, what: string): bigint {
  if (!/^\d+$/.test(raw))
    throw badRequest(`${what}: Invalid value: "${raw}": must be a non-negative integer`);
  return BigInt(raw);
}

/**
 * A list: at the latest version unless `resourceVersionMatch=Exact` or a continue token pins an
 * older one (410 once it has left the history); `limit` pages (ignored with resourceVersion=0, which
 * is served whole from the watch cache upstream).
 */
export async function listObjects(
  store: ObjectStore,
  req: ResourceRequest,
  pred: Predicate,
  signal: AbortSignal,
): Promise<ListResult> {
  const rvParam = req.query.get('resourceVersion') ?? '';
  const match = req.query.get('resourceVersionMatch') ?? '';
  const limitParam = req.query.get('limit');
  const continueParam = req.query.get('continue') ?? '';
  const resource = storageKey(req.type);
  const namespace = req.namespace === '' ? undefined : req.namespace;
  if (match !== '' && rvParam === '') {
    throw invalid('ListOptions', 'meta.k8s.io', '', [
      {
        field: 'resourceVersionMatch',
        reason: 'FieldValueForbidden',
        message: 'Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided',
      },
    ]);
  }
  if (match !== '' && match !== 'Exact' && match !== 'NotOlderThan') {
    throw invalid('ListOptions', 'meta.k8s.io', '', [
      {
        field: 'resourceVersionMatch',
        reason: 'FieldValueNotSupported',
        message: `Unsupported value: "${match}": supported values: "Exact", "NotOlderThan"`,
      },
    ]);
  }
  let atRv: bigint;
  let startAfter = '';
  let items: JsonObject[];
  if (continueParam !== '') {
    const token = decodeContinue(continueParam);
    atRv = token.rv;
    startAfter = token.start;
    const state = store.stateAt(resource, atRv, namespace);
    if (state === EXPIRED) {
      throw gone(
        'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
      );
    }
    items = state;
  } else if (match === 'Exact') {
    atRv = parseRv(rvParam, 'resourceVersion');
    const state = store.stateAt(resource, atRv, namespace);
    if (state === EXPIRED) {
      if (atRv > store.currentRv) await waitForRv(store, atRv, signal);
      else throw gone(`The resourceVersion for the provided list is too old.`);
      const later = store.stateAt(resource, atRv, namespace);
      items = later === EXPIRED ? [] : later;
    } else items = state;
  } else {
    if (rvParam !== '' && rvParam !== '0') {
      const wanted = parseRv(rvParam, 'resourceVersion');
      if (wanted > store.currentRv) await waitForRv(store, wanted, signal);
    }
    atRv = store.currentRv;
    items = store.list(resource, namespace);
  }
  const keyOf = (o: JsonObject): string => `${namespaceOf(o)}/${nameOf(o)}`;
  let matching = items.filter(pred).filter((o) => startAfter === '' || keyOf(o) > startAfter);
  const limit = limitParam === null ? 0 : Number(limitParam);
  let continueToken: string | undefined;
  let remaining: number | undefined;
  if (limit > 0 && rvParam !== '0' && matching.length > limit) {
    const rest = matching.length - limit;
    matching = matching.slice(0, limit);
    const last = matching[matching.length - 1];
    continueToken = encodeContinue(atRv, last ? keyOf(last) : '');
    const selective =
      (req.query.get('labelSelector') ?? '') !== '' || (req.query.get('fieldSelector') ?? '') !== '';
    if (!selective) remaining = rest;
  }
  return {
    items: matching.map((o) => present(req.type, o)),
    rv: atRv,
    ...(continueToken ? { continueToken } : {}),
    ...(remaining !== undefined ? { remaining } : {}),
  };
}

/** Waits up to 3 s (the apiserver's freshness wait) for the store to reach `rv`; else 504 as upstream. */
async function waitForRv(store: ObjectStore, rv: bigint, signal: AbortSignal): Promise<void> {
  if (store.currentRv >= rv) return;
  await new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      unsubscribe();
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, 3000);
    const unsubscribe = store.subscribe((c) => {
      if (c.rv >= rv) done();
    });
    // The simulator closing ends the wait at once (close() leaves no timer behind).
    signal.addEventListener('abort', done);
    if (signal.aborted) done();
  });
  if (store.currentRv < rv) {
    throw new ApiError(
      504,
      'Timeout',
      `Timeout: Too large resource version: ${rv}, current: ${store.currentRv}`,
      {
        causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
        retryAfterSeconds: 1,
      },
    );
  }
}

function encodeContinue(rv: bigint, start: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: Number(rv), start })).toString('base64url');
}

function decodeContinue(token: string): { rv: bigint; start: string } {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (isObject(parsed) && typeof parsed['rv'] === 'number' && typeof parsed['start'] === 'string') {
      return { rv: BigInt(parsed['rv']), start: parsed['start'] };
    }
  } catch {
    // fall through to the 400 below
  }
  throw badRequest('continue key is not valid: invalid continue token');
}
