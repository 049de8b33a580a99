import type { Policy, Rule } from '../config/schema.js';
import type { MemberTypeName } from '../vocabulary/bitwarden.js';
import type { WorkerRecord } from '../vocabulary/worker-record.js';
import { instantOf, startOfDayOf } from './instants.js';
import { groupsFor } from './rules.js';

/** What Bitwarden should hold for one worker at one instant. Pure data; `plan` turns it into calls. */
export interface DesiredState {
  /**
   * `member`: an active membership with `groups`. `revoked`: no active access (a member, if any, is
   * revoked and keeps its groups for a lossless restore). `not-yet`: a future hire not to be invited
   * yet. `removed`: revoked long enough that the membership is deleted.
   */
  access: 'member' | 'revoked' | 'not-yet' | 'removed';
  email: string | null;
  /** The type for an invite; also enforced on an existing member when `enforceMemberType`. */
  memberType: MemberTypeName;
  /** A matching rule grants the type: an existing member of another type is changed to it. */
  enforceMemberType: boolean;
  groups: string[];
  matchedRules: string[];
  /** Why, in words an auditor can read. */
  reason: string;
  /** The next instant at which this decision changes by itself, if any (ISO). */
  reevaluateAt: string | null;
}

/** What the product remembers that the HR record does not say. */
export interface WorkerHistory {
  /** When the member was revoked, if it is. */
  revokedAt: string | null;
}

const DAY_MS = 86_400_000;

/**
 * The instant a worker's termination date takes access away (epoch ms), or null without one. HR
 * already marks the worker terminated: as the date begins (at once if it has). Recorded ahead of
 * time: at the end of its date, unless the policy says its start. `decide` and
 * lib/lifecycle/upcoming.ts read it here, so the list of what is coming says what decide will do.
 */
export function terminationTakesEffectAt(worker: Pick<WorkerRecord, 'status' | 'terminationDate'>, policy: Pick<Policy, 'timeZone' | 'terminationTakesEffect'>): number | null {
  if (!worker.terminationDate) return null;
  const startOfDate = worker.status === 'terminated' || policy.terminationTakesEffect === 'start-of-day';
  return instantOf(worker.terminationDate, policy.timeZone, startOfDate ? 'start' : 'end');
}

/** The instant an end date takes access away (epoch ms): the end date is the last day with access. Null without one. */
export function endDateTakesEffectAt(worker: Pick<WorkerRecord, 'endDate'>, policy: Pick<Policy, 'timeZone'>): number | null {
  return worker.endDate ? instantOf(worker.endDate, policy.timeZone, 'end') : null;
}
const iso = (instant: number) => new Date(instant).toISOString();

/**
 * The desired Bitwarden state of a worker at `now`. Dates are days in `policy.timeZone`:
 * - a worker HR marks terminated, dated today or earlier (or undated), is revoked at once;
 * - a termination recorded ahead of time takes effect at the end of its date (or its start, per
 *   `terminationTakesEffect`); an instant is used exactly;
 * - an end date is the last day with access: access ends when it does;
 * - a future hire is invited `inviteDaysBeforeStart` days before the start date (unset: at once);
 * - leave keeps access unless `onLeave: revoke`;
 * - a revoked member is removed `removeRevokedAfterDays` after its revocation (unset: never).
 */
export function decide(worker: WorkerRecord, rules: readonly Rule[], policy: Policy, now: Date, history: WorkerHistory = { revokedAt: null }): DesiredState {
  const nowMs = now.getTime();
  const zone = policy.timeZone;
  const base = { email: worker.workEmail, memberType: policy.memberType, enforceMemberType: false, groups: [] as string[], matchedRules: [] as string[] };

  const deadlines: Array<{ at: number; reason: string }> = [];
  const terminationAt = terminationTakesEffectAt(worker, policy);
  if (terminationAt !== null) deadlines.push({ at: terminationAt, reason: `terminated as of ${worker.terminationDate}` });
  else if (worker.status === 'terminated') deadlines.push({ at: nowMs, reason: 'terminated (no termination date given)' });
  const endAt = endDateTakesEffectAt(worker, policy);
  if (endAt !== null) deadlines.push({ at: endAt, reason: `access ended with the end date ${worker.endDate}` });
  if (worker.status === 'on_leave' && policy.onLeave === 'revoke') deadlines.push({ at: nowMs, reason: 'on leave (policy.onLeave: revoke)' });
  deadlines.sort((a, b) => a.at - b.at);

  const passed = deadlines.find((deadline) => deadline.at <= nowMs);
  if (passed) {
    if (policy.removeRevokedAfterDays !== null && history.revokedAt) {
      const removeAt = Date.parse(history.revokedAt) + policy.removeRevokedAfterDays * DAY_MS;
      if (removeAt <= nowMs) return { ...base, access: 'removed', reason: `${passed.reason}; revoked more than ${policy.removeRevokedAfterDays} days ago`, reevaluateAt: null };
      return { ...base, access: 'revoked', reason: passed.reason, reevaluateAt: iso(removeAt) };
    }
    return { ...base, access: 'revoked', reason: passed.reason, reevaluateAt: null };
  }
  const upcoming = deadlines[0];

  if (policy.inviteDaysBeforeStart !== null && worker.startDate) {
    const inviteAt = startOfDayOf(worker.startDate, zone) - policy.inviteDaysBeforeStart * DAY_MS;
    if (inviteAt > nowMs) {
      return { ...base, access: 'not-yet', reason: `starts ${worker.startDate}; invited ${policy.inviteDaysBeforeStart} day(s) before`, reevaluateAt: iso(upcoming ? Math.min(inviteAt, upcoming.at) : inviteAt) };
    }
  }

  const grant = groupsFor(worker, rules);
  return {
    ...base,
    access: 'member',
    memberType: grant.memberType ?? policy.memberType,
    enforceMemberType: grant.memberType !== null,
    groups: grant.groups,
    matchedRules: grant.matchedRules,
    reason: upcoming ? `${worker.status}; access ends ${iso(upcoming.at)} (${upcoming.reason})` : worker.status,
    reevaluateAt: upcoming ? iso(upcoming.at) : null,
  };
}
