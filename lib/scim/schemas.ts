/**
 * The SCIM schemas this endpoint serves (RFC 7643 §4 and §8.7.1), as data: the `/Schemas`
 * discovery answer is built from them, and so is every check of a request body and the
 * case-insensitive resolution of attribute names and PATCH paths.
 */

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const ENTERPRISE_USER_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const LIST_RESPONSE_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

export type AttributeType = 'string' | 'boolean' | 'complex' | 'reference' | 'dateTime';

export interface Attribute {
  name: string;
  type: AttributeType;
  multiValued: boolean;
  required: boolean;
  /** Compared exactly in filters; otherwise ignoring case (RFC 7643 §2.2). */
  caseExact: boolean;
  mutability: 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';
  returned: 'always' | 'default' | 'never';
  uniqueness: 'none' | 'server';
  subAttributes?: Attribute[];
}

const attribute = (name: string, type: AttributeType, options: Partial<Omit<Attribute, 'name' | 'type'>> = {}): Attribute => ({
  name,
  type,
  multiValued: false,
  required: false,
  caseExact: false,
  mutability: 'readWrite',
  returned: 'default',
  uniqueness: 'none',
  ...options,
});
const text = (name: string, options?: Partial<Attribute>) => attribute(name, 'string', options);
const multiComplex = (name: string, subAttributes: Attribute[], options?: Partial<Attribute>) => attribute(name, 'complex', { multiValued: true, subAttributes, ...options });
/** The sub-attributes of e-mails, phone numbers and roles (RFC 7643 §4.1.2). */
const labelled = () => [text('value'), text('display'), text('type'), attribute('primary', 'boolean')];

export interface ResourceSchema {
  id: string;
  name: string;
  description: string;
  attributes: Attribute[];
}

/** Attributes every resource has (RFC 7643 §3.1); `id` and `meta` are the server's. */
const common = [
  text('id', { caseExact: true, mutability: 'readOnly', returned: 'always', uniqueness: 'server' }),
  text('externalId', { caseExact: true }),
];

export const userSchema: ResourceSchema = {
  id: USER_SCHEMA,
  name: 'User',
  description: 'User Account',
  attributes: [
    ...common,
    text('userName', { required: true, uniqueness: 'server' }),
    attribute('name', 'complex', {
      subAttributes: ['formatted', 'familyName', 'givenName', 'middleName', 'honorificPrefix', 'honorificSuffix'].map((name) => text(name)),
    }),
    ...['displayName', 'nickName', 'profileUrl', 'title', 'userType', 'preferredLanguage', 'locale', 'timezone'].map((name) => text(name)),
    attribute('active', 'boolean'),
    text('password', { mutability: 'writeOnly', returned: 'never' }),
    multiComplex('emails', labelled()),
    multiComplex('phoneNumbers', labelled()),
    multiComplex('addresses', [...['formatted', 'streetAddress', 'locality', 'region', 'postalCode', 'country', 'type'].map((name) => text(name)), attribute('primary', 'boolean')]),
    multiComplex('groups', [text('value', { mutability: 'readOnly' }), attribute('$ref', 'reference', { mutability: 'readOnly' }), text('display', { mutability: 'readOnly' }), text('type', { mutability: 'readOnly' })], {
      mutability: 'readOnly',
    }),
    multiComplex('roles', labelled()),
  ],
};

export const enterpriseUserSchema: ResourceSchema = {
  id: ENTERPRISE_USER_SCHEMA,
  name: 'EnterpriseUser',
  description: 'Enterprise User',
  attributes: [
    ...['employeeNumber', 'costCenter', 'organization', 'division', 'department'].map((name) => text(name)),
    attribute('manager', 'complex', { subAttributes: [text('value'), attribute('$ref', 'reference'), text('displayName', { mutability: 'readOnly' })] }),
  ],
};

export const groupSchema: ResourceSchema = {
  id: GROUP_SCHEMA,
  name: 'Group',
  description: 'Group',
  attributes: [
    ...common,
    text('displayName', { required: true }),
    multiComplex('members', [text('value', { mutability: 'immutable' }), attribute('$ref', 'reference', { mutability: 'immutable' }), text('display', { mutability: 'readOnly' }), text('type', { mutability: 'immutable' })]),
  ],
};

export type ResourceTypeName = 'User' | 'Group';

export interface ResourceType {
  name: ResourceTypeName;
  endpoint: '/Users' | '/Groups';
  schema: ResourceSchema;
  extensions: ResourceSchema[];
}

export const resourceTypes: Record<ResourceTypeName, ResourceType> = {
  User: { name: 'User', endpoint: '/Users', schema: userSchema, extensions: [enterpriseUserSchema] },
  Group: { name: 'Group', endpoint: '/Groups', schema: groupSchema, extensions: [] },
};

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** An attribute by name, ignoring case (RFC 7643 §2.1). */
export const findAttribute = (attributes: readonly Attribute[], name: string): Attribute | undefined => attributes.find((candidate) => same(candidate.name, name));

/** An extension of a resource type by its schema URN, ignoring case. */
export const findExtension = (type: ResourceType, urn: string): ResourceSchema | undefined => type.extensions.find((extension) => same(extension.id, urn));

/**
 * A name, possibly URN-qualified (`urn:…:enterprise:2.0:User:department`, RFC 7644 §3.10), as the
 * schema it belongs to and the rest of the name (`department`, `name.givenName`).
 */
export function splitUrn(type: ResourceType, name: string): { schema: ResourceSchema; extension: boolean; rest: string } {
  for (const schema of [type.schema, ...type.extensions]) {
    if (name.length > schema.id.length && same(name.slice(0, schema.id.length + 1), `${schema.id}:`)) {
      return { schema, extension: schema !== type.schema, rest: name.slice(schema.id.length + 1) };
    }
  }
  return { schema: type.schema, extension: false, rest: name };
}
