import { createHash } from 'node:crypto';

/** JSON with object keys sorted at every depth: equal values give equal text, however they were stored (DynamoDB keeps no key order). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner as Record<string, unknown>).filter(([, entry]) => entry !== undefined).sort(([a], [b]) => a.localeCompare(b)))
      : inner,
  );
}

/** SHA-256 of the canonical JSON: one checksum for a rule, a rule set, or a record, however it was stored. */
export const checksumOf = (value: unknown): string => createHash('sha256').update(canonicalJson(value)).digest('hex');
