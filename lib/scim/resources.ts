import { badRequest } from './errors.js';
import { findAttribute, findExtension, splitUrn, type Attribute, type ResourceType } from './schemas.js';

/**
 * A request body as the resource it describes, in the schema's spelling: attribute names matched
 * ignoring case (RFC 7643 §2.1), extensions under their URN, values checked by type, `null` as
 * unassigned. Read-only attributes (`id`, `meta`, a user's `groups`) and unknown ones are ignored,
 * as RFC 7644 §3.3 lets a service provider do; `password` is never kept. A value of the wrong
 * type is a 400 `invalidValue` naming the attribute.
 */

/** Longer texts are refused: an identity provider's values are short, and each is stored and queued. */
const MAX_TEXT = 1024;
/** E-mails, phone numbers, addresses, roles of one user. */
const MAX_VALUES = 100;

export type Resource = Record<string, unknown>;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** `true`/`false`, or the strings Entra ID and Okta send for them ("True", "false"). */
function readBoolean(value: unknown, label: string): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|false)$/i.test(value.trim())) return value.trim().toLowerCase() === 'true';
  throw badRequest('invalidValue', `${label}: must be true or false`);
}

function single(attribute: Attribute, value: unknown, label: string): unknown {
  switch (attribute.type) {
    case 'boolean':
      return readBoolean(value, label);
    case 'complex': {
      if (!isObject(value)) throw badRequest('invalidValue', `${label}: must be an object`);
      return complex(attribute.subAttributes ?? [], value, label);
    }
    default: {
      if (typeof value !== 'string') throw badRequest('invalidValue', `${label}: must be a string`);
      if (value.length > MAX_TEXT) throw badRequest('invalidValue', `${label}: must be at most ${MAX_TEXT} characters`);
      return value;
    }
  }
}

/** One attribute's value in canonical form, or undefined for unassigned. */
function attributeValue(attribute: Attribute, value: unknown, label: string): unknown {
  if (value === null || value === undefined) return undefined;
  if (!attribute.multiValued) return single(attribute, value, label);
  if (!Array.isArray(value)) throw badRequest('invalidValue', `${label}: must be an array`);
  if (value.length > MAX_VALUES && attribute.name !== 'members') throw badRequest('invalidValue', `${label}: must have at most ${MAX_VALUES} values`);
  const values = value.filter((element) => element !== null).map((element, index) => single(attribute, element, `${label}[${index}]`));
  return values.length > 0 ? values : undefined;
}

function complex(attributes: readonly Attribute[], value: Record<string, unknown>, label: string): Resource {
  const result: Resource = {};
  for (const [key, raw] of Object.entries(value)) {
    const attribute = findAttribute(attributes, key);
    if (!attribute || attribute.mutability === 'writeOnly') continue;
    const canonical = attributeValue(attribute, raw, `${label}.${attribute.name}`);
    if (canonical !== undefined) result[attribute.name] = canonical;
  }
  return result;
}

/** Ignored on input: the server's own, or never kept. */
const serverOwned = (attribute: Attribute) => attribute.mutability === 'readOnly' || attribute.mutability === 'writeOnly';

/** A POST or PUT body as the resource's canonical attributes (no `id`, `meta`, `schemas`, or read-only ones). */
export function canonicalResource(type: ResourceType, body: unknown): Resource {
  if (!isObject(body)) throw badRequest('invalidSyntax', `the body must be a JSON object (a ${type.name} resource)`);
  const resource: Resource = {};
  for (const [key, value] of Object.entries(body)) {
    const extension = findExtension(type, key);
    if (extension) {
      if (value === null) continue;
      if (!isObject(value)) throw badRequest('invalidValue', `${extension.id}: must be an object`);
      const canonical = complex(extension.attributes, value, extension.id);
      if (Object.keys(canonical).length > 0) resource[extension.id] = { ...(resource[extension.id] as Resource | undefined), ...canonical };
      continue;
    }
    const { schema, extension: inExtension, rest } = splitUrn(type, key);
    const attribute = findAttribute(schema.attributes, rest);
    if (!attribute || serverOwned(attribute)) continue;
    const canonical = attributeValue(attribute, value, inExtension ? `${schema.id}:${attribute.name}` : attribute.name);
    if (canonical === undefined) continue;
    if (inExtension) resource[schema.id] = { ...(resource[schema.id] as Resource | undefined), [attribute.name]: canonical };
    else resource[attribute.name] = canonical;
  }
  for (const attribute of type.schema.attributes) {
    if (attribute.required && resource[attribute.name] === undefined) throw badRequest('invalidValue', `${attribute.name}: is required`);
    if (attribute.required && typeof resource[attribute.name] === 'string' && (resource[attribute.name] as string).trim() === '') throw badRequest('invalidValue', `${attribute.name}: must not be blank`);
  }
  return resource;
}

/** A resource's `schemas`: its own, and each extension it has values of. */
export const schemasOf = (type: ResourceType, resource: Resource): string[] => [type.schema.id, ...type.extensions.filter((extension) => resource[extension.id] !== undefined).map((extension) => extension.id)];

/** Leaves out the attributes `excludedAttributes` names, or keeps only those `attributes` names (RFC 7644 §3.9), top-level names ignoring case. */
export function selectAttributes(resource: Resource, query: { attributes?: string | null; excludedAttributes?: string | null }): Resource {
  const names = (list: string) => new Set(list.split(',').map((name) => name.trim().toLowerCase()).filter(Boolean));
  const always = new Set(['schemas', 'id', 'meta']);
  if (query.attributes) {
    const kept = names(query.attributes);
    return Object.fromEntries(Object.entries(resource).filter(([key]) => always.has(key) || kept.has(key.toLowerCase()) || [...kept].some((name) => name.startsWith(`${key.toLowerCase()}:`) || name.startsWith(`${key.toLowerCase()}.`))));
  }
  if (query.excludedAttributes) {
    const excluded = names(query.excludedAttributes);
    return Object.fromEntries(Object.entries(resource).filter(([key]) => always.has(key) || !excluded.has(key.toLowerCase())));
  }
  return resource;
}
