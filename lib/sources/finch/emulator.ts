import { randomBytes } from 'node:crypto';
import type { SourceApiEmulator } from '../source-emulator.js';

/**
 * Finch's `POST /employer/employment` and `/employer/individual` (docs/reference/hris-webhooks.md §3.4):
 * a bearer token and the `Finch-API-Version` header; records are `{ employment, individual }`.
 */
export function createEmulator(): SourceApiEmulator {
  const token = randomBytes(16).toString('hex');
  const records = new Map<string, Record<string, unknown>>();
  return {
    records,
    credentials: token,
    authorized: (headers) => headers.authorization === `Bearer ${token}` && headers['finch-api-version'] === '2020-09-17',
    handle({ method, path, body }) {
      const match = /^\/employer\/(employment|individual)$/.exec(path);
      if (method !== 'POST' || !match) return { status: 404, body: { error: `no route ${method} ${path}` } };
      const resource = match[1] as 'employment' | 'individual';
      const requests = (body.requests as Array<{ individual_id: string }> | undefined) ?? [];
      return {
        status: 200,
        body: {
          responses: requests.map(({ individual_id }) => {
            const record = records.get(individual_id);
            return record ? { individual_id, code: 200, body: record[resource] } : { individual_id, code: 404, body: { code: 404, message: 'Individual not found' } };
          }),
        },
      };
    },
  };
}
