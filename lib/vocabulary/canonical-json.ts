import { createHash } from 'node:crypto';

/** By UTF-16 code unit, as `Array.prototype.sort` does: the same on every machine, where `localeCompare` follows LANG. */
const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * JSON with object keys sorted at every depth: equal values give equal text, however they were stored
 * (DynamoDB keeps no key order), and on whichever machine (a Lambda, or an admin's CLI).
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner as Record<string, unknown>).filter(([, entry]) => entry !== undefined).sort(([a], [b]) => byCodeUnit(a, b)))
      : inner,
  );
}

/** SHA-256 of the canonical JSON: one checksum for a rule, a rule set, or a record, however it was stored. */
export const checksumOf = (value: unknown): string => createHash('sha256').update(canonicalJson(value)).digest('hex');
