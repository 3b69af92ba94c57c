import { isObject, objectAt, type JsonObject } from './json.js';
import type { ResourceType } from './resource-type.js';

/**
 * What kube-apiserver fills in on a Service: defaults (type ClusterIP, sessionAffinity None, TCP ports
 * with targetPort = port, single-stack IPv4, internalTrafficPolicy Cluster) and a cluster IP from the
 * service CIDR (10.96.0.0/12) unless headless. On update, allocated values the client left out are
 * kept from the old object (upstream `patchAllocatedValues`).
 */
export class ServiceDefaults {
  /** Next host number to hand out in 10.96.0.0/12 (10 and up, as real clusters start after the DNS IP). */
  private next = 10;

  apply(type: ResourceType, obj: JsonObject, old: JsonObject | undefined): void {
    if (!(type.group === '' && type.plural === 'services')) return;
    const spec = objectAt(obj, 'spec') ?? {};
    obj['spec'] = spec;
    const oldSpec = old ? (objectAt(old, 'spec') ?? {}) : undefined;
    spec['type'] ??= 'ClusterIP';
    spec['sessionAffinity'] ??= 'None';
    if (Array.isArray(spec['ports'])) {
      for (const p of spec['ports']) {
        if (!isObject(p)) continue;
        p['protocol'] ??= 'TCP';
        if (p['targetPort'] === undefined && p['port'] !== undefined) p['targetPort'] = p['port'];
      }
    }
    if (spec['type'] !== 'ExternalName') {
      if (spec['clusterIP'] === undefined || spec['clusterIP'] === '') {
        spec['clusterIP'] = oldSpec?.['clusterIP'] ?? this.allocate();
      }
      if (spec['clusterIPs'] === undefined)
        spec['clusterIPs'] = oldSpec?.['clusterIPs'] ?? [spec['clusterIP']];
      spec['ipFamilies'] ??= oldSpec?.['ipFamilies'] ?? ['IPv4'];
      spec['ipFamilyPolicy'] ??= oldSpec?.['ipFamilyPolicy'] ?? 'SingleStack';
      spec['internalTrafficPolicy'] ??= 'Cluster';
    }
    if (!old) obj['status'] = { loadBalancer: {} };
  }

  private allocate(): string {
    const n = this.next++;
    return `10.96.${Math.floor(n / 256) % 256}.${n % 256}`;
  }
}
