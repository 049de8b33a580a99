import { randomBytes, randomUUID } from 'node:crypto';
import type { SourceApiEmulator, SourceApiRequest } from '../source-emulator.js';

type Answer = ReturnType<SourceApiEmulator['handle']>;

/** The emulated app registration's tenant (`providers.entradirectory.tenantId`), as Microsoft's examples name one. */
export const EMULATED_TENANT = 'contoso.onmicrosoft.com';
const TOKEN_PATH = /^\/([\w.-]+)\/oauth2\/v2\.0\/token$/;
/** Users per delta page without `Prefer: odata.maxpagesize` (Graph decides; it may answer fewer than asked). */
const DEFAULT_PAGE_SIZE = 100;
/** What `GET /users/delta` answers without `$select` ("List users", Microsoft Graph v1.0: the default properties). */
const DEFAULT_PROPERTIES = ['businessPhones', 'displayName', 'givenName', 'jobTitle', 'mail', 'mobilePhone', 'officeLocation', 'preferredLanguage', 'surname', 'userPrincipalName', 'id'];

/** One delta round: its answers, computed when it started, and each user's state it ends in. */
interface Round {
  select: string | null;
  items: Record<string, unknown>[];
  seen: Map<string, string>;
}

const graphError = (status: number, code: string, message: string): Answer => ({ status, body: { error: { code, message } } });

/**
 * Microsoft Graph's "user: delta" (v1.0) behind the Microsoft identity platform's client credentials
 * grant ("Get access without a user"), one loopback server standing for both hosts:
 * `POST /{tenant}/oauth2/v2.0/token` (form fields client_id, client_secret, scope
 * `https://graph.microsoft.com/.default`, grant_type) and `GET /v1.0/users/delta`, as "Use delta
 * query to track changes in Microsoft Graph data" and "Get incremental changes for users" describe
 * it: a round without a state token lists every user (the initial full synchronization); its pages
 * link the next by an absolute `@odata.nextLink` with a `$skiptoken`, and its last page carries an
 * `@odata.deltaLink` with a `$deltatoken`, which later answers only what changed since: changed or
 * new users whole (their selected properties, changed or not), deleted ones as `{ id, "@removed":
 * { reason: "changed" } }` (deleted users stay restorable for 30 days). `$select` is given on the
 * first request only and carried by the tokens; `$top` is not supported, the page size is the
 * `Prefer: odata.maxpagesize` header's.
 */
export function createEmulator(): SourceApiEmulator {
  const clientId = randomUUID();
  const clientSecret = randomBytes(18).toString('base64url');
  const tokens = new Set<string>();
  const records = new Map<string, Record<string, unknown>>();
  /** A delta token: the selected properties, and each user as they were when its round started. */
  const deltaTokens = new Map<string, { select: string | null; seen: Map<string, string> }>();
  /** A skip token: the rest of a round (its answers, computed when it started) and the state it ends in. */
  const skipTokens = new Map<string, { round: Round; offset: number }>();

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

  const project = (id: string, user: Record<string, unknown>, properties: readonly string[]) => Object.fromEntries(properties.map((name) => [name, name === 'id' ? id : (user[name] ?? null)]));

  /** What changed since `since` (everyone, on an initial round), and the state this round ends in. */
  function startRound(select: string | null, since: Map<string, string>): Round {
    const properties = select ? select.split(',') : DEFAULT_PROPERTIES;
    const seen = new Map([...records].map(([id, user]) => [id, JSON.stringify(project(id, user, properties))]));
    const changed = [...seen].filter(([id, state]) => since.get(id) !== state).map(([id, state]) => ({ id, item: JSON.parse(state) as Record<string, unknown> }));
    const removed = [...since.keys()].filter((id) => !seen.has(id)).map((id) => ({ id, item: { id, '@removed': { reason: 'changed' } } }));
    return { select, seen, items: [...changed, ...removed].sort((a, b) => a.id.localeCompare(b.id)).map(({ item }) => item) };
  }

  function delta({ query, headers }: SourceApiRequest): Answer {
    if (query.has('$top')) return graphError(400, 'Request_UnsupportedQuery', 'The $top query parameter is not supported with delta; use the Prefer: odata.maxpagesize header.');
    const pageSize = Math.max(1, Number(/odata\.maxpagesize=(\d+)/.exec(String(headers.prefer ?? ''))?.[1] ?? DEFAULT_PAGE_SIZE));
    const skipToken = query.get('$skiptoken');
    const deltaToken = query.get('$deltatoken');
    let page: { round: Round; offset: number };
    if (skipToken !== null) {
      const resumed = skipTokens.get(skipToken);
      if (!resumed) return graphError(400, 'Directory_ExpiredPageToken', 'The specified page token value has expired and can no longer be included in your request.');
      page = resumed;
    } else if (deltaToken !== null) {
      const since = deltaTokens.get(deltaToken);
      // The overview's "synchronization reset": an unknown or expired state token answers 410 Gone, and the client starts a full round again.
      if (!since) return graphError(410, 'SyncStateNotFound', 'The sync state generation is not found. Please start a new full synchronization.');
      page = { round: startRound(since.select, since.seen), offset: 0 };
    } else {
      page = { round: startRound(query.get('$select'), new Map()), offset: 0 };
    }
    const { round, offset } = page;
    const body: Record<string, unknown> = { '@odata.context': `https://graph.microsoft.com/v1.0/$metadata#users(${round.select ?? DEFAULT_PROPERTIES.join(',')})`, value: round.items.slice(offset, offset + pageSize) };
    const token = randomBytes(12).toString('hex');
    if (offset + pageSize < round.items.length) {
      skipTokens.set(token, { round, offset: offset + pageSize });
      body['@odata.nextLink'] = `http://${headers.host}/entradirectory/v1.0/users/delta?$skiptoken=${token}`;
    } else {
      deltaTokens.set(token, { select: round.select, seen: round.seen });
      body['@odata.deltaLink'] = `http://${headers.host}/entradirectory/v1.0/users/delta?$deltatoken=${token}`;
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
      if (request.method === 'GET' && request.path === '/v1.0/users/delta') return delta(request);
      return graphError(400, 'BadRequest', `Resource not found for the segment '${request.path}'.`);
    },
  };
}
