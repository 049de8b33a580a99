/**
 * HR systems write dates in several ways. These normalize them to what the worker record takes:
 * a calendar date `YYYY-MM-DD`, or an RFC 3339 instant when a time of day was really meant.
 */

/** `2025-06-30`, `2025-06-30T00:00:00Z` (a date written as midnight UTC) → `2025-06-30`; other instants kept; blanks and `0000-00-00` → null. */
export function normalizeDate(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const text = value.trim();
  if (text === '' || text.startsWith('0000-00-00')) return null;
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) return text;
  const midnight = /^(\d{4}-\d{2}-\d{2})T00:00:00(\.0+)?(Z|[+-]00:?00)$/.exec(text);
  if (midnight) return midnight[1]!;
  const instant = toInstant(text);
  return instant;
}

/** An RFC 3339 instant from `2025-06-30T06:00:03+0000` (BambooHR), `2025-06-30T04:00:03.551802` (HiBob, UTC) or ISO text; null if unreadable. */
export function toInstant(value: string): string | null {
  let text = value.trim().replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(text)) text += 'Z';
  const parsed = Date.parse(text);
  return Number.isNaN(parsed) ? null : new Date(parsed).toISOString();
}
