import { generateKeyPairSync, randomBytes, verify } from 'node:crypto';
import type { SourceApiEmulator, SourceApiRequest } from '../source-emulator.js';

type Answer = ReturnType<SourceApiEmulator['handle']>;

const SCOPE = 'https://www.googleapis.com/auth/admin.directory.user.readonly';
const MAX_RESULTS = 500;
const DEFAULT_RESULTS = 100;
/** Google accepts assertions at most an hour long, and tolerates a little clock skew. */
const MAX_LIFETIME_S = 3600;
const SKEW_S = 300;

const oauthError = (error: string, description: string): Answer => ({ status: 400, body: { error, error_description: description } });
const apiError = (status: number, message: string): Answer => ({ status, body: { error: { code: status, message, errors: [{ message, domain: 'global', reason: status === 400 ? 'badRequest' : 'authError' }] } } });
const decode = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;

/**
 * Google's OAuth token endpoint for service accounts and the Admin SDK Directory API's users.list.
 * The token endpoint takes the JWT bearer grant ("Using OAuth 2.0 for Server to Server
 * Applications"): `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer` and an RS256 `assertion`
 * whose claims name the service account (`iss`), the admin it acts for (`sub`), the scope, the token
 * endpoint (`aud`), and `iat`/`exp` at most an hour apart; it is checked against the key pair this
 * emulator issued. users.list ("Method: users.list") takes `customer` (or `domain`), `maxResults`
 * (1 to 500, default 100), `orderBy` and `pageToken`, and answers `users` (left out when there are
 * none) and `nextPageToken` while more remain.
 */
export function createEmulator(): SourceApiEmulator {
  // Google's keys are 2048-bit; 1024 signs the same way and is made in a tenth of the time (every local runtime makes one).
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
  const clientEmail = 'lifecycle-roster@example-project.iam.gserviceaccount.com';
  const keyId = randomBytes(20).toString('hex');
  const tokens = new Set<string>();
  const pageTokens = new Map<string, { order: string | null; size: number; offset: number }>();
  const records = new Map<string, Record<string, unknown>>();

  function issueToken({ body, headers }: SourceApiRequest): Answer {
    if (body.grant_type !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') return oauthError('unsupported_grant_type', 'Invalid grant_type: ' + String(body.grant_type));
    const parts = String(body.assertion ?? '').split('.');
    if (parts.length !== 3) return oauthError('invalid_request', 'Invalid JWT: Token must be a short-lived token and in a reasonable timeframe');
    const [header, claims, signature] = parts as [string, string, string];
    let head, claim;
    try {
      [head, claim] = [decode(header), decode(claims)];
    } catch {
      return oauthError('invalid_request', 'Invalid JWT: not base64url JSON');
    }
    if (head.alg !== 'RS256' || !verify('RSA-SHA256', Buffer.from(`${header}.${claims}`), publicKey, Buffer.from(signature, 'base64url'))) return oauthError('invalid_grant', 'Invalid JWT Signature.');
    if (claim.iss !== clientEmail) return oauthError('invalid_grant', 'Invalid issuer: no such service account');
    if (claim.aud !== `http://${headers.host}/googleworkspace/token`) return oauthError('invalid_grant', 'Invalid JWT: audience must be the token endpoint');
    const now = Math.floor(Date.now() / 1000);
    const [iat, exp] = [Number(claim.iat), Number(claim.exp)];
    if (!(exp > iat && exp - iat <= MAX_LIFETIME_S && iat <= now + SKEW_S && exp >= now - SKEW_S)) return oauthError('invalid_grant', 'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.');
    if (!String(claim.scope ?? '').split(' ').includes(SCOPE)) return oauthError('invalid_scope', 'Invalid OAuth scope or ID token audience provided.');
    // Without a subject the service account acts for itself, and the Directory API refuses it.
    if (typeof claim.sub !== 'string' || claim.sub === '') return oauthError('unauthorized_client', 'Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.');
    const token = `ya29.${randomBytes(32).toString('base64url')}`;
    tokens.add(token);
    return { status: 200, body: { access_token: token, expires_in: 3599, token_type: 'Bearer' } };
  }

  function listUsers({ query }: SourceApiRequest): Answer {
    if (!query.get('customer') && !query.get('domain')) return apiError(400, 'Bad Request');
    const pageToken = query.get('pageToken');
    const resumed = pageToken === null ? null : pageTokens.get(pageToken);
    if (pageToken !== null && !resumed) return apiError(400, 'Invalid Input: pageToken');
    const size = resumed?.size ?? Number(query.get('maxResults') ?? DEFAULT_RESULTS);
    if (!Number.isInteger(size) || size < 1 || size > MAX_RESULTS) return apiError(400, 'Invalid Input: maxResults');
    const order = resumed?.order ?? query.get('orderBy');
    const all = [...records].map(([id, user]): Record<string, unknown> => ({ kind: 'admin#directory#user', id, ...user }));
    if (order === 'email') all.sort((a, b) => String(a.primaryEmail).localeCompare(String(b.primaryEmail)));
    const offset = resumed?.offset ?? 0;
    const users = all.slice(offset, offset + size);
    const body: Record<string, unknown> = { kind: 'admin#directory#users', etag: `"${randomBytes(8).toString('hex')}"` };
    if (users.length > 0) body.users = users;
    if (offset + size < all.length) {
      const next = randomBytes(24).toString('base64url');
      pageTokens.set(next, { order, size, offset: offset + size });
      body.nextPageToken = next;
    }
    return { status: 200, body };
  }

  return {
    records,
    // A service account's JSON key, its token endpoint relative to the emulated API (lib/sources/googleworkspace/googleworkspace.ts).
    credentials: JSON.stringify({
      type: 'service_account',
      project_id: 'example-project',
      private_key_id: keyId,
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      client_email: clientEmail,
      token_uri: 'token',
    }),
    // The token request authenticates itself by its signed assertion (checked in issueToken).
    authorized: (headers, path) => path === '/token' || tokens.has(headers.authorization?.replace(/^Bearer /, '') ?? ''),
    handle(request) {
      if (request.method === 'POST' && request.path === '/token') return issueToken(request);
      if (request.method === 'GET' && request.path === '/admin/directory/v1/users') return listUsers(request);
      return apiError(404, `no route ${request.method} ${request.path}`);
    },
  };
}
