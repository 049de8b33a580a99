import { randomBytes } from 'node:crypto';
import type { SourceApiEmulator, SourceApiRequest } from '../source-emulator.js';

type Answer = ReturnType<SourceApiEmulator['handle']>;
type OktaUser = Record<string, unknown> & { status?: string };

const MAX_LIMIT = 200;
const STATUS_TERM = /^status eq "([A-Z_]+)"$/;

/** Users by id, each stamped with `lastUpdated` as it is set (Okta's own change time). */
class StampedUsers extends Map<string, OktaUser> {
  override set(id: string, user: OktaUser): this {
    return super.set(id, { ...user, lastUpdated: new Date().toISOString() });
  }
}

/** The statuses a `search` of `status eq "…"` terms joined by `or` asks for; null for any other expression (not emulated). */
function searchedStatuses(search: string): Set<string> | null {
  const statuses = search.split(' or ').map((term) => STATUS_TERM.exec(term.trim())?.[1]);
  return statuses.every((status) => status !== undefined) ? new Set(statuses as string[]) : null;
}

/**
 * Okta's Users API, "List all users" (Okta Management API reference): `GET /api/v1/users` with an
 * API token (`Authorization: SSWS <token>`), at most 200 users a page, ordered by id, the next page
 * named by an opaque `after` cursor in a `Link: <…>; rel="next"` header, the last page without one.
 * Without `search`, DEPROVISIONED users are left out ("User query options"); a `search` of status
 * terms returns exactly those statuses.
 */
export function createEmulator(): SourceApiEmulator {
  const token = randomBytes(16).toString('hex');
  const records = new StampedUsers();

  function listUsers({ query, headers }: SourceApiRequest): Answer {
    const limit = Math.min(Number(query.get('limit') ?? MAX_LIMIT), MAX_LIMIT);
    if (!Number.isInteger(limit) || limit < 1) return { status: 400, body: { errorCode: 'E0000001', errorSummary: 'Api validation failed: limit' } };
    const search = query.get('search');
    const wanted = search === null ? null : searchedStatuses(search);
    if (search !== null && !wanted) return { status: 400, body: { errorCode: 'E0000031', errorSummary: 'Invalid search.' } };
    const matching = [...records]
      .filter(([, user]) => (wanted ? wanted.has(user.status ?? 'ACTIVE') : user.status !== 'DEPROVISIONED'))
      .sort(([a], [b]) => a.localeCompare(b));
    const after = query.get('after');
    const start = after === null ? 0 : matching.findIndex(([id]) => id > after);
    const page = start < 0 ? [] : matching.slice(start, start + limit);
    const base = `http://${headers.host}/oktadirectory/api/v1/users`;
    const self = new URLSearchParams(query);
    const links = [`<${base}?${self}>; rel="self"`];
    if (start >= 0 && start + limit < matching.length) {
      const next = new URLSearchParams(query);
      next.set('after', page.at(-1)![0]);
      next.set('limit', String(limit));
      links.push(`<${base}?${next}>; rel="next"`);
    }
    return { status: 200, body: page.map(([id, user]) => ({ id, ...user, status: user.status ?? 'ACTIVE' })), headers: { link: links.join(', ') } };
  }

  return {
    records,
    credentials: token,
    authorized: (headers) => headers.authorization === `SSWS ${token}`,
    handle(request) {
      if (request.method === 'GET' && request.path === '/api/v1/users') return listUsers(request);
      return { status: 404, body: { errorCode: 'E0000022', errorSummary: 'The endpoint does not support the provided HTTP method' } };
    },
  };
}
