import { randomBytes } from 'node:crypto';
import type { SourceApiEmulator } from '../source-emulator.js';

/** Merge's `GET /api/hris/v1/employees/{id}?expand=…` (docs/reference/hris-webhooks.md §3.3): a bearer API key and the linked account's `X-Account-Token`. */
export function createEmulator(): SourceApiEmulator {
  const key = randomBytes(12).toString('hex');
  const account = randomBytes(12).toString('hex');
  const records = new Map<string, Record<string, unknown>>();
  return {
    records,
    credentials: `${key}:${account}`,
    authorized: (headers) => headers.authorization === `Bearer ${key}` && headers['x-account-token'] === account,
    handle({ method, path }) {
      const match = /^\/api\/hris\/v1\/employees\/([^/]+)$/.exec(path);
      if (method !== 'GET' || !match) return { status: 404, body: { error: `no route ${method} ${path}` } };
      const record = records.get(decodeURIComponent(match[1]!));
      return record ? { status: 200, body: record } : { status: 404, body: { detail: 'Not found.' } };
    },
  };
}
