import { objectAt, type JsonObject } from './json.js';
import type { ResourceType } from './resource-type.js';
import { badRequest } from './status-error.js';

const NAME_DESCRIPTION =
  'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names';

/** Whether an Accept header asks for a meta.k8s.io Table (kubectl get). */
export function acceptsTable(accept: string | undefined): boolean {
  return accept !== undefined && /as=Table/.test(accept) && /g=meta\.k8s\.io/.test(accept);
}

/** The content type a real server answers a Table with. */
export const TABLE_CONTENT_TYPE = 'application/json;as=Table;v=v1;g=meta.k8s.io';

/** What each Table row carries in `object` (the `includeObject` query parameter). */
export type TableInclude = 'None' | 'Metadata' | 'Object';

/**
 * The `includeObject` of a Table request: Metadata (PartialObjectMetadata) when absent, Object (the
 * whole object: `kubectl get --sort-by` and `-o custom-columns` read it) or None; 400 otherwise.
 */
export function tableInclude(query: URLSearchParams): TableInclude {
  const v = query.get('includeObject') ?? '';
  if (v === '' || v === 'Metadata') return 'Metadata';
  if (v === 'Object' || v === 'None') return v;
  throw badRequest(`unrecognized includeObject value: "${v}"`);
}

function partialObject(obj: JsonObject): JsonObject {
  return {
    kind: 'PartialObjectMetadata',
    apiVersion: 'meta.k8s.io/v1',
    metadata: objectAt(obj, 'metadata') ?? {},
  };
}

/**
 * A meta.k8s.io/v1 Table of `objects`: the Name column (format `name`), then the kind's columns (the
 * CRD's additionalPrinterColumns, or the built-in kind's), each row carrying what `include` asks for
 * (`objects` must be presented, with kind and apiVersion).
 */
export function toTable(
  type: ResourceType,
  objects: JsonObject[],
  resourceVersion: string,
  include: TableInclude = 'Metadata',
  now = new Date(),
): JsonObject {
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion },
    columnDefinitions: [
      { name: 'Name', type: 'string', format: 'name', description: NAME_DESCRIPTION, priority: 0 },
      ...type.columns.map((c) => ({
        name: c.name,
        type: c.type,
        format: c.format,
        description: c.description,
        priority: c.priority,
      })),
    ],
    rows: objects.map((o) => ({
      cells: [objectAt(o, 'metadata')?.['name'] ?? '', ...type.columns.map((c) => c.cell(o, now) ?? null)],
      object: include === 'Object' ? o : include === 'None' ? null : partialObject(o),
    })),
  };
}
