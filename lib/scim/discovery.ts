import { LIST_RESPONSE_SCHEMA, resourceTypes, type Attribute, type ResourceSchema, type ResourceType } from './schemas.js';

/**
 * The discovery endpoints Bitwarden's SCIM endpoint lacks (RFC 7644 §4): what this service provider
 * supports, its resource types and its schemas, so that conformance tools and clients that read
 * them (Entra ID's validator does) see the truth.
 */

const SERVICE_PROVIDER_CONFIG_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig';
const RESOURCE_TYPE_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ResourceType';
const SCHEMA_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Schema';

/** The most resources one list answer holds (RFC 7644 §3.4.2.4 `count` is capped to it). */
export const MAX_RESULTS = 1000;

export function serviceProviderConfig(baseUrl: string): Record<string, unknown> {
  return {
    schemas: [SERVICE_PROVIDER_CONFIG_SCHEMA],
    documentationUri: 'https://github.com/bitwarden/server',
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: MAX_RESULTS },
    changePassword: { supported: false },
    sort: { supported: false },
    etag: { supported: false },
    authenticationSchemes: [{ type: 'oauthbearertoken', name: 'Bearer API key', description: 'The SCIM API key of the identity provider, as `Authorization: Bearer <key>`', primary: true }],
    meta: { resourceType: 'ServiceProviderConfig', location: `${baseUrl}/ServiceProviderConfig` },
  };
}

const describeAttribute = (attribute: Attribute): Record<string, unknown> => ({
  name: attribute.name,
  type: attribute.type,
  multiValued: attribute.multiValued,
  description: attribute.name,
  required: attribute.required,
  caseExact: attribute.caseExact,
  mutability: attribute.mutability,
  returned: attribute.returned,
  uniqueness: attribute.uniqueness,
  ...(attribute.subAttributes ? { subAttributes: attribute.subAttributes.map(describeAttribute) } : {}),
});

export const schemaDocument = (schema: ResourceSchema, baseUrl: string): Record<string, unknown> => ({
  schemas: [SCHEMA_SCHEMA],
  id: schema.id,
  name: schema.name,
  description: schema.description,
  attributes: schema.attributes.map(describeAttribute),
  meta: { resourceType: 'Schema', location: `${baseUrl}/Schemas/${schema.id}` },
});

export const resourceTypeDocument = (type: ResourceType, baseUrl: string): Record<string, unknown> => ({
  schemas: [RESOURCE_TYPE_SCHEMA],
  id: type.name,
  name: type.name,
  endpoint: type.endpoint,
  description: type.schema.description,
  schema: type.schema.id,
  schemaExtensions: type.extensions.map((extension) => ({ schema: extension.id, required: false })),
  meta: { resourceType: 'ResourceType', location: `${baseUrl}/ResourceTypes/${type.name}` },
});

export const allSchemas = (): ResourceSchema[] => Object.values(resourceTypes).flatMap((type) => [type.schema, ...type.extensions]);

export const listResponse = (resources: unknown[], totalResults: number, startIndex: number): Record<string, unknown> => ({
  schemas: [LIST_RESPONSE_SCHEMA],
  totalResults,
  startIndex,
  itemsPerPage: resources.length,
  Resources: resources,
});
