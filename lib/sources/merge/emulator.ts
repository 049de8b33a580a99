import { randomBytes } from 'node:crypto';
import type { SourceApiEmulator, SourceApiRequest } from '../source-emulator.js';

type Answer = ReturnType<SourceApiEmulator['handle']>;
type Employee = Record<string, unknown>;

/** Relations an Employee answers as ids unless `expand` names them. */
const RELATIONS = ['employments', 'groups', 'work_location', 'manager', 'team', 'company', 'pay_group', 'home_location'];
const DEFAULT_PAGE_SIZE = 30;
const MAX_PAGE_SIZE = 100;

const idOf = (value: unknown) => (value && typeof value === 'object' ? (value as { id?: unknown }).id ?? null : value);

/** An employee as the API answers it: relations not expanded collapse to their ids; `remote_data` only when asked. */
function answerOf(employee: Employee, query: URLSearchParams): Employee {
  const expanded = new Set((query.get('expand') ?? '').split(',').filter(Boolean));
  const answer: Employee = { ...employee, remote_data: query.get('include_remote_data') === 'true' ? (employee.remote_data ?? null) : null };
  for (const relation of RELATIONS) {
    const value = employee[relation];
    if (value === undefined || expanded.has(relation)) continue;
    answer[relation] = Array.isArray(value) ? value.map(idOf) : idOf(value);
  }
  return answer;
}

/** Cursors are opaque to clients: here a position (the last id answered) in base64, as Merge's are. */
const encodeCursor = (lastId: string) => Buffer.from(`p=${lastId}`).toString('base64url');
const decodeCursor = (cursor: string) => {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  return text.startsWith('p=') ? text.slice(2) : null;
};

/**
 * Merge's HRIS Employees (docs/reference/hris-webhooks.md §3.3 and "Roster reads"): a bearer API key and
 * the linked account's `X-Account-Token`. `GET /api/hris/v1/employees/{id}` reads one employee;
 * `GET /api/hris/v1/employees` lists them by id in pages of `page_size` (30 by default, at most
 * 100), a `next` cursor until the last page, `modified_after` keeping those changed since, and
 * employees deleted in the HR system left out unless `include_deleted_data`. Records are kept
 * expanded, in the API's shape, with their `modified_at`; `previous` is not kept (always null).
 */
export function createEmulator(): SourceApiEmulator {
  const key = randomBytes(12).toString('hex');
  const account = randomBytes(12).toString('hex');
  const records = new Map<string, Employee>();

  function list(query: URLSearchParams): Answer {
    const pageSize = Math.min(Number(query.get('page_size') ?? DEFAULT_PAGE_SIZE), MAX_PAGE_SIZE);
    if (!Number.isInteger(pageSize) || pageSize < 1) return { status: 400, body: { page_size: ['A valid integer is required.'] } };
    const cursor = query.get('cursor');
    const after = cursor === null ? '' : decodeCursor(cursor);
    if (after === null) return { status: 400, body: { detail: 'Invalid cursor' } };
    const modifiedAfter = query.has('modified_after') ? Date.parse(query.get('modified_after')!) : null;
    if (Number.isNaN(modifiedAfter)) return { status: 400, body: { modified_after: ['Enter a valid date/time.'] } };
    const matching = [...records.keys()]
      .filter((id) => id > after)
      .sort()
      .filter((id) => query.get('include_deleted_data') === 'true' || records.get(id)!.remote_was_deleted !== true)
      .filter((id) => modifiedAfter === null || Date.parse(String(records.get(id)!.modified_at)) > modifiedAfter);
    const page = matching.slice(0, pageSize);
    const next = matching.length > pageSize ? encodeCursor(page.at(-1)!) : null;
    return { status: 200, body: { next, previous: null, results: page.map((id) => answerOf(records.get(id)!, query)) } };
  }

  function read({ path, query }: SourceApiRequest): Answer {
    if (path === '/api/hris/v1/employees') return list(query);
    const match = /^\/api\/hris\/v1\/employees\/([^/]+)$/.exec(path);
    const record = match ? records.get(decodeURIComponent(match[1]!)) : undefined;
    return record ? { status: 200, body: answerOf(record, query) } : { status: 404, body: { detail: 'Not found.' } };
  }

  return {
    records,
    credentials: `${key}:${account}`,
    authorized: (headers) => headers.authorization === `Bearer ${key}` && headers['x-account-token'] === account,
    handle(request) {
      if (request.method !== 'GET' || !request.path.startsWith('/api/hris/v1/employees')) return { status: 404, body: { detail: `no route ${request.method} ${request.path}` } };
      return read(request);
    },
  };
}
