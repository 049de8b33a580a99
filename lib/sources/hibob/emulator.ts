import { randomBytes } from 'node:crypto';
import { basicHeader, type SourceApiEmulator } from '../source-emulator.js';

/** HiBob's `POST /v1/people/search` (docs/reference/hris-webhooks.md §3.2): a service user's id and token over HTTP Basic. */
export function createEmulator(): SourceApiEmulator {
  const user = `service-user-${randomBytes(4).toString('hex')}`;
  const token = randomBytes(12).toString('hex');
  const records = new Map<string, Record<string, unknown>>();
  return {
    records,
    credentials: `${user}:${token}`,
    authorized: (headers) => headers.authorization === basicHeader(user, token),
    handle({ method, path, body }) {
      if (method !== 'POST' || path !== '/v1/people/search') return { status: 404, body: { error: `no route ${method} ${path}` } };
      const ids = ((body.filters as Array<{ values: string[] }> | undefined)?.[0]?.values ?? []).map(String);
      return { status: 200, body: { employees: ids.flatMap((id) => (records.has(id) ? [records.get(id)] : [])) } };
    },
  };
}
