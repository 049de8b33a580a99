import { randomBytes } from 'node:crypto';
import { basicHeader, type SourceApiEmulator, type SourceApiRequest } from '../source-emulator.js';

type Answer = ReturnType<SourceApiEmulator['handle']>;
type BambooRecord = Record<string, unknown>;

/** BambooHR writes change times as `2011-06-02T19:26:23+00:00`. */
const bambooTime = (at: Date) => at.toISOString().replace(/\.\d{3}Z$/, '+00:00');

/**
 * Employees by id, each stamped with its change time as it is set or deleted: what
 * `GET /v1/employees/changed` lists (Inserted, Updated, Deleted).
 */
class ChangeTrackedRecords extends Map<string, BambooRecord> {
  readonly changes = new Map<string, { action: 'Inserted' | 'Updated' | 'Deleted'; lastChanged: string }>();

  override set(id: string, record: BambooRecord): this {
    this.changes.set(id, { action: this.has(id) ? 'Updated' : 'Inserted', lastChanged: bambooTime(new Date()) });
    return super.set(id, record);
  }

  override delete(id: string): boolean {
    if (this.has(id)) this.changes.set(id, { action: 'Deleted', lastChanged: bambooTime(new Date()) });
    return super.delete(id);
  }
}

/** The requested fields of one employee; a field it does not hold answers null. */
const withFields = (id: string, record: BambooRecord, fields: readonly string[]) => ({ id, ...Object.fromEntries(fields.map((field) => [field, record[field] ?? null])) });

/**
 * BambooHR's API (docs/reference/hris-webhooks.md §3.1 and "Roster reads"), HTTP Basic with the API
 * key as user and `x` as password: one employee (`GET /v1/employees/{id}/?fields=…`), change times
 * (`GET /v1/employees/changed?since=…`) and a custom report of every employee, active or not
 * (`POST /v1/reports/custom?format=JSON`), whole in one answer as BambooHR's is.
 */
export function createEmulator(): SourceApiEmulator {
  const credentials = randomBytes(12).toString('hex');
  const records = new ChangeTrackedRecords();

  function employee(id: string, query: URLSearchParams): Answer {
    const record = records.get(id);
    const fields = (query.get('fields') ?? '').split(',').filter(Boolean);
    return record ? { status: 200, body: withFields(id, record, fields) } : { status: 404 };
  }

  function changed(query: URLSearchParams): Answer {
    const since = Date.parse(query.get('since') ?? '');
    if (Number.isNaN(since)) return { status: 400, body: { error: 'since must be an ISO 8601 date-time' } };
    const entries = [...records.changes].filter(([, change]) => Date.parse(change.lastChanged) >= since);
    const latest = entries.map(([, change]) => change.lastChanged).sort().at(-1) ?? null;
    return { status: 200, body: { latest, employees: Object.fromEntries(entries.map(([id, change]) => [id, { id, ...change }])) } };
  }

  function customReport({ query, headers, body }: SourceApiRequest): Answer {
    if (query.get('format')?.toUpperCase() !== 'JSON') return { status: 400, body: { error: 'only format=JSON is emulated' } };
    // Any other content type is read as XML.
    if (headers['content-type'] !== 'application/json') return { status: 400, body: { error: 'Malformed XML' } };
    const fields = body.fields;
    if (!Array.isArray(fields) || fields.length === 0 || fields.length > 400) return { status: 400, body: { error: 'fields: 1 to 400 field names' } };
    const names = fields.map(String);
    return {
      status: 200,
      body: {
        title: String(body.title ?? ''),
        fields: names.map((name) => ({ id: name, type: 'text', name })),
        employees: [...records].map(([id, record]) => withFields(id, record, names)),
      },
    };
  }

  return {
    records,
    credentials,
    authorized: (headers) => headers.authorization === basicHeader(credentials, 'x'),
    handle(request) {
      const { method, path, query } = request;
      if (method === 'GET' && path === '/v1/employees/changed') return changed(query);
      if (method === 'POST' && path === '/v1/reports/custom') return customReport(request);
      const match = /^\/v1\/employees\/([^/]+)\/?$/.exec(path);
      if (method === 'GET' && match) return employee(decodeURIComponent(match[1]!), query);
      return { status: 404, body: { error: `no route ${method} ${path}` } };
    },
  };
}
