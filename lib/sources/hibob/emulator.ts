import { randomBytes } from 'node:crypto';
import { basicHeader, type SourceApiEmulator } from '../source-emulator.js';

type Answer = ReturnType<SourceApiEmulator['handle']>;
type BobRecord = Record<string, unknown>;

/** A field path's value in a record kept as Bob nests it: `root.*` at the top, other categories as objects. */
function valueAt(record: BobRecord, path: string): unknown {
  const [category, ...rest] = path.split('.');
  const steps = category === 'root' ? rest : [category!, ...rest];
  return steps.reduce<unknown>((node, step) => (node && typeof node === 'object' ? (node as BobRecord)[step] : undefined), record);
}

/** An employee as the search answers: its id, and each requested field under its path in slashes, as `{value}`. */
const answerOf = (id: string, record: BobRecord, fields: readonly string[]) => ({
  id,
  ...Object.fromEntries(fields.map((path) => [`/${path.replaceAll('.', '/')}`, { value: valueAt(record, path) ?? null }])),
});

/** The one filter Bob takes: `root.id` or `root.email`, `equals`, a list of values. */
function filterOf(filters: unknown): ((id: string, record: BobRecord) => boolean) | string {
  if (filters === undefined) return () => true;
  if (!Array.isArray(filters) || filters.length !== 1) return 'filters: exactly one filter, or none';
  const { fieldPath, operator, values } = filters[0] as { fieldPath?: unknown; operator?: unknown; values?: unknown };
  if ((fieldPath !== 'root.id' && fieldPath !== 'root.email') || operator !== 'equals' || !Array.isArray(values)) return 'filters: only root.id or root.email, equals, with values';
  const wanted = new Set(values.map(String));
  return fieldPath === 'root.id' ? (id) => wanted.has(id) : (_id, record) => wanted.has(String(record.email));
}

/**
 * HiBob's `POST /v1/people/search` (docs/reference/hris-webhooks.md §3.2 and "Roster reads"): a
 * service user's id and token over HTTP Basic; at most 400 fields; at most one filter (`root.id` or
 * `root.email`); active employees only unless `showInactive`; every match in one answer (no paging).
 */
export function createEmulator(): SourceApiEmulator {
  const user = `service-user-${randomBytes(4).toString('hex')}`;
  const token = randomBytes(12).toString('hex');
  const records = new Map<string, BobRecord>();

  function search(body: BobRecord): Answer {
    const { fields, showInactive = false } = body;
    if (!Array.isArray(fields) || fields.length === 0 || fields.length > 400) return { status: 400, body: { error: 'fields: 1 to 400 field paths' } };
    const matches = filterOf(body.filters);
    if (typeof matches === 'string') return { status: 400, body: { error: matches } };
    const employees = [...records]
      .filter(([id, record]) => matches(id, record) && (showInactive === true || valueAt(record, 'internal.status') !== 'Inactive'))
      .map(([id, record]) => answerOf(id, record, fields.map(String)));
    return { status: 200, body: { employees } };
  }

  return {
    records,
    credentials: `${user}:${token}`,
    authorized: (headers) => headers.authorization === basicHeader(user, token),
    handle({ method, path, body }) {
      if (method !== 'POST' || path !== '/v1/people/search') return { status: 404, body: { error: `no route ${method} ${path}` } };
      return search(body);
    },
  };
}
