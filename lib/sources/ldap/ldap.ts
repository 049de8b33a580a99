import * as z from '../../vocabulary/zod.js';
import { checkAttributeNames } from '../record-path.js';
import { RosterUnreadableError, type RosterProblem } from '../roster.js';
import { credentialPair } from '../source-api.js';
import { defineRosterSource, type FetchContext, type LdapEntry } from '../source.js';
import { directoryPage, type DirectoryAccount } from '../directory-roster.js';

/**
 * An LDAP directory, Active Directory first, as a roster (README, "LDAP and Active Directory"): the
 * users under `baseDn` that `userFilter` selects, and the groups that `groupFilter` selects, whose
 * membership is flattened (a member of a group inside a group is a member of both; a loop of groups
 * ends). AD's `userAccountControl` flag ACCOUNTDISABLE (0x2, "User-Account-Control attribute",
 * Microsoft's AD schema reference) reads as terminated. The whole directory is one roster page: the
 * RFC 2696 paging cookie lives only as long as its connection, so a read is one connection.
 */

const ACCOUNTDISABLE = 0x2;
export const GROUP_MEMBER = 'member';

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
type Field = keyof typeof fieldDefaults;

/** `providers.ldap` in the config file. */
const SettingsSchema = z.strictObject({
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
type Settings = z.output<typeof SettingsSchema>;

/** A DN compared as LDAP compares it, near enough: case and the spaces around separators ignored. */
const dnKey = (dn: string) => dn.toLowerCase().replace(/\s*([,=+])\s*/g, '$1').trim();

function values(entry: LdapEntry, name: string): Array<string | Buffer> {
  const key = Object.keys(entry).find((attribute) => attribute.toLowerCase() === name.toLowerCase());
  const value = key === undefined ? undefined : entry[key];
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** AD's objectGUID bytes in their usual text form (the first three groups little-endian); other values as text. */
export function idText(value: string | Buffer): string {
  if (typeof value === 'string') return value;
  if (value.length !== 16) return value.toString('hex');
  const hex = (bytes: Buffer) => bytes.toString('hex');
  const reversed = (start: number, end: number) => hex(Buffer.from(value.subarray(start, end)).reverse());
  return `${reversed(0, 4)}-${reversed(4, 6)}-${reversed(6, 8)}-${hex(value.subarray(8, 10))}-${hex(value.subarray(10, 16))}`;
}

const first = (entry: LdapEntry, name: string) => {
  const value = values(entry, name)[0];
  return value === undefined ? null : value.toString();
};

/** Each configured group's members, nested groups followed (each group once: a loop ends), as DN keys; a group not found is a problem. */
function groupMembers(groups: readonly LdapEntry[], settings: Settings, problems: RosterProblem[]): Map<string, Set<string>> {
  const byDn = new Map(groups.map((group) => [dnKey(group.dn), group]));
  const byName = new Map(groups.map((group) => [String(first(group, 'cn') ?? '').toLowerCase(), group]));
  const members = new Map<string, Set<string>>();
  for (const [attribute, name] of Object.entries(settings.groups)) {
    const root = byDn.get(dnKey(name)) ?? byName.get(name.toLowerCase());
    if (!root) {
      problems.push({ at: `group "${name}"`, reason: `no group with this cn or DN matches ${settings.groupFilter} under ${settings.groupBaseDn ?? settings.baseDn}` });
      continue;
    }
    const found = new Set<string>();
    const seen = new Set<string>([dnKey(root.dn)]);
    const queue = [root];
    for (let group = queue.shift(); group; group = queue.shift()) {
      // Past 1,500 members AD answers `member;range=0-1499` instead of `member`: read as empty, everyone would lose the group.
      if (Object.keys(group).some((key) => /^member;range=/i.test(key))) {
        throw new RosterUnreadableError(`group ${group.dn} has more members than AD answers at once (ranged retrieval is not read yet): nothing was changed`);
      }
      for (const member of values(group, 'member').map((dn) => dnKey(dn.toString()))) {
        const nested = byDn.get(member);
        if (!nested) found.add(member);
        else if (!seen.has(member)) {
          seen.add(member);
          queue.push(nested);
        }
      }
    }
    members.set(attribute, found);
  }
  return members;
}

/** The directory's users as accounts: fields from their attributes, groups flattened, disabled accounts inactive. */
export function ldapAccounts(users: readonly LdapEntry[], groups: readonly LdapEntry[], settings: Settings): { accounts: DirectoryAccount[]; problems: RosterProblem[] } {
  const problems: RosterProblem[] = [];
  const members = groupMembers(groups, settings, problems);
  const field = (entry: LdapEntry, name: Field) => first(entry, settings.fields[name]);
  const emailByDn = new Map(users.map((user) => [dnKey(user.dn), field(user, 'email')]));
  const accounts: DirectoryAccount[] = [];
  for (const user of users) {
    const id = values(user, settings.fields.id)[0];
    if (id === undefined) {
      problems.push({ at: user.dn, reason: `has no ${settings.fields.id}: it cannot be told apart from another account` });
      continue;
    }
    const control = Number(first(user, 'userAccountControl') ?? 0);
    const manager = field(user, 'manager');
    accounts.push({
      id: idText(id),
      email: field(user, 'email'),
      firstName: field(user, 'firstName'),
      lastName: field(user, 'lastName'),
      displayName: field(user, 'displayName'),
      jobTitle: field(user, 'jobTitle'),
      department: field(user, 'department'),
      managerWorkEmail: manager === null ? null : (emailByDn.get(dnKey(manager)) ?? null),
      active: (control & ACCOUNTDISABLE) === 0,
      attributes: {
        ...Object.fromEntries(Object.entries(settings.attributes).map(([name, ldapAttribute]) => [name, first(user, ldapAttribute)])),
        ...Object.fromEntries([...members].map(([name, dns]) => [name, dns.has(dnKey(user.dn)) ? GROUP_MEMBER : null])),
      },
    });
  }
  return { accounts, problems };
}

export const ldapSource = defineRosterSource({
  name: 'ldap',
  settings: SettingsSchema,

  /** `context.apiUrl` is the server's ldap(s):// URL; the credentials are `<bind DN or UPN>:<password>`. */
  async readRoster(context: FetchContext<Settings>) {
    const { settings } = context;
    const [bindDn, password] = credentialPair(context.credentials, 'ldap');
    const fields = [...new Set([...Object.values(settings.fields), ...Object.values(settings.attributes), 'userAccountControl'])];
    if (!context.searchDirectory) throw new Error('this function reads no LDAP directory: only the roster read and the reconciliation have an LDAP client');
    const [users, groups] = await context.searchDirectory(context.apiUrl, bindDn, password, settings.pageSize, [
      { base: settings.baseDn, filter: settings.userFilter, attributes: fields, binary: ['objectGUID'] },
      // Groups only when a setting names one: a directory's groups can outnumber its users.
      ...(Object.keys(settings.groups).length > 0 ? [{ base: settings.groupBaseDn ?? settings.baseDn, filter: settings.groupFilter, attributes: ['cn', 'member'], binary: [] }] : []),
    ]);
    const read = ldapAccounts(users!, groups ?? [], settings);
    const page = directoryPage(read.accounts, null);
    return { ...page, problems: [...read.problems, ...page.problems] };
  },
});
