import { RosterUnreadableError, type RosterProblem } from '../roster.js';
import type { LdapEntry } from '../source.js';
import type { DirectoryAccount } from '../directory-roster.js';
import type { Field, Settings } from './settings.js';

/**
 * LDAP entries as roster accounts: flattened group membership and AD's disabled flag. Loaded by the
 * roster read only (lib/sources/ldap/ldap.ts), so that the functions that read no directory do not carry it.
 */
const ACCOUNTDISABLE = 0x2;
export const GROUP_MEMBER = 'member';

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
