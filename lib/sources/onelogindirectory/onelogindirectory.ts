import * as z from '../../vocabulary/zod.js';
import { attributePathsSetting, attributesOf } from '../record-path.js';
import { basicAuth, credentialPair } from '../source-api.js';
import { defineRosterSource, type FetchContext } from '../source.js';
import { accessToken, directoryPage, directoryRequest } from '../directory-roster.js';

/**
 * OneLogin's users as a roster (README, "OneLogin"), read with API v2 ("List Users", OneLogin API
 * docs): an access token from `POST /auth/oauth2/v2/token` (client credentials, "Generate Tokens"),
 * then `GET /api/2/users`, the next page asked for with `cursor=` set to the answer's `After-Cursor`
 * header ("Using Query Parameters", Pagination); the last page has none.
 */

/** OneLogin's `status` 2 is Suspended; `state` 2 is Rejected ("User Resource", OneLogin API docs): neither can sign in. */
const SUSPENDED = 2;
const REJECTED = 2;

/** `providers.onelogindirectory` in the config file. */
const SettingsSchema = z.strictObject({
  enabled: z._default(z.boolean(), true),
  /** https://<subdomain>.onelogin.com (or https://api.<us|eu>.onelogin.com) */
  apiUrl: z.optional(z.url()),
  pageSize: z._default(z.number().check(z.int(), z.minimum(1), z.maximum(1000)), 100),
  /** Custom attribute → its path in OneLogin's user object (e.g. costCenter: custom_attributes.cost_center). */
  attributes: attributePathsSetting('custom_attributes.cost_center'),
});
type Settings = z.output<typeof SettingsSchema>;

const UserSchema = z.looseObject({
  id: z.pipe(z.union([z.number().check(z.int()), z.string().check(z.minLength(1))]), z.transform(String)),
  email: z.nullish(z.string()),
  firstname: z.nullish(z.string()),
  lastname: z.nullish(z.string()),
  title: z.nullish(z.string()),
  department: z.nullish(z.string()),
  status: z.nullish(z.number()),
  state: z.nullish(z.number()),
  updated_at: z.nullish(z.string()),
});
const UsersSchema = z.array(UserSchema);

function token(context: FetchContext<Settings>): Promise<string> {
  const [clientId, clientSecret] = credentialPair(context.credentials, 'onelogindirectory');
  return accessToken('POST onelogindirectory /auth/oauth2/v2/token', `${context.apiUrl}/auth/oauth2/v2/token`, () => ({
    headers: { authorization: basicAuth(clientId, clientSecret), 'content-type': 'application/json' },
    body: JSON.stringify({ grant_type: 'client_credentials' }),
  }), context.credentials);
}

export const oneLoginDirectorySource = defineRosterSource({
  name: 'onelogindirectory',
  settings: SettingsSchema,

  /** `cursor` is OneLogin's `After-Cursor`. */
  async readRoster(context: FetchContext<Settings>, cursor: string | null) {
    const query = new URLSearchParams({ limit: String(context.settings.pageSize) });
    if (cursor) query.set('cursor', cursor);
    const { body, headers } = await directoryRequest('GET onelogindirectory /api/2/users', `${context.apiUrl}/api/2/users?${query}`, { headers: { authorization: `Bearer ${await token(context)}` } }, UsersSchema);
    const accounts = body.map((user) => ({
      id: user.id,
      email: user.email,
      firstName: user.firstname,
      lastName: user.lastname,
      jobTitle: user.title,
      department: user.department,
      active: user.status !== SUSPENDED && user.state !== REJECTED,
      attributes: attributesOf(user, context.settings.attributes),
      modifiedAt: user.updated_at ?? null,
    }));
    return directoryPage(accounts, headers.get('after-cursor') || null);
  },
});
