// ClusterEtcdSource endpoints: `host:port`, `https://host:port` or `http://host:port`.

/** An endpoint taken apart. `scheme` is undefined for a bare `host:port` (TLS iff `spec.tls` is set). */
export interface ParsedEndpoint {
  scheme: 'http' | 'https' | undefined;
  /** Host name or IP address; an IPv6 address keeps its brackets. */
  host: string;
  port: number;
}

/** The result of {@link parseEndpoint}. */
export type EndpointResult = { ok: true; endpoint: ParsedEndpoint } | { ok: false; message: string };

const ENDPOINT =
  /^(?:(https?):\/\/)?(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9](?:[-A-Za-z0-9.]*[A-Za-z0-9])?):([0-9]{1,5})$/;

/** Parses an endpoint; never throws. */
export function parseEndpoint(text: string): EndpointResult {
  const match = ENDPOINT.exec(text);
  if (!match) {
    return { ok: false, message: `'${text}' is not host:port, https://host:port or http://host:port` };
  }
  const [, scheme, host = '', portText = ''] = match;
  const port = Number(portText);
  if (port < 1 || port > 65535) return { ok: false, message: `port ${portText} is not in 1-65535` };
  return {
    ok: true,
    endpoint: { scheme: scheme === 'http' || scheme === 'https' ? scheme : undefined, host, port },
  };
}

/** Whether a connection to `endpoint` uses TLS, given whether the source sets `spec.tls`. */
export function endpointUsesTls(endpoint: ParsedEndpoint, hasTlsSettings: boolean): boolean {
  return endpoint.scheme === undefined ? hasTlsSettings : endpoint.scheme === 'https';
}
