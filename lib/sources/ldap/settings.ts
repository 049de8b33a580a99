import * as z from '../../vocabulary/zod.js';
import { checkAttributeNames } from '../record-path.js';

/**
 * The shape of an RFC 4515 filter: parenthesised, balanced (a parenthesis inside a value is escaped
 * as \28 or \29), no empty item. The server judges the rest at the first read; the config is
 * checked without the LDAP client, which only the roster read bundles.
 */
function isFilter(text: string): boolean {
  const trimmed = text.trim();
  if (!trimmed.startsWith('(') || !trimmed.endsWith(')') || /\(\s*\)/.test(trimmed) || !trimmed.includes('=')) return false;
  let depth = 0;
  for (const [index, character] of [...trimmed].entries()) {
    depth += character === '(' ? 1 : character === ')' ? -1 : 0;
    if (depth < 0 || (depth === 0 && index < trimmed.length - 1)) return false;
  }
  return depth === 0;
}

const filter = z.string().check(z.refine(isFilter, 'must be an LDAP search filter (RFC 4515), e.g. (objectClass=user)'));
const attributeName = z.string().check(z.regex(/^[A-Za-z][\w-]*$/, 'must be an LDAP attribute name'));

const fieldDefaults = {
  /** AD's objectGUID (read as its usual text form); entryUUID on OpenLDAP. */
  id: 'objectGUID',
  email: 'mail',
  firstName: 'givenName',
  lastName: 'sn',
  displayName: 'displayName',
  jobTitle: 'title',
  department: 'department',
  /** A DN: the manager's e-mail when they are in the read. */
  manager: 'manager',
};
export type Field = keyof typeof fieldDefaults;

/** `providers.ldap` in the config file. */
export const SettingsSchema = z.strictObject({
  enabled: z._default(z.boolean(), true),
  /** ldaps://dc1.corp.example.com (or ldap:// on a trusted network). */
  apiUrl: z.optional(z.url({ protocol: /^ldaps?$/, error: 'must be an ldap:// or ldaps:// URL' })),
  /** Where the users are, e.g. OU=People,DC=corp,DC=example,DC=com. */
  baseDn: z.string().check(z.minLength(1)),
  userFilter: z._default(filter, '(&(objectCategory=person)(objectClass=user))'),
  /** Where the groups are; the users' base when unset. */
  groupBaseDn: z.optional(z.string().check(z.minLength(1))),
  groupFilter: z._default(filter, '(objectClass=group)'),
  /** Entries per page of a paged search: at most AD's MaxPageSize (1,000 by default). */
  pageSize: z._default(z.number().check(z.int(), z.minimum(1), z.maximum(1000)), 500),
  /** The LDAP attribute that carries each field of the record. */
  fields: z.pipe(
    z._default(z.strictObject(Object.fromEntries(Object.keys(fieldDefaults).map((key) => [key, z.optional(attributeName)])) as Record<Field, z.ZodMiniOptional<typeof attributeName>>), {}),
    z.transform((fields) => ({ ...fieldDefaults, ...Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) }) as Record<Field, string>),
  ),
  /** Custom attribute → the LDAP attribute that carries it (e.g. costCenter: extensionAttribute1). */
  attributes: z._default(z.record(z.string(), attributeName).check(z.superRefine(checkAttributeNames)), {}),
  /** Custom attribute → a group (its cn or DN): the attribute is "member" for everyone in the group, directly or through nested groups. */
  groups: z._default(z.record(z.string(), z.string().check(z.minLength(1))).check(z.superRefine(checkAttributeNames)), {}),
});
export type Settings = z.output<typeof SettingsSchema>;
