// The kind-independent rules of creating, updating and deleting that ResourceApi applies around the
// kinds' strategies (strategy.ts): server-set metadata and names on create, the namespace a create needs,
// when metadata.generation moves, and the Status a DELETE answers with.
import { stringAt, jsonEqual, objectAt, type JsonObject } from './json.js';
import {
  dropEmptyMetadata,
  generatedSuffix,
  isDeleting,
  meta,
  nameOf,
  newUid,
  subdomainError,
  timestamp,
  uidOf,
} from './object-meta.js';
import type { ObjectStore } from './object-store.js';
import type { Admission, ResourceRequest } from './resource-api.js';
import type { ResourceType } from './resource-type.js';
import { ApiError, internalError, invalid, notFound } from './status-error.js';

/** Validates a new object and fills its server-set metadata; throws what a real server would. */
export function prepareCreate(req: ResourceRequest, obj: JsonObject, admission: Admission): string[] {
  const type = req.type;
  const m = meta(obj);
  admission.checkCreatable(type);
  if (typeof m['resourceVersion'] === 'string' && m['resourceVersion'] !== '') {
    throw internalError('resourceVersion should not be set on objects to be created');
  }
  if (typeof m['name'] !== 'string' || m['name'] === '') {
    const generateName = stringAt(m, 'generateName');
    if (!generateName) {
      throw invalid(type.kind, type.group, '', [
        {
          field: 'metadata.name',
          reason: 'FieldValueRequired',
          message: 'Required value: name or generateName is required',
        },
      ]);
    }
    m['name'] = `${generateName}${generatedSuffix()}`;
  }
  const name = nameOf(obj);
  const nameError = (type.strategy.validateName ?? subdomainError)(name);
  if (nameError) {
    throw invalid(type.kind, type.group, name, [
      {
        field: 'metadata.name',
        reason: 'FieldValueInvalid',
        message: `Invalid value: "${name}": ${nameError}`,
      },
    ]);
  }
  m['uid'] = newUid();
  m['creationTimestamp'] = timestamp();
  delete m['deletionTimestamp'];
  delete m['deletionGracePeriodSeconds'];
  delete m['managedFields'];
  if (type.generation === 'none') delete m['generation'];
  else m['generation'] = 1;
  type.strategy.prepareForCreate?.(obj);
  const warnings = admission.admit(type, obj, undefined, req.query.get('fieldValidation') ?? 'Warn');
  dropEmptyMetadata(obj);
  return warnings;
}

/** A namespaced object can only be created in a namespace that exists and is not being deleted. */
export function requireLiveNamespace(store: ObjectStore, namespace: string): void {
  const ns = store.get('/namespaces', '', namespace);
  if (!ns) throw notFound({ group: '', plural: 'namespaces' }, namespace);
  if (isDeleting(ns)) {
    throw new ApiError(
      403,
      'Forbidden',
      `unable to create new content in namespace ${namespace} because it is being terminated`,
      {
        name: namespace,
        kind: 'namespaces',
        causes: [
          {
            reason: 'NamespaceTerminating',
            message: `namespace ${namespace} is being terminated`,
            field: 'metadata.namespace',
          },
        ],
      },
    );
  }
}

/** Whether the change bumps metadata.generation under the kind's policy. */
export function bumpsGeneration(type: ResourceType, next: JsonObject, old: JsonObject): boolean {
  switch (type.generation) {
    case 'none':
      return false;
    case 'spec':
      return !jsonEqual(next['spec'], old['spec']);
    case 'spec-or-annotations':
      return (
        !jsonEqual(next['spec'], old['spec']) ||
        !jsonEqual(objectAt(next, 'metadata')?.['annotations'], objectAt(old, 'metadata')?.['annotations'])
      );
    case 'non-metadata': {
      const strip = (o: JsonObject): JsonObject => {
        const rest = { ...o };
        delete rest['metadata'];
        if (type.hasStatus) delete rest['status'];
        return rest;
      };
      return !jsonEqual(strip(next), strip(old));
    }
  }
}

/** The kinds whose deletion we answer with a Status, detailing what was deleted. */
export function deletedStatus(type: ResourceType, obj: JsonObject): JsonObject {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    details: {
      name: nameOf(obj),
      ...(type.group ? { group: type.group } : {}),
      kind: type.plural,
      uid: uidOf(obj),
    },
  };
}
