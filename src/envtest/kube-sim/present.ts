import type { JsonObject } from './json.js';
import { apiVersionOf, type ResourceType } from './resource-type.js';

/**
 * The object as served at the request's version: CRD versions convert with strategy None (apiVersion
 * rewritten); kinds stored elsewhere (events.k8s.io Events) convert from their storage form.
 */
export function present(type: ResourceType, obj: JsonObject): JsonObject {
  if (type.storage) return type.storage.fromStorage(obj);
  const apiVersion = apiVersionOf(type);
  if (obj['apiVersion'] === apiVersion && obj['kind'] === type.kind) return obj;
  return { ...obj, apiVersion, kind: type.kind };
}
