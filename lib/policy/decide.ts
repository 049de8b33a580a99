import type { Policy, Rule } from '../config/schema.js';
import { memberTypeCode } from '../config/schema.js';
import type { WorkerRecord } from '../hris/worker-record.js';
import { groupsFor } from './rules.js';

/** What Bitwarden should hold for one worker at one instant. Pure data; `plan` turns it into calls. */
export interface DesiredState {
  /** `member`: an active membership with `groups`. `revoked`: no active access (a member, if any, is revoked). */
  access: 'member' | 'revoked';
  email: string | null;
  memberType: number;
  groups: string[];
  matchedRules: string[];
  /** Why, in words an auditor can read. */
  reason: string;
  /** The next instant at which this decision changes by itself (a future termination or end date), if any. */
  reevaluateAt: string | null;
}

const DAY_MS = 86_400_000;
const isCalendarDate = (value: string) => value.length === 10;

/** A termination dated D takes effect at the start of D: a termination dated today or earlier revokes at once. */
function terminationInstant(value: string): number {
  return Date.parse(isCalendarDate(value) ? `${value}T00:00:00Z` : value);
}

/** An end date D is the last day with access: access ends at the end of D. An instant is used exactly. */
function endInstant(value: string): number {
  return isCalendarDate(value) ? Date.parse(`${value}T00:00:00Z`) + DAY_MS : Date.parse(value);
}

export function decide(worker: WorkerRecord, rules: readonly Rule[], policy: Policy, now: Date): DesiredState {
  const nowMs = now.getTime();
  const base = { email: worker.workEmail, memberType: memberTypeCode(policy.memberType) };
  const revoked = (reason: string): DesiredState => ({ ...base, access: 'revoked', groups: [], matchedRules: [], reason, reevaluateAt: null });

  const deadlines: Array<{ at: number; reason: string }> = [];
  if (worker.terminationDate) deadlines.push({ at: terminationInstant(worker.terminationDate), reason: `terminated as of ${worker.terminationDate}` });
  if (worker.endDate) deadlines.push({ at: endInstant(worker.endDate), reason: `end date ${worker.endDate} has passed` });

  const passed = deadlines.filter((deadline) => deadline.at <= nowMs).sort((a, b) => a.at - b.at)[0];
  if (passed) return revoked(passed.reason);
  if (worker.status === 'terminated' && !worker.terminationDate) return revoked('terminated (no termination date given)');

  const upcoming = deadlines.filter((deadline) => deadline.at > nowMs).sort((a, b) => a.at - b.at)[0];
  const grant = groupsFor(worker, rules);
  return {
    ...base,
    access: 'member',
    groups: grant.groups,
    matchedRules: grant.matchedRules,
    reason: upcoming ? `${worker.status}; access ends ${new Date(upcoming.at).toISOString()}` : worker.status,
    reevaluateAt: upcoming ? new Date(upcoming.at).toISOString() : null,
  };
}
