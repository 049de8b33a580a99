import { isDeepStrictEqual } from 'node:util';
import { badRequest } from './errors.js';
import { matches, member, parsePath, type AttributePath, type Filter } from './filter.js';
import { canonicalResource, type Resource } from './resources.js';
import { findAttribute, findExtension, type Attribute, type ResourceType } from './schemas.js';

/**
 * PATCH (RFC 7644 §3.5.2) on a resource's canonical attributes, returning the new ones checked as
 * a PUT body would be. It takes the forms identity providers send (docs/reference/bitwarden-public-api.md
 * §12 lists Bitwarden's): operation names in any case (Entra ID's `Replace`, `Add`); a path-less
 * value whose keys are paths (`{"active": false}`, `{"name.givenName": "x"}`, URN-qualified
 * names); value filters with a sub-attribute (`emails[type eq "work"].value`), which create the
 * element when none matches; `members` removed by a list of values. Unknown attributes are ignored,
 * as on POST.
 */

type Operation = 'add' | 'replace' | 'remove';

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const sameValue = (a: unknown, b: unknown) => (isObject(a) && isObject(b) && a.value !== undefined ? a.value === b.value : isDeepStrictEqual(a, b));

/** The attributes a filter pins with `eq` (`type eq "work"`): what an element created for it carries. */
function pinned(filter: Filter): Record<string, unknown> {
  if (filter.kind === 'and') return { ...pinned(filter.left), ...pinned(filter.right) };
  if (filter.kind === 'compare' && filter.op === 'eq' && filter.path.urn === null && filter.path.filter === null && filter.path.sub === null) return { [filter.path.name]: filter.value };
  return {};
}

/** Where a path's attribute lives: the resource itself, or its extension's object. */
function locate(type: ResourceType, resource: Resource, path: AttributePath): { container: Resource; attribute: Attribute } | null {
  let attributes = type.schema.attributes;
  let container = resource;
  if (path.urn !== null && path.urn.toLowerCase() !== type.schema.id.toLowerCase()) {
    const extension = findExtension(type, path.urn);
    if (!extension) return null;
    attributes = extension.attributes;
    container = isObject(resource[extension.id]) ? (resource[extension.id] as Resource) : (resource[extension.id] = {});
  }
  const attribute = findAttribute(attributes, path.name);
  return attribute && attribute.mutability !== 'readOnly' ? { container, attribute } : null;
}

/** A value for a single complex attribute: Entra ID sends a manager as its id, or as a list of one. */
function asComplex(value: unknown): unknown {
  if (typeof value === 'string') return { value };
  if (Array.isArray(value) && value.length === 1) return value[0];
  return value;
}

function applyOne(type: ResourceType, resource: Resource, op: Operation, path: AttributePath, value: unknown, label: string): void {
  const located = locate(type, resource, path);
  if (!located) return;
  const { container, attribute } = located;
  const name = attribute.name;
  const current = container[name];

  if (path.filter) {
    if (!attribute.multiValued) throw badRequest('invalidPath', `${label}: ${name} is not multi-valued, so it takes no filter`);
    const elements = Array.isArray(current) ? [...(current as unknown[])] : [];
    const filter = path.filter;
    const targets = elements.filter((element) => matches(element, filter));
    if (op === 'remove') {
      container[name] = path.sub === null ? elements.filter((element) => !targets.includes(element)) : elements.map((element) => (targets.includes(element) && isObject(element) ? omit(element, path.sub!) : element));
      return;
    }
    const update = (element: unknown) => (path.sub === null ? { ...(isObject(element) ? element : {}), ...(isObject(value) ? value : {}) } : { ...(isObject(element) ? element : {}), [path.sub]: value });
    container[name] = targets.length > 0 ? elements.map((element) => (targets.includes(element) ? update(element) : element)) : [...elements, update(pinned(filter))];
    return;
  }

  if (path.sub !== null) {
    const sub = path.sub;
    if (attribute.multiValued) {
      const elements = Array.isArray(current) && current.length > 0 ? (current as unknown[]) : [{}];
      container[name] = elements.map((element) => (op === 'remove' && isObject(element) ? omit(element, sub) : { ...(isObject(element) ? element : {}), [sub]: value }));
    } else if (op === 'remove') {
      if (isObject(current)) container[name] = omit(current, sub);
    } else {
      container[name] = { ...(isObject(current) ? current : {}), [sub]: value };
    }
    return;
  }

  if (op === 'remove') {
    // Entra ID and Bitwarden remove group members by listing them: `{"op":"remove","path":"members","value":[{"value":"…"}]}`.
    if (attribute.multiValued && Array.isArray(value) && Array.isArray(current)) container[name] = (current as unknown[]).filter((element) => !value.some((removed) => sameValue(element, removed)));
    else delete container[name];
    return;
  }
  if (attribute.multiValued) {
    const values = value === null ? [] : Array.isArray(value) ? value : [value];
    const existing = op === 'add' && Array.isArray(current) ? (current as unknown[]) : [];
    container[name] = [...existing, ...values.filter((added) => !existing.some((element) => sameValue(element, added)))];
  } else if (attribute.type === 'complex') {
    const complex = asComplex(value);
    container[name] = isObject(complex) && isObject(current) ? { ...current, ...complex } : complex;
  } else {
    container[name] = value;
  }
}

const omit = (object: Record<string, unknown>, key: string) => Object.fromEntries(Object.entries(object).filter(([name]) => name.toLowerCase() !== key.toLowerCase()));

/** The operations of a PatchOp body applied in order; a 400 names the operation and what is wrong with it. */
export function applyPatch(type: ResourceType, resource: Resource, body: unknown): Resource {
  if (!isObject(body)) throw badRequest('invalidSyntax', 'the body must be a JSON object (a PatchOp message)');
  const operations = member(body, 'Operations');
  if (!Array.isArray(operations) || operations.length === 0) throw badRequest('invalidSyntax', 'Operations: must be a non-empty array');
  const result = structuredClone(resource);
  operations.forEach((operation: unknown, index) => {
    const label = `Operations[${index}]`;
    if (!isObject(operation)) throw badRequest('invalidSyntax', `${label}: must be an object`);
    const opName = member(operation, 'op');
    const op = typeof opName === 'string' ? opName.toLowerCase() : '';
    if (op !== 'add' && op !== 'replace' && op !== 'remove') throw badRequest('invalidSyntax', `${label}.op: must be add, replace or remove`);
    const pathText = member(operation, 'path');
    const value = member(operation, 'value');
    if (pathText !== undefined && pathText !== null && typeof pathText !== 'string') throw badRequest('invalidPath', `${label}.path: must be a string`);
    if (pathText) return applyOne(type, result, op, parsePath(pathText), value, `${label}.path ${JSON.stringify(pathText)}`);
    if (op === 'remove') throw badRequest('noTarget', `${label}: remove needs a path`);
    if (!isObject(value)) throw badRequest('invalidValue', `${label}.value: must be an object of attributes when there is no path`);
    for (const [key, attributeValue] of Object.entries(value)) {
      const extension = findExtension(type, key);
      if (extension && isObject(attributeValue)) {
        for (const [name, extensionValue] of Object.entries(attributeValue)) applyOne(type, result, op, { urn: extension.id, name, filter: null, sub: null }, extensionValue, `${label}.value.${extension.id}`);
      } else {
        applyOne(type, result, op, parsePath(key), attributeValue, `${label}.value.${key}`);
      }
    }
  });
  return canonicalResource(type, result);
}
