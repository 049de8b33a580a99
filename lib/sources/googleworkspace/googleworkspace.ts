import { sign } from 'node:crypto';
import * as z from '../../vocabulary/zod.js';
import { attributePathsSetting, attributesOf } from '../record-path.js';
import { defineRosterSource, type FetchContext } from '../source.js';
import { accessToken, directoryPage, directoryRequest, formBody } from '../directory-roster.js';

/**
 * Google Workspace's users as a roster (README, "Google Workspace"), read with the Admin SDK
 * Directory API ("Method: users.list"): `GET /admin/directory/v1/users?customer=…&maxResults=…`,
 * the next page asked for with `pageToken` set to the answer's `nextPageToken`. Its token comes from
 * a service account with domain-wide delegation, by the JWT bearer grant ("Using OAuth 2.0 for
 * Server to Server Applications"): a JWT signed RS256 with the account's private key, naming the
 * admin it acts for (`sub`), posted to the key's `token_uri`.
 */

const SCOPE = 'https://www.googleapis.com/auth/admin.directory.user.readonly';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const DEFAULT_TOKEN_URI = 'https://oauth2.googleapis.com/token';

/** `providers.googleworkspace` in the config file. */
const SettingsSchema = z.strictObject({
  enabled: z._default(z.boolean(), true),
  apiUrl: z._default(z.url(), 'https://admin.googleapis.com'),
  /** The account's customer id, or `my_customer` for the admin's own. */
  customer: z._default(z.string().check(z.minLength(1)), 'my_customer'),
  /** The super admin (or delegated admin) the service account acts for: domain-wide delegation needs one. */
  subject: z.email('must be the e-mail address of an admin the service account acts for'),
  /** Users per page: users.list answers at most 500. */
  pageSize: z._default(z.number().check(z.int(), z.minimum(1), z.maximum(500)), 500),
  /** Custom attribute → its path in the user resource (e.g. costCenter: organizations[primary=true].costCenter). */
  attributes: attributePathsSetting('organizations[primary=true].costCenter'),
});
type Settings = z.output<typeof SettingsSchema>;

/** A service account's JSON key, as Google Cloud's console downloads it (the fields this read uses). */
const ServiceAccountKeySchema = z.object({
  client_email: z.email(),
  private_key: z.string().check(z.startsWith('-----BEGIN PRIVATE KEY-----')),
  private_key_id: z.optional(z.string()),
  token_uri: z._default(z.string(), DEFAULT_TOKEN_URI),
});

const OrganizationSchema = z.looseObject({ title: z.nullish(z.string()), department: z.nullish(z.string()), primary: z.nullish(z.boolean()) });
const UserSchema = z.looseObject({
  id: z.string().check(z.minLength(1)),
  primaryEmail: z.string(),
  name: z.nullish(z.looseObject({ givenName: z.nullish(z.string()), familyName: z.nullish(z.string()), fullName: z.nullish(z.string()) })),
  suspended: z.nullish(z.boolean()),
  archived: z.nullish(z.boolean()),
  organizations: z.nullish(z.array(OrganizationSchema)),
  relations: z.nullish(z.array(z.looseObject({ type: z.string(), value: z.string() }))),
});
const UsersSchema = z.object({ users: z._default(z.array(UserSchema), []), nextPageToken: z.optional(z.string()) });

const base64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

/** The signed assertion of the JWT bearer grant: for `audience` (the token URI), acting for `subject`, valid an hour. */
export function serviceAccountAssertion(key: z.output<typeof ServiceAccountKeySchema>, subject: string, audience: string, now: Date): string {
  const iat = Math.floor(now.getTime() / 1000);
  const header = base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', ...(key.private_key_id ? { kid: key.private_key_id } : {}) }));
  const claims = base64url(JSON.stringify({ iss: key.client_email, sub: subject, scope: SCOPE, aud: audience, iat, exp: iat + 3600 }));
  return `${header}.${claims}.${base64url(sign('RSA-SHA256', Buffer.from(`${header}.${claims}`), key.private_key))}`;
}

function serviceAccountKey(credentials: string): z.output<typeof ServiceAccountKeySchema> {
  let json: unknown;
  try {
    json = JSON.parse(credentials);
  } catch {
    throw new Error('the googleworkspace credentials must be the service account\'s JSON key');
  }
  const key = ServiceAccountKeySchema.safeParse(json);
  if (!key.success) throw new Error(`the googleworkspace credentials are not a service account key: ${key.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
  return key.data;
}

function token(context: FetchContext<Settings>): Promise<string> {
  const key = serviceAccountKey(context.credentials);
  // A real key names Google's token endpoint; the emulator's key names one relative to its API.
  const tokenUrl = new URL(key.token_uri, `${context.apiUrl}/`).href;
  return accessToken('POST googleworkspace token', tokenUrl, () =>
    formBody({ grant_type: JWT_BEARER, assertion: serviceAccountAssertion(key, context.settings.subject, tokenUrl, new Date()) }), `${context.credentials}\n${context.settings.subject}`);
}

export const googleWorkspaceSource = defineRosterSource({
  name: 'googleworkspace',
  settings: SettingsSchema,

  /** `cursor` is the Directory API's `nextPageToken`. */
  async readRoster(context: FetchContext<Settings>, cursor: string | null) {
    const query = new URLSearchParams({ customer: context.settings.customer, maxResults: String(context.settings.pageSize), projection: 'full', orderBy: 'email' });
    if (cursor) query.set('pageToken', cursor);
    const { body } = await directoryRequest('GET googleworkspace /admin/directory/v1/users', `${context.apiUrl}/admin/directory/v1/users?${query}`, { headers: { authorization: `Bearer ${await token(context)}` } }, UsersSchema);
    const accounts = body.users.map((user) => {
      const organization = user.organizations?.find((entry) => entry.primary) ?? user.organizations?.[0];
      return {
        id: user.id,
        email: user.primaryEmail,
        firstName: user.name?.givenName,
        lastName: user.name?.familyName,
        displayName: user.name?.fullName,
        jobTitle: organization?.title,
        department: organization?.department,
        managerWorkEmail: user.relations?.find((relation) => relation.type === 'manager')?.value,
        // An archived user keeps their data but cannot sign in, like a suspended one.
        active: user.suspended !== true && user.archived !== true,
        attributes: attributesOf(user, context.settings.attributes),
      };
    });
    return directoryPage(accounts, body.nextPageToken ?? null);
  },
});
