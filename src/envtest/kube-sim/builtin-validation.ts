import { isObject, objectAt, type JsonObject } from './json.js';
import { nameOf, subdomainError } from './object-meta.js';
import type { Admission } from './resource-api.js';
import type { ResourceType } from './resource-type.js';
import { badRequest, invalid, type FieldError } from './status-error.js';

/**
 * ConfigMaps and Secrets: 1 MiB of values (corevalidation.MaxSecretSize). ValidateConfigMap and
 * ValidateSecret sum `len(value)` only — keys are not counted; binaryData and Secret data count decoded.
 */
const MAX_CONFIG_BYTES = 1024 * 1024;
/** metadata.annotations: 256 KiB of keys and values (TotalAnnotationSizeLimitB). */
const MAX_ANNOTATION_BYTES = 256 * 1024;
const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const CONFIG_KEY_MESSAGE =
  "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";
const NAME_PART_MESSAGE =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_VALUE_MESSAGE =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

/** Go's decode error for a JSON value of the wrong type, answered 400 like the apiserver's decoder. */
function typeError(type: ResourceType, goField: string, value: unknown): never {
  const got = Array.isArray(value)
    ? 'array'
    : value === null
      ? 'null'
      : typeof value === 'object'
        ? 'object'
        : typeof value;
  throw badRequest(
    `${type.kind} in version "${type.version}" cannot be handled as a ${type.kind}: json: cannot unmarshal ${got} into Go struct field ${goField} of type string`,
  );
}

/** A map of strings, or a 400 naming the Go field, as decoding into map[string]string would fail. */
function stringMap(
  type: ResourceType,
  obj: JsonObject | undefined,
  key: string,
  goField: string,
): Record<string, string> {
  const v = obj?.[key];
  if (v === undefined || v === null) return {};
  if (!isObject(v)) return typeError(type, goField, v);
  for (const value of Object.values(v)) if (typeof value !== 'string') typeError(type, goField, value);
  return v as Record<string, string>;
}

/** A qualified name (`prefix/name`), as label and annotation keys must be; the message or undefined. */
function qualifiedNameError(key: string): string | undefined {
  const parts = key.split('/');
  if (parts.length > 2)
    return "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')";
  const name = parts[parts.length - 1] ?? '';
  if (parts.length === 2) {
    const prefixError = subdomainError(parts[0] ?? '');
    if (prefixError) return `prefix part ${prefixError}`;
  }
  if (name === '') return 'name part must be non-empty';
  if (name.length > 63) return 'name part must be no more than 63 characters';
  if (!QUALIFIED_NAME.test(name)) return NAME_PART_MESSAGE;
  return undefined;
}

function metadataErrors(type: ResourceType, obj: JsonObject): FieldError[] {
  const errors: FieldError[] = [];
  const m = objectAt(obj, 'metadata');
  const labels = stringMap(type, m, 'labels', 'ObjectMeta.metadata.labels');
  const annotations = stringMap(type, m, 'annotations', 'ObjectMeta.metadata.annotations');
  for (const [k, v] of Object.entries(labels)) {
    const keyError = qualifiedNameError(k);
    if (keyError)
      errors.push({
        field: 'metadata.labels',
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${JSON.stringify(k)}: ${keyError}`,
      });
    if (v.length > 63)
      errors.push({
        field: 'metadata.labels',
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${JSON.stringify(v)}: must be no more than 63 characters`,
      });
    else if (!LABEL_VALUE.test(v))
      errors.push({
        field: 'metadata.labels',
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${JSON.stringify(v)}: ${LABEL_VALUE_MESSAGE}`,
      });
  }
  let annotationBytes = 0;
  for (const [k, v] of Object.entries(annotations)) {
    const keyError = qualifiedNameError(k.toLowerCase());
    if (keyError)
      errors.push({
        field: 'metadata.annotations',
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${JSON.stringify(k)}: ${keyError}`,
      });
    annotationBytes += Buffer.byteLength(k) + Buffer.byteLength(v);
  }
  if (annotationBytes > MAX_ANNOTATION_BYTES) {
    errors.push({
      field: 'metadata.annotations',
      reason: 'FieldValueTooLong',
      message: `Too long: must have at most ${MAX_ANNOTATION_BYTES} bytes`,
    });
  }
  return errors;
}

function configMapErrors(type: ResourceType, obj: JsonObject, old: JsonObject | undefined): FieldError[] {
  const errors: FieldError[] = [];
  const data = stringMap(type, obj, 'data', 'ConfigMap.data');
  const binary = stringMap(type, obj, 'binaryData', 'ConfigMap.binaryData');
  let bytes = 0;
  for (const [k, v] of Object.entries(data)) {
    if (!CONFIG_KEY.test(k) || k === '.' || k === '..' || k.startsWith('..')) {
      errors.push({
        field: `data[${k}]`,
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${JSON.stringify(k)}: ${CONFIG_KEY_MESSAGE}`,
      });
    }
    if (k in binary)
      errors.push({
        field: `data[${k}]`,
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${JSON.stringify(k)}: duplicate of key present in binaryData`,
      });
    bytes += Buffer.byteLength(v);
  }
  for (const [k, v] of Object.entries(binary)) {
    if (!BASE64.test(v)) {
      throw badRequest(
        `ConfigMap in version "v1" cannot be handled as a ConfigMap: illegal base64 data in binaryData[${k}]`,
      );
    }
    if (!CONFIG_KEY.test(k) || k === '.' || k === '..' || k.startsWith('..')) {
      errors.push({
        field: `binaryData[${k}]`,
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${JSON.stringify(k)}: ${CONFIG_KEY_MESSAGE}`,
      });
    }
    bytes += Buffer.from(v, 'base64').length;
  }
  if (bytes > MAX_CONFIG_BYTES)
    errors.push({
      field: '[]',
      reason: 'FieldValueTooLong',
      message: `Too long: must have at most ${MAX_CONFIG_BYTES} bytes`,
    });
  if (old?.['immutable'] === true) {
    if (obj['immutable'] !== true)
      errors.push({
        field: 'immutable',
        reason: 'FieldValueForbidden',
        message: 'Forbidden: field is immutable when `immutable` is set',
      });
    for (const field of ['data', 'binaryData']) {
      if (JSON.stringify(obj[field] ?? {}) !== JSON.stringify(old[field] ?? {})) {
        errors.push({
          field,
          reason: 'FieldValueForbidden',
          message: 'Forbidden: field is immutable when `immutable` is set',
        });
      }
    }
  }
  return errors;
}

function secretErrors(type: ResourceType, obj: JsonObject): FieldError[] {
  const errors: FieldError[] = [];
  const data = stringMap(type, obj, 'data', 'Secret.data');
  let bytes = 0;
  for (const [k, v] of Object.entries(data)) {
    if (!BASE64.test(v))
      throw badRequest(
        `Secret in version "v1" cannot be handled as a Secret: illegal base64 data in data[${k}]`,
      );
    if (!CONFIG_KEY.test(k))
      errors.push({
        field: `data[${k}]`,
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${JSON.stringify(k)}: ${CONFIG_KEY_MESSAGE}`,
      });
    bytes += Buffer.from(v, 'base64').length;
  }
  if (bytes > MAX_CONFIG_BYTES)
    errors.push({
      field: 'data',
      reason: 'FieldValueTooLong',
      message: `Too long: must have at most ${MAX_CONFIG_BYTES} bytes`,
    });
  return errors;
}

/** ControllerRevisions: `revision` is required and non-negative; `data` never changes after create. */
function controllerRevisionErrors(obj: JsonObject, old: JsonObject | undefined): FieldError[] {
  const errors: FieldError[] = [];
  const revision = obj['revision'];
  if (typeof revision !== 'number' || !Number.isInteger(revision) || revision < 0)
    errors.push({
      field: 'revision',
      reason: 'FieldValueInvalid',
      message: `Invalid value: ${JSON.stringify(revision ?? null)}: must be greater than or equal to 0`,
    });
  if (obj['data'] === undefined || obj['data'] === null)
    errors.push({
      field: 'data',
      reason: 'FieldValueRequired',
      message: 'Required value: data is mandatory',
    });
  if (old && JSON.stringify(obj['data'] ?? null) !== JSON.stringify(old['data'] ?? null))
    errors.push({ field: 'data', reason: 'FieldValueInvalid', message: 'Invalid value: field is immutable' });
  return errors;
}

/**
 * Validation kube-apiserver applies to every object's labels and annotations, and to the ConfigMaps
 * and Secrets this project writes: value types (400 on decode), config keys, the 1 MiB limit and
 * `immutable` (422 Invalid with the upstream field paths and wording).
 */
export class BuiltinValidation implements Pick<Admission, 'admit'> {
  admit(type: ResourceType, obj: JsonObject, old: JsonObject | undefined): string[] {
    const errors = metadataErrors(type, obj);
    if (type.group === '' && type.plural === 'configmaps') errors.push(...configMapErrors(type, obj, old));
    if (type.group === '' && type.plural === 'secrets') errors.push(...secretErrors(type, obj));
    if (type.group === 'apps' && type.plural === 'controllerrevisions')
      errors.push(...controllerRevisionErrors(obj, old));
    if (errors.length > 0) throw invalid(type.kind, type.group, nameOf(obj), errors);
    return [];
  }
}
