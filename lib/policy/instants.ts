/**
 * Turning HR dates into instants. A calendar date is a day in the organization's time zone
 * (policy.timeZone, IANA); an RFC 3339 instant is used exactly.
 */

const DAY_MS = 86_400_000;
const isCalendarDate = (value: string) => /^\d{4}-\d{2}-\d{2}$/.test(value);

/** Minutes the zone is ahead of UTC at `instant` (e.g. +60 for Europe/Berlin in winter). */
function offsetMinutes(instant: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }).formatToParts(new Date(instant));
  const get = (type: string) => Number(parts.find((part) => part.type === type)!.value);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return Math.round((asUtc - Math.floor(instant / 1000) * 1000) / 60_000);
}

/** The instant a calendar day begins in `timeZone` (midnight local, DST included). */
export function startOfDay(date: string, timeZone: string): number {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  const midnightUtc = Date.UTC(year, month - 1, day);
  let instant = midnightUtc - offsetMinutes(midnightUtc, timeZone) * 60_000;
  // The offset at the guess can differ from the offset at the answer across a DST change: correct once.
  instant = midnightUtc - offsetMinutes(instant, timeZone) * 60_000;
  return instant;
}

/** The instant after the last moment of a calendar day: the start of the next day. */
export function endOfDay(date: string, timeZone: string): number {
  const next = new Date(Date.parse(`${date}T00:00:00Z`) + DAY_MS).toISOString().slice(0, 10);
  return startOfDay(next, timeZone);
}

/** A date or instant: calendar dates through `forDate`, instants exactly. */
export function instantOf(value: string, timeZone: string, forDate: 'start' | 'end'): number {
  if (!isCalendarDate(value)) return Date.parse(value);
  return forDate === 'start' ? startOfDay(value, timeZone) : endOfDay(value, timeZone);
}
