import { randomBytes, randomUUID } from 'node:crypto';
import type { SourceApiEmulator, SourceApiRequest } from '../source-emulator.js';

type Answer = ReturnType<SourceApiEmulator['handle']>;

/** The emulated app registration's tenant (`providers.entradirectory.tenantId`), as Microsoft's examples name one. */
export const EMULATED_TENANT = 'contoso.onmicrosoft.com';
const TOKEN_PATH = /^\/([\w.-]+)\/oauth2\/v2\.0\/token$/;
const MAX_TOP = 999;
const DEFAULT_TOP = 100;
/** What `GET /users` answers without `$select` ("List users", Microsoft Graph v1.0: the default properties). */
const DEFAULT_PROPERTIES = ['businessPhones', 'displayName', 'givenName', 'jobTitle', 'mail', 'mobilePhone', 'officeLocation', 'preferredLanguage', 'surname', 'userPrincipalName', 'id'];

const graphError = (status: number, code: string, message: string): Answer => ({ status, body: { error: { code, message } } });

/**
 * Microsoft Graph's "List users" (v1.0) behind the Microsoft identity platform's client credentials
 * grant ("Get access without a user"), one loopback server standing for both hosts:
 * `POST /{tenant}/oauth2/v2.0/token` (form fields client_id, client_secret, scope
 * `https://graph.microsoft.com/.default`, grant_type) and `GET /v1.0/users` with `$select` (only
 * the selected properties, else the default ones) and `$top` (1 to 999, default 100), each page
 * linking the next by an absolute `@odata.nextLink` with a `$skiptoken` ("Paging Microsoft Graph data").
 */
export function createEmulator(): SourceApiEmulator {
  const clientId = randomUUID();
  const clientSecret = randomBytes(18).toString('base64url');
  const tokens = new Set<string>();
  const records = new Map<string, Record<string, unknown>>();
  /** Skip tokens stand for the rest of a read: its select, its page size and where it stopped. */
  const skipTokens = new Map<string, { select: string | null; top: number; offset: number }>();

  function issueToken(path: string, body: Record<string, unknown>): Answer {
    if (TOKEN_PATH.exec(path)![1] !== EMULATED_TENANT) return { status: 400, body: { error: 'invalid_tenant', error_description: `AADSTS90002: Tenant '${TOKEN_PATH.exec(path)![1]}' not found.` } };
    if (body.grant_type !== 'client_credentials') return { status: 400, body: { error: 'unsupported_grant_type', error_description: 'AADSTS70003' } };
    if (body.client_id !== clientId || body.client_secret !== clientSecret) return { status: 401, body: { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.' } };
    // Graph's scope is https://graph.microsoft.com/.default; here Graph is this server, so the resource is its own origin.
    if (!String(body.scope).endsWith('/.default')) return { status: 400, body: { error: 'invalid_scope', error_description: 'AADSTS1002012: The provided value for scope is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier.' } };
    const token = randomBytes(32).toString('base64url');
    tokens.add(token);
    return { status: 200, body: { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: token } };
  }

  function listUsers({ query, headers }: SourceApiRequest): Answer {
    const skipToken = query.get('$skiptoken');
    const resumed = skipToken === null ? null : skipTokens.get(skipToken);
    if (skipToken !== null && !resumed) return graphError(400, 'Directory_ExpiredPageToken', 'The specified page token value has expired and can no longer be included in your request.');
    const top = resumed?.top ?? Number(query.get('$top') ?? DEFAULT_TOP);
    if (!Number.isInteger(top) || top < 1 || top > MAX_TOP) return graphError(400, 'Request_UnsupportedQuery', `Invalid page size specified: '${query.get('$top')}'. Must be between 1 and ${MAX_TOP} inclusive.`);
    const select = resumed ? resumed.select : query.get('$select');
    const properties = select ? select.split(',') : DEFAULT_PROPERTIES;
    const offset = resumed?.offset ?? 0;
    const users = [...records].sort(([a], [b]) => a.localeCompare(b)).slice(offset, offset + top);
    const value = users.map(([id, user]) => Object.fromEntries(properties.map((name) => [name, name === 'id' ? id : (user[name] ?? null)])));
    const body: Record<string, unknown> = { '@odata.context': `https://graph.microsoft.com/v1.0/$metadata#users(${properties.join(',')})`, value };
    if (offset + top < records.size) {
      const next = randomBytes(12).toString('hex');
      skipTokens.set(next, { select, top, offset: offset + top });
      body['@odata.nextLink'] = `http://${headers.host}/entradirectory/v1.0/users?$skiptoken=${next}`;
    }
    return { status: 200, body };
  }

  return {
    records,
    credentials: `${clientId}:${clientSecret}`,
    // The token request authenticates itself (checked in issueToken).
    authorized: (headers, path) => TOKEN_PATH.test(path) || tokens.has(headers.authorization?.replace(/^Bearer /, '') ?? ''),
    handle(request) {
      if (request.method === 'POST' && TOKEN_PATH.test(request.path)) return issueToken(request.path, request.body);
      if (request.method === 'GET' && request.path === '/v1.0/users') return listUsers(request);
      return graphError(400, 'BadRequest', `Resource not found for the segment '${request.path}'.`);
    },
  };
}
