import { strict as assert } from 'node:assert';
import { ApiException } from '@kubernetes/client-node';

export { waitFor } from '../../support/wait.js';

/** The Status a failed client-node call carried. */
export interface StatusBody {
  code: number;
  reason: string;
  message: string;
  details?: {
    name?: string;
    kind?: string;
    group?: string;
    causes?: Array<{ field?: string; reason?: string; message?: string }>;
  };
}

/** Runs `call`, asserts it fails with HTTP `code`, and returns the Status body. */
export async function expectStatus(code: number, call: () => Promise<unknown>): Promise<StatusBody> {
  try {
    await call();
  } catch (e) {
    if (!(e instanceof ApiException)) throw e;
    assert.equal(e.code, code, `expected HTTP ${code}, got ${e.code}: ${String(e.body)}`);
    const body: unknown = typeof e.body === 'string' ? JSON.parse(e.body) : e.body;
    return body as StatusBody;
  }
  return assert.fail(`expected HTTP ${code}, but the call succeeded`);
}

/** A plain HTTP request to the simulator, as a client other than client-node would send it. */
export async function http(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: unknown } = {},
): Promise<{ status: number; contentType: string; json: Record<string, unknown>; headers: Headers }> {
  const res = await fetch(url, {
    method: init.method ?? 'GET',
    headers: {
      Accept: 'application/json',
      ...(init.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
      ...init.headers,
    },
    ...(init.body !== undefined
      ? { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) }
      : {}),
  });
  const text = await res.text();
  return {
    status: res.status,
    contentType: res.headers.get('content-type') ?? '',
    json: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
    headers: res.headers,
  };
}
