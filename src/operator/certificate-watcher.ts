// A serving certificate read from files (a mounted kubernetes.io/tls Secret: tls.crt, tls.key) and read
// again when they change, so a certificate rotated by cert-manager is served without a restart — what
// controller-runtime's certwatcher does.
import { createSecureContext } from 'node:tls';
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { realClock, type Clock } from '../base/index.js';
import { silentLogger, type Logger } from '../observability/index.js';
import type { TlsMaterial, TlsSource } from './http-endpoint.js';

/** File names in the certificate directory: those of a kubernetes.io/tls Secret. */
export const CERT_FILE = 'tls.crt';
export const KEY_FILE = 'tls.key';
/** How often the files are read again besides watching the directory (a watch can miss a change). */
export const DEFAULT_CERT_POLL_INTERVAL_MS = 10_000;

/** Options of {@link CertificateWatcher.start}. */
export interface CertificateWatcherOptions {
  /** The directory holding {@link CERT_FILE} and {@link KEY_FILE}. Required. */
  dir: string;
  /** Default {@link DEFAULT_CERT_POLL_INTERVAL_MS}. */
  pollIntervalMs?: number;
  /** Default the wall clock (the poll timer). */
  clock?: Clock;
  /** Default silent. */
  logger?: Logger;
}

/** Thrown by {@link CertificateWatcher.start} when the files cannot be served. */
export class CertificateLoadError extends Error {
  override readonly name = 'CertificateLoadError';
}

/** The watcher's lifecycle: a reload runs only while watching; close() ends it for good. */
type WatcherState = 'watching' | 'closed';

/** Reads the pair and checks that it can be served: a certificate, and the key that belongs to it. */
async function readPair(dir: string): Promise<TlsMaterial & { notAfter: string }> {
  let cert: string;
  let key: string;
  try {
    [cert, key] = await Promise.all([
      readFile(join(dir, CERT_FILE), 'utf8'),
      readFile(join(dir, KEY_FILE), 'utf8'),
    ]);
  } catch (err) {
    throw new CertificateLoadError(
      `cannot read ${CERT_FILE} and ${KEY_FILE} in ${dir}: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
  try {
    const certificate = new X509Certificate(cert);
    // createSecureContext skips an empty key, and a file caught between its truncation and its write
    // is empty: check the key itself, and that it belongs to the certificate.
    if (!certificate.checkPrivateKey(createPrivateKey(key))) {
      throw new Error('the key does not belong to the certificate');
    }
    // Throws on what the two checks above do not cover (e.g. a chain TLS cannot use).
    createSecureContext({ cert, key });
    return { cert, key, notAfter: certificate.validTo };
  } catch (err) {
    throw new CertificateLoadError(
      `${CERT_FILE} and ${KEY_FILE} in ${dir} are not a certificate and its key: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
}

/**
 * The certificate in a directory, kept current: the directory is watched and, as a safety net, read
 * again every poll interval; a new valid pair replaces the served one and listeners hear of it; an
 * invalid or half-written pair is logged and the last good one kept. `close()` stops watching and
 * resolves once a reload in progress has ended.
 */
export class CertificateWatcher implements TlsSource {
  /** 'closed' from the first close() on: no reload, watch or poll after it. */
  private state: WatcherState = 'watching';
  /** The pair served now: always a valid one. */
  private material: TlsMaterial;
  /** Told of each new pair, in registration order, after `material` has changed. */
  private readonly listeners: Array<(material: TlsMaterial) => void> = [];
  /** The directory watch; undefined when the platform would not give one (polling still works). */
  private watcher: FSWatcher | undefined;
  /** Cancels the next poll. */
  private cancelPoll: () => void = () => undefined;
  /** The reload in progress; another change during it asks for one more (`again`). */
  private reloading: Promise<void> | undefined;
  private again = false;

  private constructor(
    /** The directory, poll interval, clock and logger, defaults applied. */
    private readonly options: Required<Pick<CertificateWatcherOptions, 'dir' | 'pollIntervalMs'>> & {
      clock: Clock;
      logger: Logger;
    },
    first: TlsMaterial,
  ) {
    this.material = first;
  }

  /**
   * Reads the pair in `options.dir` and starts watching. Throws {@link CertificateLoadError} when the
   * files are missing or are not a certificate with its key: a misconfigured directory fails at start.
   */
  static async start(options: CertificateWatcherOptions): Promise<CertificateWatcher> {
    if (!options.dir) throw new TypeError('CertificateWatcher: set options.dir');
    const pollIntervalMs = options.pollIntervalMs ?? DEFAULT_CERT_POLL_INTERVAL_MS;
    if (!(pollIntervalMs > 0)) throw new RangeError('CertificateWatcher: pollIntervalMs must be > 0');
    const logger = options.logger ?? silentLogger;
    const first = await readPair(options.dir);
    const watcher = new CertificateWatcher(
      { dir: options.dir, pollIntervalMs, clock: options.clock ?? realClock, logger },
      { cert: first.cert, key: first.key },
    );
    logger.info('metrics certificate loaded', { dir: options.dir, notAfter: first.notAfter });
    watcher.watch();
    return watcher;
  }

  current(): TlsMaterial {
    return this.material;
  }

  onChange(listener: (material: TlsMaterial) => void): void {
    this.listeners.push(listener);
  }

  /** Reads the files again now (also what a change or a poll does); resolves when done. Never throws. */
  reload(): Promise<void> {
    if (this.state === 'closed') return Promise.resolve();
    if (this.reloading) {
      this.again = true;
      return this.reloading;
    }
    this.reloading = (async () => {
      do {
        this.again = false;
        await this.reloadOnce();
      } while (this.again && this.state === 'watching');
      this.reloading = undefined;
    })();
    return this.reloading;
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return this.reloading;
    this.state = 'closed';
    this.watcher?.close();
    this.cancelPoll();
    await this.reloading;
  }

  private watch(): void {
    try {
      // Kubernetes updates a Secret volume by swapping a symlink: watch the directory, not the files.
      this.watcher = watch(this.options.dir, () => void this.reload());
      this.watcher.on('error', (err) => {
        this.options.logger.debug('metrics certificate directory watch failed, polling only', {
          error: err.message,
        });
        this.watcher?.close();
        this.watcher = undefined;
      });
    } catch (err) {
      this.options.logger.debug('metrics certificate directory not watchable, polling only', {
        error: err instanceof Error ? err.message : String(err),
      });
    }
    this.schedulePoll();
  }

  private schedulePoll(): void {
    this.cancelPoll = this.options.clock.setTimer(() => {
      void this.reload().then(() => {
        if (this.state === 'watching') this.schedulePoll();
      });
    }, this.options.pollIntervalMs);
  }

  private async reloadOnce(): Promise<void> {
    let next: Awaited<ReturnType<typeof readPair>>;
    try {
      next = await readPair(this.options.dir);
    } catch (err) {
      this.options.logger.warn('metrics certificate not reloaded, serving the previous one', {
        dir: this.options.dir,
        error: err instanceof Error ? err.message : String(err),
      });
      return;
    }
    if (this.state !== 'watching') return;
    if (next.cert === this.material.cert && next.key === this.material.key) return;
    this.material = { cert: next.cert, key: next.key };
    this.options.logger.info('metrics certificate reloaded', {
      dir: this.options.dir,
      notAfter: next.notAfter,
    });
    for (const listener of this.listeners) listener(this.material);
  }
}
