import * as z from '../../vocabulary/zod.js';
import { attributePathsSetting, attributesOf, parseRecordPath } from '../record-path.js';
import { RosterResyncError } from '../roster.js';
import { credentialPair, ProviderApiError } from '../source-api.js';
import { defineRosterSource, type FetchContext } from '../source.js';
import { accessToken, directoryPage, directoryRequest, formBody, nextLinkOn } from '../directory-roster.js';

/**
 * Microsoft Entra ID's users as a roster (README, "Microsoft Entra ID"), read with Microsoft Graph's
 * delta query ("user: delta", "Get incremental changes for users", Microsoft Graph v1.0): an
 * app-only token by the client credentials grant ("Get access without a user", Microsoft identity
 * platform), then `GET /v1.0/users/delta` with `$select` (accountEnabled and department come only
 * when selected) and `Prefer: odata.maxpagesize`, following `@odata.nextLink` to the last page,
 * whose `@odata.deltaLink` is where the next read starts: it answers only the users changed since,
 * and the deleted ones as `@removed` (docs/design.md, decision 11).
 */

/** What the read selects, besides the attributes' own properties. */
const SELECT = ['id', 'accountEnabled', 'mail', 'userPrincipalName', 'givenName', 'surname', 'displayName', 'jobTitle', 'department'];

/** `providers.entradirectory` in the config file. */
const SettingsSchema = z.strictObject({
  enabled: z._default(z.boolean(), true),
  /** The directory (tenant) id of the app registration. */
  tenantId: z.string().check(z.regex(/^[\w.-]+$/, 'must be the directory (tenant) id or domain')),
  /** Microsoft Graph; a national cloud's Graph endpoint where the tenant lives there. */
  apiUrl: z._default(z.url(), 'https://graph.microsoft.com'),
  /** The Microsoft identity platform's authority host, where the token comes from. */
  loginUrl: z._default(z.url(), 'https://login.microsoftonline.com'),
  /** Users per page asked for (`Prefer: odata.maxpagesize`); Graph may answer fewer. */
  pageSize: z._default(z.number().check(z.int(), z.minimum(1), z.maximum(999)), 999),
  /** Custom attribute → its path in Graph's user object (e.g. costCenter: employeeOrgData.costCenter); its first name is added to `$select`. */
  attributes: attributePathsSetting('employeeOrgData.costCenter'),
});
type Settings = z.output<typeof SettingsSchema>;

const UserSchema = z.looseObject({
  id: z.string().check(z.minLength(1)),
  accountEnabled: z.nullish(z.boolean()),
  mail: z.nullish(z.string()),
  userPrincipalName: z.nullish(z.string()),
  givenName: z.nullish(z.string()),
  surname: z.nullish(z.string()),
  displayName: z.nullish(z.string()),
  jobTitle: z.nullish(z.string()),
  department: z.nullish(z.string()),
  /** A user deleted since the delta token's round (`reason` changed: restorable for 30 days; deleted: for good). */
  '@removed': z.optional(z.object({ reason: z.string() })),
});
const DeltaSchema = z.object({ value: z.array(UserSchema), '@odata.nextLink': z.optional(z.string()), '@odata.deltaLink': z.optional(z.string()) });

function token(context: FetchContext<Settings>): Promise<string> {
  const [clientId, clientSecret] = credentialPair(context.credentials, 'entradirectory');
  const tokenUrl = `${context.settings.loginUrl.replace(/\/+$/, '')}/${encodeURIComponent(context.settings.tenantId)}/oauth2/v2.0/token`;
  return accessToken('POST entradirectory /oauth2/v2.0/token', tokenUrl, () =>
    formBody({ client_id: clientId, client_secret: clientSecret, scope: `${new URL(context.apiUrl).origin}/.default`, grant_type: 'client_credentials' }), context.credentials);
}

/** The properties to `$select`: the record's, and the first name of each attribute's path. */
const selected = (settings: Settings) => [...new Set([...SELECT, ...Object.values(settings.attributes).map((path) => parseRecordPath(path)![0]!.name)])].join(',');

export const entraDirectorySource = defineRosterSource({
  name: 'entradirectory',
  settings: SettingsSchema,

  /** `cursor` is Graph's `@odata.nextLink`, or the last read's `@odata.deltaLink` (its `$select` travels in the token). */
  async readRoster(context: FetchContext<Settings>, cursor: string | null) {
    const operation = 'GET entradirectory /v1.0/users/delta';
    const url = cursor ? nextLinkOn(context.apiUrl, cursor, operation) : `${context.apiUrl}/v1.0/users/delta?${new URLSearchParams({ $select: selected(context.settings) })}`;
    const headers = { authorization: `Bearer ${await token(context)}`, prefer: `odata.maxpagesize=${context.settings.pageSize}` };
    const { body } = await directoryRequest(operation, url, { headers }, DeltaSchema).catch((error: unknown) => {
      // "Use delta query…": a state token Graph no longer knows answers 410 Gone, and the sync starts over with a full round.
      throw error instanceof ProviderApiError && error.status === 410 ? new RosterResyncError(`${operation}: Graph no longer knows the last read's delta token; the next read reads every user`) : error;
    });
    const accounts = body.value.filter((user) => !user['@removed']).map((user) => ({
      id: user.id,
      // Guests and some synced users have no mail: their sign-in name is their address.
      email: user.mail ?? user.userPrincipalName,
      firstName: user.givenName,
      lastName: user.surname,
      displayName: user.displayName,
      jobTitle: user.jobTitle,
      department: user.department,
      active: user.accountEnabled !== false,
      attributes: attributesOf(user, context.settings.attributes),
    }));
    const removed = body.value.filter((user) => user['@removed']).map((user) => user.id);
    const deltaLink = body['@odata.deltaLink'];
    return { ...directoryPage(accounts, body['@odata.nextLink'] ?? null), removed, ...(deltaLink ? { resume: nextLinkOn(context.apiUrl, deltaLink, operation) } : {}) };
  },
});
