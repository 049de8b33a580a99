import { randomBytes } from 'node:crypto';
import { basicHeader, type SourceApiEmulator, type SourceApiRequest } from '../source-emulator.js';

type Answer = ReturnType<SourceApiEmulator['handle']>;

const TOKEN_PATH = '/auth/oauth2/v2/token';
const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 1000;

/** Users by id, each stamped with `updated_at` as it is set. */
class StampedUsers extends Map<string, Record<string, unknown>> {
  override set(id: string, user: Record<string, unknown>): this {
    return super.set(id, { ...user, updated_at: new Date().toISOString() });
  }
}

/** OneLogin's cursors read as base64 of `limit=…&page=…` (the example of "Using Query Parameters"). */
const cursorOf = (limit: number, page: number) => Buffer.from(`limit=${limit}&page=${page}`).toString('base64');

/**
 * OneLogin API v2 (OneLogin API docs): "Generate Tokens" (`POST /auth/oauth2/v2/token`, the client
 * id and secret as HTTP Basic, `{"grant_type":"client_credentials"}`), and "List Users"
 * (`GET /api/2/users`, a bearer token) paged as "Using Query Parameters" documents: `limit` and
 * `page`, or `cursor` from the previous answer's `After-Cursor`/`Before-Cursor` header, with
 * `Total-Pages`, `Current-Page`, `Total-Count` and `Page-Items` headers.
 */
export function createEmulator(): SourceApiEmulator {
  const clientId = randomBytes(8).toString('hex');
  const clientSecret = randomBytes(16).toString('hex');
  const tokens = new Set<string>();
  const records = new StampedUsers();

  function issueToken({ headers, body }: SourceApiRequest): Answer {
    if (headers.authorization !== basicHeader(clientId, clientSecret)) return { status: 401, body: { statusCode: 401, name: 'Unauthorized', message: 'Authentication Failure' } };
    if (body.grant_type !== 'client_credentials') return { status: 400, body: { statusCode: 400, name: 'BadRequest', message: 'grant_type is invalid' } };
    const token = randomBytes(24).toString('hex');
    tokens.add(token);
    return { status: 200, body: { access_token: token, created_at: new Date().toISOString(), expires_in: 36_000, refresh_token: randomBytes(24).toString('hex'), token_type: 'bearer', account_id: 1 } };
  }

  function listUsers({ query }: SourceApiRequest): Answer {
    let limit = Number(query.get('limit') ?? DEFAULT_LIMIT);
    let page = Number(query.get('page') ?? 1);
    const cursor = query.get('cursor');
    if (cursor) {
      const fields = new URLSearchParams(Buffer.from(cursor, 'base64').toString('utf8'));
      [limit, page] = [Number(fields.get('limit')), Number(fields.get('page'))];
    }
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT || !Number.isInteger(page) || page < 1) return { status: 400, body: { statusCode: 400, name: 'BadRequest', message: 'limit, page or cursor is invalid' } };
    const users = [...records].map(([id, user]) => ({ id: Number(id), ...user })).sort((a, b) => a.id - b.id);
    const items = users.slice((page - 1) * limit, page * limit);
    const totalPages = Math.max(1, Math.ceil(users.length / limit));
    const headers: Record<string, string> = { 'total-pages': String(totalPages), 'current-page': String(page), 'total-count': String(users.length), 'page-items': String(items.length) };
    if (page < totalPages) headers['after-cursor'] = cursorOf(limit, page + 1);
    if (page > 1) headers['before-cursor'] = cursorOf(limit, page - 1);
    return { status: 200, body: items, headers };
  }

  return {
    records,
    credentials: `${clientId}:${clientSecret}`,
    // The token request authenticates itself (checked in issueToken).
    authorized: (headers, path) => path === TOKEN_PATH || tokens.has(headers.authorization?.replace(/^Bearer /i, '') ?? ''),
    handle(request) {
      if (request.method === 'POST' && request.path === TOKEN_PATH) return issueToken(request);
      if (request.method === 'GET' && request.path === '/api/2/users') return listUsers(request);
      return { status: 404, body: { statusCode: 404, name: 'NotFound', message: `no route ${request.method} ${request.path}` } };
    },
  };
}
