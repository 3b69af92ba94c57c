// CertificateWatcher on a real directory: loads the pair at start (or refuses), serves a new pair when
// the files change (a directory watch, or a poll on an injected clock), keeps the last good pair when the
// new one is broken, and stops for good on close().
import { strict as assert } from 'node:assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../../../src/base/index.js';
import type { Logger } from '../../../src/observability/index.js';
import {
  CertificateLoadError,
  CertificateWatcher,
  selfSignedCertificate,
  type TlsMaterial,
} from '../../../src/operator/index.js';
import { waitFor } from '../../support/wait.js';

async function writePair(dir: string, m: TlsMaterial): Promise<void> {
  await writeFile(join(dir, 'tls.crt'), m.cert);
  await writeFile(join(dir, 'tls.key'), m.key);
}

describe('CertificateWatcher', () => {
  let dir: string;
  let watcher: CertificateWatcher | undefined;
  const first = selfSignedCertificate({ hosts: ['first'] });
  const second = selfSignedCertificate({ hosts: ['second'] });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cert-watcher-'));
  });
  afterEach(async () => {
    await watcher?.close();
    watcher = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses to start without the files, or with a key that is not the certificate’s', async () => {
    await assert.rejects(
      CertificateWatcher.start({ dir }),
      (e: unknown) => e instanceof CertificateLoadError && /tls\.crt/.test(e.message),
    );
    await writeFile(join(dir, 'tls.crt'), first.cert);
    await writeFile(join(dir, 'tls.key'), second.key);
    await assert.rejects(
      CertificateWatcher.start({ dir }),
      (e: unknown) => e instanceof CertificateLoadError && /not a certificate and its key/.test(e.message),
    );
    // An empty key file (what a reader sees between a write's truncation and its data) is no key.
    await writeFile(join(dir, 'tls.crt'), first.cert);
    await writeFile(join(dir, 'tls.key'), '');
    await assert.rejects(
      CertificateWatcher.start({ dir }),
      (e: unknown) => e instanceof CertificateLoadError && /not a certificate and its key/.test(e.message),
    );
  });

  it('never serves a pair whose key file is caught empty in the middle of its write', async () => {
    await writePair(dir, first);
    watcher = await CertificateWatcher.start({ dir, pollIntervalMs: 3_600_000 });
    const heard: string[] = [];
    watcher.onChange((m) => heard.push(m.key));
    await writeFile(join(dir, 'tls.crt'), second.cert);
    await writeFile(join(dir, 'tls.key'), '');
    await watcher.reload();
    assert.equal(watcher.current().key, first.key);
    await writeFile(join(dir, 'tls.key'), second.key);
    await waitFor('the new pair', () => watcher?.current().key === second.key);
    assert.deepEqual(heard, [second.key]);
  });

  it('serves a changed pair as soon as the directory watch sees it, and tells its listeners', async () => {
    await writePair(dir, first);
    watcher = await CertificateWatcher.start({ dir, pollIntervalMs: 3_600_000 });
    assert.equal(watcher.current().cert, first.cert);
    const heard: string[] = [];
    watcher.onChange((m) => heard.push(m.cert));
    await writePair(dir, second);
    await waitFor('the new certificate', () => watcher?.current().cert === second.cert);
    assert.deepEqual(heard, [second.cert]);
  });

  it('reads the files again every poll interval (a watch can miss a change)', async () => {
    await writePair(dir, first);
    const clock = new FakeClock();
    watcher = await CertificateWatcher.start({ dir, clock, pollIntervalMs: 10_000 });
    assert.equal(clock.pendingTimers, 1);
    await writePair(dir, second);
    clock.advance(10_000);
    await waitFor('the polled certificate', () => watcher?.current().cert === second.cert);
    await waitFor('the next poll to be scheduled', () => clock.pendingTimers === 1);
  });

  it('keeps serving the last good pair when the new one is broken, and logs why', async () => {
    await writePair(dir, first);
    const warnings: string[] = [];
    const logger: Logger = {
      error: () => undefined,
      warn: (message) => warnings.push(message),
      info: () => undefined,
      debug: () => undefined,
      child: () => logger,
    };
    watcher = await CertificateWatcher.start({ dir, pollIntervalMs: 3_600_000, logger });
    await writeFile(join(dir, 'tls.key'), second.key); // half a rotation: the key no longer matches
    await watcher.reload();
    assert.equal(watcher.current().cert, first.cert);
    assert.equal(watcher.current().key, first.key);
    // (Once or twice: the directory watch may have read the half-rotated pair too.)
    assert.ok(warnings.length >= 1);
    assert.deepEqual(
      new Set(warnings),
      new Set(['metrics certificate not reloaded, serving the previous one']),
    );
    await writeFile(join(dir, 'tls.crt'), second.cert); // the rest of it
    await watcher.reload();
    assert.equal(watcher.current().key, second.key);
  });

  it('stops for good on close(): no timer left, no reload after it', async () => {
    await writePair(dir, first);
    const clock = new FakeClock();
    watcher = await CertificateWatcher.start({ dir, clock });
    await watcher.close();
    await watcher.close();
    assert.equal(clock.pendingTimers, 0);
    await writePair(dir, second);
    await watcher.reload();
    assert.equal(watcher.current().cert, first.cert);
  });
});
