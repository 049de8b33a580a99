import { randomBytes } from 'node:crypto';
import type { SourceApiEmulator, SourceApiRequest } from '../source-emulator.js';

type Answer = ReturnType<SourceApiEmulator['handle']>;
type FinchRecord = Record<string, unknown>;
type Person = { employment?: FinchRecord; individual?: FinchRecord };

const field = (person: Person, name: string) => person.individual?.[name] ?? person.employment?.[name] ?? null;

/** A person's directory entry, derived from their two records as Finch derives it from the HR system's. */
const directoryEntry = (id: string, person: Person) => ({
  id,
  first_name: field(person, 'first_name'),
  middle_name: field(person, 'middle_name'),
  last_name: field(person, 'last_name'),
  manager: person.employment?.manager ?? null,
  department: person.employment?.department ?? null,
  is_active: person.employment?.is_active ?? null,
});

const whole = (text: string | null) => (text === null ? null : /^\d+$/.test(text) ? Number(text) : Number.NaN);

/**
 * Finch's organization API (docs/reference/hris-webhooks.md §3.4 and "Roster reads"): a bearer token
 * and the `Finch-API-Version` header. `GET /employer/directory` lists everyone, active and inactive,
 * from `offset` (0), `limit` at a time (all when left out), with `paging.count` the directory's
 * size; `POST /employer/employment` and `/employer/individual` answer a batch
 * `{requests: [{individual_id}]}` with one `{individual_id, code, body}` per id, an unknown id
 * answering its own 404. Records are `{ employment, individual }`, in insertion order.
 */
export function createEmulator(): SourceApiEmulator {
  const token = randomBytes(16).toString('hex');
  const records = new Map<string, FinchRecord>();

  function directory(query: URLSearchParams): Answer {
    const offset = whole(query.get('offset')) ?? 0;
    const limit = whole(query.get('limit')) ?? records.size;
    if (Number.isNaN(offset) || Number.isNaN(limit)) return { status: 400, body: { code: 400, name: 'invalid_request_error', message: 'limit and offset must be whole numbers' } };
    const individuals = [...records].slice(offset, offset + limit).map(([id, person]) => directoryEntry(id, person as Person));
    return { status: 200, body: { paging: { count: records.size, offset }, individuals } };
  }

  function batch(resource: 'employment' | 'individual', body: FinchRecord): Answer {
    const requests = body.requests;
    if (!Array.isArray(requests) || requests.length === 0) return { status: 400, body: { code: 400, name: 'invalid_request_error', message: 'requests must list individual ids' } };
    const responses = requests.map(({ individual_id }: { individual_id: string }) => {
      const record = (records.get(individual_id) as Person | undefined)?.[resource];
      return record ? { individual_id, code: 200, body: record } : { individual_id, code: 404, body: { code: 404, name: 'not_found_error', finch_code: 'individual_not_found', message: 'Individual not found' } };
    });
    return { status: 200, body: { responses } };
  }

  function route({ method, path, query, body }: SourceApiRequest): Answer {
    if (method === 'GET' && path === '/employer/directory') return directory(query);
    const match = /^\/employer\/(employment|individual)$/.exec(path);
    if (method === 'POST' && match) return batch(match[1] as 'employment' | 'individual', body);
    return { status: 404, body: { code: 404, name: 'not_found_error', message: `no route ${method} ${path}` } };
  }

  return {
    records,
    credentials: token,
    authorized: (headers) => headers.authorization === `Bearer ${token}` && headers['finch-api-version'] === '2020-09-17',
    handle: route,
  };
}
