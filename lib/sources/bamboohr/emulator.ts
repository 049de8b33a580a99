import { randomBytes } from 'node:crypto';
import { basicHeader, type SourceApiEmulator } from '../source-emulator.js';

/** BambooHR's `GET /v1/employees/{id}/?fields=…` (docs/reference/hris-webhooks.md §3.1): HTTP Basic with the API key as user and `x` as password. */
export function createEmulator(): SourceApiEmulator {
  const credentials = randomBytes(12).toString('hex');
  const records = new Map<string, Record<string, unknown>>();
  return {
    records,
    credentials,
    authorized: (headers) => headers.authorization === basicHeader(credentials, 'x'),
    handle({ method, path, query }) {
      const match = /^\/v1\/employees\/([^/]+)\/?$/.exec(path);
      if (method !== 'GET' || !match) return { status: 404, body: { error: `no route ${method} ${path}` } };
      const id = decodeURIComponent(match[1]!);
      const record = records.get(id);
      const fields = (query.get('fields') ?? '').split(',').filter(Boolean);
      return record ? { status: 200, body: { id, ...Object.fromEntries(fields.map((field) => [field, record[field] ?? null])) } } : { status: 404 };
    },
  };
}
