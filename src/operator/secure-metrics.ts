// /metrics as controller-runtime serves it with `--metrics-secure`: HTTPS (a provided certificate, re-read
// when it changes, or a self-signed one made in memory) and, before any metric is shown, a bearer token
// that a TokenReview accepts and a SubjectAccessReview allows `get` on the path.
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import type { KubeConfig } from '@kubernetes/client-node';
import { AccessReviewClient, type AccessReviewer } from '../kube/index.js';
import type { Logger } from '../observability/index.js';
import { CertificateWatcher } from './certificate-watcher.js';
import { HttpEndpoint, type Route, type TlsMaterial, type TlsSource } from './http-endpoint.js';
import { MetricsAccessFilter, type MetricsAccessOptions } from './metrics-access.js';
import { selfSignedCertificate } from './self-signed-certificate.js';

/** How /metrics is secured (ManagerOptions.metricsSecurity). */
export interface MetricsSecurityOptions {
  /**
   * A directory with `tls.crt` and `tls.key` (a mounted kubernetes.io/tls Secret), read again when they
   * change. Default: a self-signed certificate made at start, kept in memory only.
   */
  certDir?: string;
  /** How often `certDir` is read again besides watching it. Default 10 s. */
  certPollIntervalMs?: number;
  /** Extra names for the self-signed certificate (it always has localhost, the host name and loopback IPs). */
  selfSignedHosts?: readonly string[];
  /** Answers the reviews; default the API server of the manager's kubeconfig (AccessReviewClient). */
  reviewer?: AccessReviewer;
  /** Cache TTLs, limits and clock of the access filter (defaults in metrics-access.ts). */
  access?: Omit<MetricsAccessOptions, 'reviewer' | 'logger'>;
}

/** What {@link secureMetricsEndpoint} needs beyond the options. */
export interface SecureMetricsDeps {
  kubeConfig: KubeConfig;
  logger: Logger;
  /** The unguarded /metrics route. */
  route: Route;
}

/** An in-memory certificate that never changes. */
function fixedTls(material: TlsMaterial): TlsSource {
  return { current: () => material, onChange: () => undefined, close: () => Promise.resolve() };
}

/**
 * The HTTPS endpoint serving `deps.route` at /metrics behind the access filter. Owns its certificate
 * watcher and filter (closed with the endpoint). Throws `CertificateLoadError` when `certDir` holds no
 * usable certificate — a misconfiguration that must stop the start.
 */
export async function secureMetricsEndpoint(
  options: MetricsSecurityOptions,
  deps: SecureMetricsDeps,
): Promise<HttpEndpoint> {
  const logger = deps.logger.child({ component: 'metrics-auth' });
  let tls: TlsSource;
  if (options.certDir !== undefined) {
    tls = await CertificateWatcher.start({
      dir: options.certDir,
      logger,
      ...(options.certPollIntervalMs !== undefined ? { pollIntervalMs: options.certPollIntervalMs } : {}),
    });
  } else {
    // A host name that is no DNS name (an underscore, say) is left out rather than fail the start.
    const hosts = ['localhost', hostname(), '127.0.0.1', '::1', ...(options.selfSignedHosts ?? [])].filter(
      (h) => isIP(h) !== 0 || /^[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?$/.test(h),
    );
    tls = fixedTls(selfSignedCertificate({ hosts }));
    logger.info('metrics served with a self-signed certificate', { hosts });
  }
  const filter = new MetricsAccessFilter({
    ...options.access,
    reviewer: options.reviewer ?? new AccessReviewClient(deps.kubeConfig),
    logger,
  });
  return new HttpEndpoint({ '/metrics': filter.guard(deps.route) }, { tls, dependents: [filter] });
}
