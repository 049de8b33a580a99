import { Temporal } from 'temporal-polyfill';

/**
 * HR dates, read with Temporal (the TC39 date API, polyfilled) so that impossible days and times
 * (`2024-02-30`, `T25:61`) are refused rather than rolled over into another day.
 *
 * A worker record holds a calendar date `YYYY-MM-DD`, or an RFC 3339 instant when a time of day was
 * really meant. HR systems write dates in several ways; `normalizeDate` turns them into those.
 */

/** A worker record's date as read: a day (in the organization's zone, for the policy) or an exact instant. */
export type RecordDate = { kind: 'day'; day: Temporal.PlainDate } | { kind: 'instant'; instant: Temporal.Instant };

/** Anything Temporal cannot read throws; these readers answer null instead. */
function orNull<T>(read: () => T): T | null {
  try {
    return read();
  } catch {
    return null;
  }
}

/** A day written exactly `YYYY-MM-DD`: Temporal's own form of it, so that `2024-09-08T10:00` (a time dropped) is not one. */
function readDay(text: string): Temporal.PlainDate | null {
  const day = orNull(() => Temporal.PlainDate.from(text));
  return day?.toString() === text ? day : null;
}

/** A record's date text; null for anything else. The record's schema refuses what this cannot read. */
export function readRecordDate(text: string): RecordDate | null {
  const day = readDay(text);
  if (day) return { kind: 'day', day };
  const instant = orNull(() => Temporal.Instant.from(text));
  return instant ? { kind: 'instant', instant } : null;
}

/**
 * HR systems mark "no end" with a far-future date (9999-12-31, 2999-12-31, 3000-01-01): an end or
 * termination in this year or later means none (README, "Lifecycle over time"). No one hired
 * today works until then, and before it nothing real is mistaken for "never".
 */
export const OPEN_ENDED_FROM_YEAR = 2200;

/** Whether a record's date text is such an "open-ended" marker (an instant's year is UTC's). */
export function isOpenEnded(text: string): boolean {
  const date = readRecordDate(text);
  if (!date) return false;
  const year = date.kind === 'day' ? date.day.year : date.instant.toZonedDateTimeISO('UTC').year;
  return year >= OPEN_ENDED_FROM_YEAR;
}

/** An instant as HR systems write it: with an offset (`+0000` included), or without one meaning UTC (HiBob). */
function readHrInstant(text: string): Temporal.Instant | null {
  return orNull(() => Temporal.Instant.from(text)) ?? orNull(() => Temporal.PlainDateTime.from(text).toZonedDateTime('UTC').toInstant());
}

/** The form every timestamp in the product has (`Date#toISOString`), so that they compare as text. */
const isoText = (instant: Temporal.Instant) => instant.toString({ fractionalSecondDigits: 3 });

/**
 * `2025-06-30`, or an instant at midnight UTC (a date written as one, `2025-06-30T00:00:00Z`) → `2025-06-30`;
 * other instants → RFC 3339 UTC; blanks and `0000-00-00` → null. Text that is no date (`2024-02-30`) is
 * returned as written: the record's schema then refuses it naming the field, where null would
 * silently drop, say, a termination date.
 */
export function normalizeDate(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const text = value.trim();
  if (text === '' || text.startsWith('0000-00-00')) return null;
  const instant = readHrInstant(text);
  if (!instant) return text;
  const utc = instant.toZonedDateTimeISO('UTC');
  return utc.equals(utc.startOfDay()) ? utc.toPlainDate().toString() : isoText(instant);
}

/** An RFC 3339 instant from `2025-06-30T06:00:03+0000` (BambooHR), `2025-06-30T04:00:03.551802` (HiBob, UTC) or ISO text; null if unreadable. */
export function toInstant(value: string): string | null {
  const instant = readHrInstant(value.trim());
  return instant ? isoText(instant) : null;
}
