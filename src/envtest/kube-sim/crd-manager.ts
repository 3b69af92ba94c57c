import { ageOf } from './human-duration.js';
import { clone, isObject, objectAt, stringAt, type JsonObject } from './json.js';
import { jsonPathValues } from './json-path.js';
import { isDeleting, meta, nameOf } from './object-meta.js';
import type { Change, ObjectStore } from './object-store.js';
import type { ResourceRegistry } from './registry.js';
import type { Admission } from './resource-api.js';
import type { ResourceType, TableColumn } from './resource-type.js';
import { CrSchema } from './cr-schema.js';
import { customResourceStrategy } from './strategies/custom-resource.js';
import { ApiError, invalid, type FieldError } from './status-error.js';

const CRD_RESOURCE = 'apiextensions.k8s.io/customresourcedefinitions';
const CRUD_VERBS = ['delete', 'deletecollection', 'get', 'list', 'patch', 'create', 'update', 'watch'];

interface PrinterColumn {
  name: string;
  type: string;
  format?: string;
  description?: string;
  priority?: number;
  jsonPath: string;
}

/** A cell the way the CRD table convertor renders it (`cellForJSONValue` upstream). */
function cellFor(col: PrinterColumn, obj: JsonObject, now: Date): unknown {
  const value = jsonPathValues(obj, col.jsonPath)[0];
  if (value === undefined || value === null) return null;
  switch (col.type) {
    case 'string':
      return typeof value === 'string' ? value : JSON.stringify(value);
    case 'integer':
      return typeof value === 'number' ? Math.trunc(value) : null;
    case 'number':
      return typeof value === 'number' ? value : null;
    case 'boolean':
      return typeof value === 'boolean' ? value : null;
    case 'date':
      return typeof value === 'string'
        ? Number.isNaN(Date.parse(value))
          ? '<invalid>'
          : ageOf(value, now)
        : null;
    default:
      return null;
  }
}

function printerColumns(version: JsonObject): TableColumn[] {
  const raw = version['additionalPrinterColumns'];
  const cols: PrinterColumn[] =
    Array.isArray(raw) && raw.length > 0
      ? raw.filter(
          (c): c is PrinterColumn =>
            isObject(c) && typeof c['name'] === 'string' && typeof c['jsonPath'] === 'string',
        )
      : [{ name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' }];
  return cols.map((c) => ({
    name: c.name,
    type: c.type,
    format: c.format ?? '',
    description: c.description ?? '',
    priority: c.priority ?? 0,
    cell: (o, now) => cellFor(c, o, now),
  }));
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/**
 * CustomResourceDefinitions: validates and completes CRD objects (defaults, status with
 * NamesAccepted/Established, acceptedNames, storedVersions), serves their kinds from the moment they
 * are stored until they are deleted, and admits custom resources against the schema of their version.
 */
export class CrdManager implements Admission {
  /** CRD name → compiled schemas by version */
  private readonly schemas = new Map<string, Map<string, CrSchema>>();
  private readonly unsubscribe: () => void;
  private readonly removedListeners: Array<(resource: string) => void> = [];

  constructor(
    private readonly registry: ResourceRegistry,
    private readonly store: ObjectStore,
  ) {
    this.unsubscribe = store.subscribe((c) => this.onChange(c));
  }

  close(): void {
    this.unsubscribe();
  }

  /** Calls `listener` with the storage key (`group/plural`) of every CRD that is deleted. */
  onCrdRemoved(listener: (resource: string) => void): void {
    this.removedListeners.push(listener);
  }

  checkCreatable(type: ResourceType): void {
    if (type.crdName === undefined) return;
    const crd = this.store.get(CRD_RESOURCE, '', type.crdName);
    if (crd && isDeleting(crd)) {
      throw new ApiError(
        405,
        'MethodNotAllowed',
        'create not allowed while custom resource definition is terminating',
      );
    }
  }

  admit(type: ResourceType, obj: JsonObject, old: JsonObject | undefined, fieldValidation: string): string[] {
    if (type.group === 'apiextensions.k8s.io' && type.plural === 'customresourcedefinitions') {
      this.admitCrd(obj, old);
      return [];
    }
    if (type.crdName === undefined) return [];
    const schema = this.schemas.get(type.crdName)?.get(type.version);
    if (!schema) return [];
    return schema.admit(type, obj, old, fieldValidation);
  }

  private admitCrd(crd: JsonObject, old: JsonObject | undefined): void {
    const name = nameOf(crd);
    const errors: FieldError[] = [];
    const spec = objectAt(crd, 'spec');
    const fail = (field: string, reason: string, message: string): void =>
      void errors.push({ field, reason, message });
    if (!spec) {
      throw invalid('CustomResourceDefinition', 'apiextensions.k8s.io', name, [
        { field: 'spec', reason: 'FieldValueRequired', message: 'Required value' },
      ]);
    }
    const group = stringAt(spec, 'group') ?? '';
    const names = objectAt(spec, 'names') ?? {};
    const plural = stringAt(names, 'plural') ?? '';
    const kind = stringAt(names, 'kind') ?? '';
    const scope = stringAt(spec, 'scope') ?? '';
    if (group === '') fail('spec.group', 'FieldValueRequired', 'Required value');
    else if (!group.includes('.'))
      fail(
        'spec.group',
        'FieldValueInvalid',
        `Invalid value: "${group}": should be a domain with at least one dot`,
      );
    if (plural === '') fail('spec.names.plural', 'FieldValueRequired', 'Required value');
    if (kind === '') fail('spec.names.kind', 'FieldValueRequired', 'Required value');
    if (scope !== 'Namespaced' && scope !== 'Cluster') {
      fail(
        'spec.scope',
        'FieldValueNotSupported',
        `Unsupported value: "${scope}": supported values: "Cluster", "Namespaced"`,
      );
    }
    if (plural !== '' && group !== '' && name !== `${plural}.${group}`) {
      fail(
        'metadata.name',
        'FieldValueInvalid',
        `Invalid value: "${name}": must be spec.names.plural+"."+spec.group`,
      );
    }
    const versions = Array.isArray(spec['versions']) ? spec['versions'].filter(isObject) : [];
    if (versions.length === 0)
      fail(
        'spec.versions',
        'FieldValueInvalid',
        'Invalid value: []apiextensions.CustomResourceDefinitionVersion(nil): must have exactly one version marked as storage version',
      );
    const storage = versions.filter((v) => v['storage'] === true);
    if (versions.length > 0 && storage.length !== 1) {
      fail(
        'spec.versions',
        'FieldValueInvalid',
        'Invalid value: ...: must have exactly one version marked as storage version',
      );
    }
    versions.forEach((v, i) => {
      const schema = objectAt(objectAt(v, 'schema') ?? {}, 'openAPIV3Schema');
      if (!schema)
        fail(
          `spec.versions[${i}].schema.openAPIV3Schema`,
          'FieldValueRequired',
          'Required value: schemas are required',
        );
      else {
        const problem = CrSchema.check(schema);
        if (problem) fail(`spec.versions[${i}].schema.openAPIV3Schema`, 'FieldValueInvalid', problem);
      }
    });
    if (old) {
      const oldSpec = objectAt(old, 'spec') ?? {};
      if (oldSpec['group'] !== group)
        fail('spec.group', 'FieldValueInvalid', `Invalid value: "${group}": field is immutable`);
      if (stringAt(objectAt(oldSpec, 'names'), 'plural') !== plural)
        fail('spec.names.plural', 'FieldValueInvalid', `Invalid value: "${plural}": field is immutable`);
      if (oldSpec['scope'] !== scope)
        fail('spec.scope', 'FieldValueInvalid', `Invalid value: "${scope}": field is immutable`);
    }
    if (errors.length > 0) throw invalid('CustomResourceDefinition', 'apiextensions.k8s.io', name, errors);

    // Defaults the apiserver fills in.
    names['singular'] = stringAt(names, 'singular') ?? kind.toLowerCase();
    names['listKind'] = stringAt(names, 'listKind') ?? `${kind}List`;
    spec['names'] = names;
    if (!objectAt(spec, 'conversion')) spec['conversion'] = { strategy: 'None' };
    // Server-computed status (the CRD controllers' work, done on the write itself).
    const oldStatus = old ? (objectAt(old, 'status') ?? {}) : {};
    const oldConditions = Array.isArray(oldStatus['conditions'])
      ? oldStatus['conditions'].filter(isObject)
      : [];
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const condition = (type: string, reason: string, message: string): JsonObject => {
      const prev = oldConditions.find((c) => c['type'] === type && c['status'] === 'True');
      return {
        type,
        status: 'True',
        lastTransitionTime: prev?.['lastTransitionTime'] ?? now,
        reason,
        message,
      };
    };
    const stored = new Set(strings(oldStatus['storedVersions']));
    for (const v of storage) if (typeof v['name'] === 'string') stored.add(v['name']);
    const conditions = [
      condition('NamesAccepted', 'NoConflicts', 'no conflicts found'),
      condition('Established', 'InitialNamesAccepted', 'the initial names have been accepted'),
    ];
    if (isDeleting(crd)) {
      conditions.push({
        type: 'Terminating',
        status: 'True',
        lastTransitionTime: now,
        reason: 'InstanceDeletionInProgress',
        message: 'CustomResource deletion is in progress',
      });
    }
    crd['status'] = { acceptedNames: clone(names), conditions, storedVersions: [...stored] };
    meta(crd);
  }

  /** Keeps the served kinds in step with stored CRDs (CRD writes all pass through the store). */
  private onChange(c: Change): void {
    if (c.resource !== CRD_RESOURCE) return;
    const name = nameOf(c.object);
    this.registry.removeCrd(name);
    this.schemas.delete(name);
    const spec = objectAt(c.object, 'spec') ?? {};
    const names = objectAt(spec, 'names') ?? {};
    const group = stringAt(spec, 'group') ?? '';
    if (c.type === 'DELETED') {
      for (const l of this.removedListeners) l(`${group}/${stringAt(names, 'plural') ?? ''}`);
      return;
    }
    const kind = stringAt(names, 'kind') ?? '';
    const byVersion = new Map<string, CrSchema>();
    for (const v of Array.isArray(spec['versions']) ? spec['versions'].filter(isObject) : []) {
      const version = stringAt(v, 'name');
      if (!version || v['served'] === false) continue;
      const schema = objectAt(objectAt(v, 'schema') ?? {}, 'openAPIV3Schema');
      if (schema) byVersion.set(version, new CrSchema(kind, group, schema));
      const hasStatus = isObject(objectAt(objectAt(v, 'subresources') ?? {}, 'status'));
      this.registry.add({
        group,
        version,
        kind,
        listKind: stringAt(names, 'listKind') ?? `${kind}List`,
        plural: stringAt(names, 'plural') ?? '',
        singular: stringAt(names, 'singular') ?? kind.toLowerCase(),
        namespaced: spec['scope'] === 'Namespaced',
        shortNames: strings(names['shortNames']),
        categories: strings(names['categories']),
        verbs: CRUD_VERBS,
        hasStatus,
        generation: 'non-metadata',
        allowUnconditionalUpdate: false,
        allowCreateOnUpdate: false,
        returnDeletedObject: true,
        strategicMerge: false,
        fieldSelectors: {},
        columns: printerColumns(v),
        strategy: customResourceStrategy(hasStatus),
        crdName: name,
      });
    }
    this.schemas.set(name, byVersion);
  }

  /** The openAPIV3Schema of every served CRD version, for the OpenAPI documents. */
  servedSchemas(): Array<{ group: string; version: string; kind: string; schema: JsonObject }> {
    const out: Array<{ group: string; version: string; kind: string; schema: JsonObject }> = [];
    for (const crd of this.store.list(CRD_RESOURCE)) {
      const spec = objectAt(crd, 'spec') ?? {};
      const kind = stringAt(objectAt(spec, 'names'), 'kind') ?? '';
      for (const v of Array.isArray(spec['versions']) ? spec['versions'].filter(isObject) : []) {
        const schema = objectAt(objectAt(v, 'schema') ?? {}, 'openAPIV3Schema');
        if (schema && v['served'] !== false && typeof v['name'] === 'string') {
          out.push({ group: stringAt(spec, 'group') ?? '', version: v['name'], kind, schema });
        }
      }
    }
    return out;
  }
}
