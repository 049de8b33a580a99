import * as z from '../../vocabulary/zod.js';
import { attributePathsSetting, attributesOf } from '../record-path.js';
import { defineRosterSource, type FetchContext } from '../source.js';
import { directoryPage, directoryRequest, nextLinkOn } from '../directory-roster.js';

/**
 * Okta's Universal Directory as a roster (README, "Okta"), read with the Users API ("List all
 * users", Okta Management API reference): `GET /api/v1/users`, an API token as
 * `Authorization: SSWS <token>`, pages linked by the `Link: <…>; rel="next"` header. Without a
 * search the list leaves DEPROVISIONED users out ("User query options": "Returns all users that
 * don't have a DEPROVISIONED status"): the read searches every status, so a deactivated user is
 * read as terminated instead of looking absent.
 */

/** Okta's user statuses ("User status", Users API): SUSPENDED and DEPROVISIONED users cannot sign in. */
const statuses = ['STAGED', 'PROVISIONED', 'ACTIVE', 'RECOVERY', 'LOCKED_OUT', 'PASSWORD_EXPIRED', 'SUSPENDED', 'DEPROVISIONED'] as const;
const inactive = new Set<string>(['SUSPENDED', 'DEPROVISIONED']);
export const EVERY_STATUS = statuses.map((status) => `status eq "${status}"`).join(' or ');

/** `providers.oktadirectory` in the config file. */
const SettingsSchema = z.strictObject({
  enabled: z._default(z.boolean(), true),
  /** https://<your Okta domain> */
  apiUrl: z.optional(z.url()),
  /** Users per page: Okta's list answers at most 200. */
  pageSize: z._default(z.number().check(z.int(), z.minimum(1), z.maximum(200)), 200),
  /** Custom attribute → its path in Okta's user object (e.g. costCenter: profile.costCenter). */
  attributes: attributePathsSetting('profile.costCenter'),
});
type Settings = z.output<typeof SettingsSchema>;

const OktaUserSchema = z.object({
  id: z.string().check(z.minLength(1)),
  status: z.string(),
  lastUpdated: z.nullish(z.string()),
  profile: z.record(z.string(), z.unknown()),
});
const UsersSchema = z.array(OktaUserSchema);

/** The `rel="next"` target of a Link header (several links arrive comma-separated). */
export function nextLink(header: string | null): string | null {
  for (const part of header?.split(',') ?? []) {
    const match = /^\s*<([^>]+)>\s*;\s*rel="?next"?\s*$/.exec(part);
    if (match) return match[1]!;
  }
  return null;
}

export const oktaDirectorySource = defineRosterSource({
  name: 'oktadirectory',
  settings: SettingsSchema,

  /** `cursor` is the next page's URL, as Okta's Link header gave it. */
  async readRoster(context: FetchContext<Settings>, cursor: string | null) {
    const operation = 'GET oktadirectory /api/v1/users';
    const url = cursor ? nextLinkOn(context.apiUrl, cursor, operation) : `${context.apiUrl}/api/v1/users?${new URLSearchParams({ limit: String(context.settings.pageSize), search: EVERY_STATUS })}`;
    const { body, headers } = await directoryRequest(operation, url, { headers: { authorization: `SSWS ${context.credentials}` } }, UsersSchema);
    const accounts = body.map((user) => ({
      id: user.id,
      email: user.profile.email,
      firstName: user.profile.firstName,
      lastName: user.profile.lastName,
      displayName: user.profile.displayName,
      jobTitle: user.profile.title,
      department: user.profile.department,
      active: !inactive.has(user.status),
      attributes: attributesOf(user, context.settings.attributes),
      modifiedAt: user.lastUpdated ?? null,
    }));
    return directoryPage(accounts, nextLink(headers.get('link')));
  },
});
