import { createHash } from 'node:crypto';
import type { OpenApiSource } from './http-handler.js';
import { clone, type JsonObject } from './json.js';
import type { ResourceRegistry } from './registry.js';
import type { ResourceType } from './resource-type.js';

const OBJECT_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';

/** Where CRD schemas come from (the CRD manager). */
export interface CrdSchemaSource {
  servedSchemas(): Array<{ group: string; version: string; kind: string; schema: JsonObject }>;
}

function schemaId(t: { group: string; version: string; kind: string; crd: boolean }): string {
  if (t.crd) return `${t.group.split('.').reverse().join('.')}.${t.version}.${t.kind}`;
  if (t.group === 'apiextensions.k8s.io')
    return `io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.${t.version}.${t.kind}`;
  return `io.k8s.api.${t.group === '' ? 'core' : (t.group.split('.')[0] ?? t.group)}.${t.version}.${t.kind}`;
}

function gvPath(group: string, version: string): string {
  return group === '' ? `api/${version}` : `apis/${group}/${version}`;
}

const OBJECT_META_SCHEMA: JsonObject = {
  description:
    'ObjectMeta is metadata that all persisted resources must have, which includes all objects users must create.',
  type: 'object',
  properties: {
    name: { type: 'string', description: 'Name must be unique within a namespace.' },
    generateName: {
      type: 'string',
      description: 'An optional prefix used by the server to generate a unique name.',
    },
    namespace: {
      type: 'string',
      description: 'Namespace defines the space within which each name must be unique.',
    },
    labels: {
      type: 'object',
      additionalProperties: { type: 'string' },
      description: 'Map of string keys and values that can be used to organize and categorize objects.',
    },
    annotations: {
      type: 'object',
      additionalProperties: { type: 'string' },
      description: 'Annotations is an unstructured key value map stored with a resource.',
    },
    uid: { type: 'string', description: 'UID is the unique in time and space value for this object.' },
    resourceVersion: {
      type: 'string',
      description: 'An opaque value that represents the internal version of this object.',
    },
    generation: {
      type: 'integer',
      format: 'int64',
      description: 'A sequence number representing a specific generation of the desired state.',
    },
    creationTimestamp: {
      type: 'string',
      format: 'date-time',
      description:
        'CreationTimestamp is a timestamp representing the server time when this object was created.',
    },
    deletionTimestamp: {
      type: 'string',
      format: 'date-time',
      description: 'DeletionTimestamp is RFC 3339 date and time at which this resource will be deleted.',
    },
    finalizers: {
      type: 'array',
      items: { type: 'string' },
      description: 'Must be empty before the object is deleted from the registry.',
    },
    ownerReferences: {
      type: 'array',
      items: { type: 'object' },
      description: 'List of objects depended by this object.',
    },
  },
};

/**
 * OpenAPI v3 as kubectl needs it: the root lists every served group/version with a hash that changes
 * whenever the served kinds change; each group/version document has PATCH operations declaring
 * `fieldValidation` (so kubectl's default --validate=strict defers to the server) and component schemas
 * tagged with `x-kubernetes-group-version-kind` — the CRDs' openAPIV3Schema for custom kinds, which
 * `kubectl explain` prints.
 */
export class OpenApiDocs implements OpenApiSource {
  private crds: CrdSchemaSource | undefined;

  constructor(private readonly registry: ResourceRegistry) {}

  /** Connects the CRD schemas (set once at start-up). */
  useCrdSchemas(source: CrdSchemaSource): void {
    this.crds = source;
  }

  private hash(): string {
    const schemas = JSON.stringify(this.crds?.servedSchemas() ?? []);
    return createHash('sha256')
      .update(`${this.registry.generation}:${schemas}`)
      .digest('hex')
      .slice(0, 32)
      .toUpperCase();
  }

  document(path: string): JsonObject | undefined {
    const hash = this.hash();
    if (path === '') {
      const paths: JsonObject = {};
      const gvs = new Set(this.registry.all().map((t) => gvPath(t.group, t.version)));
      for (const gv of [...gvs].sort()) paths[gv] = { serverRelativeURL: `/openapi/v3/${gv}?hash=${hash}` };
      return { paths };
    }
    const types = this.registry.all().filter((t) => gvPath(t.group, t.version) === path);
    if (types.length === 0) return undefined;
    return this.groupVersionDoc(types);
  }

  private groupVersionDoc(types: ResourceType[]): JsonObject {
    const paths: JsonObject = {};
    const schemas: JsonObject = { [OBJECT_META]: OBJECT_META_SCHEMA };
    const crdSchemas = this.crds?.servedSchemas() ?? [];
    for (const t of types) {
      const gvk = { group: t.group, version: t.version, kind: t.kind };
      const id = schemaId({ ...t, crd: t.crdName !== undefined });
      const crd = crdSchemas.find((s) => s.group === t.group && s.version === t.version && s.kind === t.kind);
      const schema: JsonObject = crd
        ? clone(crd.schema)
        : { type: 'object', description: `${t.kind} (served by kube-sim)` };
      const props = (schema['properties'] as JsonObject | undefined) ?? {};
      props['apiVersion'] ??= {
        type: 'string',
        description: 'APIVersion defines the versioned schema of this representation of an object.',
      };
      props['kind'] ??= {
        type: 'string',
        description: 'Kind is a string value representing the REST resource this object represents.',
      };
      props['metadata'] = {
        allOf: [{ $ref: `#/components/schemas/${OBJECT_META}` }],
        description: "Standard object's metadata.",
      };
      schema['properties'] = props;
      schema['x-kubernetes-group-version-kind'] = [gvk];
      schemas[id] = schema;
      const base = t.group === '' ? `/api/${t.version}` : `/apis/${t.group}/${t.version}`;
      const collection = t.namespaced ? `${base}/namespaces/{namespace}/${t.plural}` : `${base}/${t.plural}`;
      const ref = { $ref: `#/components/schemas/${id}` };
      const ok = { '200': { description: 'OK', content: { 'application/json': { schema: ref } } } };
      const params = [
        { name: 'fieldValidation', in: 'query', schema: { type: 'string', uniqueItems: true } },
        { name: 'fieldManager', in: 'query', schema: { type: 'string', uniqueItems: true } },
        { name: 'dryRun', in: 'query', schema: { type: 'string', uniqueItems: true } },
      ];
      const op = (action: string): JsonObject => ({
        operationId: `${action}${t.kind}`,
        'x-kubernetes-action': action,
        'x-kubernetes-group-version-kind': gvk,
        parameters: params,
        responses: ok,
      });
      paths[collection] = { get: op('list'), post: op('post') };
      paths[`${collection}/{name}`] = {
        get: op('get'),
        put: op('put'),
        patch: op('patch'),
        delete: op('delete'),
      };
      if (t.hasStatus)
        paths[`${collection}/{name}/status`] = { get: op('get'), put: op('put'), patch: op('patch') };
    }
    return {
      openapi: '3.0.0',
      info: { title: 'Kubernetes', version: 'v1.33.0-kubesim' },
      paths,
      components: { schemas },
    };
  }
}
