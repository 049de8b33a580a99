import type { Temporal } from 'temporal-polyfill';
import { readRecordDate, type RecordDate } from '../vocabulary/dates.js';

/**
 * Turning HR dates into instants. A calendar date is a day in the organization's time zone
 * (policy.timeZone, IANA); an RFC 3339 instant is used exactly.
 */

/** A date the worker record's schema accepted; anything else here is a bug, not HR data. */
function read(value: string): RecordDate {
  const date = readRecordDate(value);
  if (!date) throw new Error(`not a worker record date: ${JSON.stringify(value)}`);
  return date;
}

/**
 * The instant a day begins in `timeZone`: its midnight, or, where clocks jump past midnight, the
 * first moment the zone has (America/Santiago, 2024-09-08: 01:00). Temporal resolves the gap.
 */
function startOfDay(day: Temporal.PlainDate, timeZone: string): number {
  return day.toZonedDateTime(timeZone).epochMilliseconds;
}

/** The instant after the last moment of a day: the start of the next one, as the zone has it. */
function endOfDay(day: Temporal.PlainDate, timeZone: string): number {
  return startOfDay(day.add({ days: 1 }), timeZone);
}

/** A record's date as an instant: a calendar date's start or end (`forDate`), an instant exactly. */
export function instantOf(value: string, timeZone: string, forDate: 'start' | 'end'): number {
  const date = read(value);
  if (date.kind === 'instant') return date.instant.epochMilliseconds;
  return forDate === 'start' ? startOfDay(date.day, timeZone) : endOfDay(date.day, timeZone);
}

/** The start of the day a record's date falls on in `timeZone` (an instant's day is the zone's). */
export function startOfDayOf(value: string, timeZone: string): number {
  const date = read(value);
  return startOfDay(date.kind === 'day' ? date.day : date.instant.toZonedDateTimeISO(timeZone).toPlainDate(), timeZone);
}
