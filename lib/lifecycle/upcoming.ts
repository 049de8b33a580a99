import { Temporal } from 'temporal-polyfill';
import type { Policy } from '../config/schema.js';
import { endDateTakesEffectAt, terminationTakesEffectAt } from '../policy/decide.js';
import { startOfDayOf } from '../policy/instants.js';
import type { WorkerState } from '../store/worker-state.js';

/**
 * `lifecycle upcoming`: what the calendar will change by itself in the next days, read from the
 * Workers table (each worker's newest record and its scheduled re-evaluation), with each effective
 * instant computed as `decide` computes it (lib/policy/decide.ts) in the organization's zone.
 */

export type UpcomingKind = 'start' | 'end-date' | 'termination';

export interface UpcomingChange {
  workerKey: string;
  email: string | null;
  name: string | null;
  kind: UpcomingKind;
  /** The date as HR gave it (a calendar day in policy.timeZone, or an exact instant). */
  date: string;
  /** When it takes effect, UTC. */
  effectiveAt: string;
  /** The same instant in policy.timeZone, with its offset and zone: `2026-12-01T00:00:00+01:00[Europe/Berlin]`. */
  effectiveAtLocal: string;
  /** What happens then, in words. */
  effect: string;
  /** When the sweeper next re-evaluates the worker (its stored reevaluateAt), if scheduled. */
  reevaluateAt: string | null;
}

/** What takes effect after `now` and within `days` calendar days of the zone (a day across a clock change is 23 or 25 hours). */
export function upcomingChanges(states: readonly WorkerState[], policy: Pick<Policy, 'timeZone' | 'terminationTakesEffect'>, now: Date, days: number): UpcomingChange[] {
  const zone = policy.timeZone;
  const from = now.getTime();
  const until = Temporal.Instant.fromEpochMilliseconds(from).toZonedDateTimeISO(zone).add({ days }).epochMilliseconds;
  const changes: UpcomingChange[] = [];
  for (const state of states) {
    const { record } = state;
    // A worker whose access is gone (revoked, or a hire withdrawn) has nothing more coming: no first day, nothing to lose.
    const hasAccess = state.access === 'member' || state.access === 'not-yet';
    const candidates: Array<{ kind: UpcomingKind; date: string | null; at: number | null; effect: string }> = [
      {
        kind: 'start',
        date: record.startDate,
        at: hasAccess && record.startDate ? startOfDayOf(record.startDate, zone) : null,
        effect: state.access === 'not-yet' ? 'first day; invited at its re-evaluation (policy.inviteDaysBeforeStart)' : 'first day; already invited',
      },
      { kind: 'end-date', date: record.endDate, at: hasAccess ? endDateTakesEffectAt(record, policy) : null, effect: 'access revoked: the end date was the last day' },
      { kind: 'termination', date: record.terminationDate, at: hasAccess ? terminationTakesEffectAt(record, policy) : null, effect: 'access revoked: terminated' },
    ];
    for (const { kind, date, at, effect } of candidates) {
      if (date === null || at === null || at <= from || at > until) continue;
      changes.push({
        workerKey: state.workerKey,
        email: record.workEmail,
        name: [record.firstName, record.lastName].filter(Boolean).join(' ') || record.displayName || null,
        kind,
        date,
        effectiveAt: new Date(at).toISOString(),
        effectiveAtLocal: Temporal.Instant.fromEpochMilliseconds(at).toZonedDateTimeISO(zone).toString(),
        effect,
        reevaluateAt: state.reevaluateAt,
      });
    }
  }
  return changes.sort((a, b) => a.effectiveAt.localeCompare(b.effectiveAt) || a.workerKey.localeCompare(b.workerKey));
}
