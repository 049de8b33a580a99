import { credentialPair } from '../source-api.js';
import { defineRosterSource, type FetchContext } from '../source.js';
import { directoryPage } from '../directory-roster.js';
import { SettingsSchema, type Settings } from './settings.js';

/**
 * An LDAP directory, Active Directory first, as a roster (README, "LDAP and Active Directory"): the
 * users under `baseDn` that `userFilter` selects, and the groups that `groupFilter` selects, whose
 * membership is flattened (a member of a group inside a group is a member of both; a loop of groups
 * ends). AD's `userAccountControl` flag ACCOUNTDISABLE (0x2, "User-Account-Control attribute",
 * Microsoft's AD schema reference) reads as terminated. The whole directory is one roster page: the
 * RFC 2696 paging cookie lives only as long as its connection, so a read is one connection. Its
 * settings are in settings.ts; the mapping of entries to accounts (accounts.ts) loads with the read.
 */

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
    const { ldapAccounts } = await import('./accounts.js');
    const read = ldapAccounts(users!, groups ?? [], settings);
    const page = directoryPage(read.accounts, null);
    return { ...page, problems: [...read.problems, ...page.problems] };
  },
});
