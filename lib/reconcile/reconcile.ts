import type { BitwardenClient } from '../bitwarden/client.js';
import type { Policy, Rule } from '../config/schema.js';
import { reevaluation, type WorkerEventMessage } from '../queue/message.js';
import { classifyRoster, readWholeRoster, type RosterPlanKind } from '../roster/plan-roster.js';
import { rosterMessage } from '../roster/sync-roster.js';
import type { ReadRosterPage } from '../sources/roster.js';
import type { EventPublisher } from '../queue/publisher.js';
import type { WorkerStateStore } from '../store/worker-state.js';
import { evaluate } from '../sync/evaluate.js';
import { readOrganization, snapshotEvaluation, statesByKey } from '../sync/snapshot.js';
import type { Action } from '../sync/plan.js';
import { pendingConfirmations } from '../lifecycle/pending-confirmation.js';
import { driftFound, invitesNotAccepted, pendingConfirmation } from '../notify/messages.js';
import type { Notifier } from '../notify/notifier.js';
import { MemberStatus, memberTypeName } from '../vocabulary/bitwarden.js';

export const driftKinds = [
  'active-but-terminated', 'missing-invite', 'extra-membership', 'missing-membership', 'member-without-worker', 'invite-not-accepted', 'identity-collision',
  // HR's roster against what the product applied: a change no webhook delivered, or a worker the roster no longer has.
  'hr-not-applied', 'absent-from-hr',
] as const;
export type DriftKind = (typeof driftKinds)[number];

export interface Drift {
  kind: DriftKind;
  workerKey: string | null;
  memberId: string | null;
  email: string | null;
  detail: string;
}

export interface ReconcileDependencies {
  /** The sources whose whole roster can be read: reconcile is then three-way, HR roster against stored state against Bitwarden. */
  rosters: ReadonlyArray<{ source: string; readPage: ReadRosterPage }>;
  workers: WorkerStateStore;
  rules(): Promise<Rule[]>;
  bitwarden: BitwardenClient;
  publisher: EventPublisher;
  policy: Policy;
  now(): Date;
  /** Who is told of drift, of invitations not accepted after `inviteReminderDays` and of members awaiting confirmation; without it, nobody (a preview). */
  notify?: { notifier: Notifier; inviteReminderDays: number };
}

export interface Reconciliation {
  at: string;
  workers: number;
  members: number;
  drift: Drift[];
  counts: Record<DriftKind, number>;
  /** Workers sent to the worker to be corrected (with `apply`). */
  corrected: string[];
}

const DAY_MS = 86_400_000;

/** Roster rows that mean HR says something the product has not applied. */
const hrNotApplied = new Set<RosterPlanKind>(['link', 'invite', 'regroup', 'restore', 'revoke', 'collision']);

/** Which drift a planned action reveals; actions not listed (linking, a type, a due removal) are the worker's business, not drift. */
const driftOf: Partial<Record<Action['kind'], DriftKind>> = { revoke: 'active-but-terminated', remove: 'active-but-terminated', invite: 'missing-invite', restore: 'missing-invite' };

/**
 * Compares what Bitwarden holds (members, and memberships of managed groups) with what every known
 * worker should have now, and reports the difference by kind. Each worker goes through the same
 * `evaluate` as the worker's own events, answered from one listing of the organization. With
 * `apply`, the drifted workers are re-evaluated through the worker, so corrections are planned,
 * guarded and audited like everything else. Members no worker explains are only reported, never touched.
 */
export async function reconcile(deps: ReconcileDependencies, options: { apply: boolean; progress?: (message: string) => void }): Promise<Reconciliation> {
  const now = deps.now();
  const progress = options.progress ?? (() => undefined);
  progress('reading workers');
  const [states, rules] = await Promise.all([deps.workers.all(), deps.rules()]);
  const snapshot = await readOrganization(deps.bitwarden, rules, progress);
  const { members } = snapshot;
  const evaluation = snapshotEvaluation(snapshot, { workers: statesByKey(states, deps.workers), rules, policy: deps.policy, now });

  const name = snapshot.groupName;
  const explained = new Set<string>();
  const drift: Drift[] = [];
  const drifted = new Map<string, boolean>();
  const unaccepted: string[] = [];
  for (const state of states) {
    const evaluated = await evaluate(reevaluation(state.workerKey, 'reconcile', now), evaluation, { state });
    if (evaluated.outcome === 'skip') continue;
    const { found, desired } = evaluated;
    const member = found.member;
    if (member) explained.add(member.id);
    if (evaluated.collision) {
      drift.push({ kind: 'identity-collision', workerKey: state.workerKey, memberId: evaluated.collision.memberId, email: evaluated.collision.email, detail: evaluated.plan.blocked! });
      continue;
    }
    const report = (kind: DriftKind, detail: string) => {
      drift.push({ kind, workerKey: state.workerKey, memberId: member?.id ?? null, email: member?.email ?? state.record.workEmail, detail });
      if (kind !== 'invite-not-accepted') drifted.set(state.workerKey, (drifted.get(state.workerKey) ?? false) || kind === 'active-but-terminated');
    };
    for (const action of evaluated.plan.actions) {
      if (action.kind === 'set-groups') {
        if (action.removed.length > 0) report('extra-membership', `in ${action.removed.map(name).join(', ')}, which no rule gives`);
        if (action.added.length > 0) report('missing-membership', `not in ${action.added.map(name).join(', ')}`);
        continue;
      }
      const kind = driftOf[action.kind];
      // A due removal of a revoked member is the sweeper's work, not drift.
      if (!kind || (action.kind === 'remove' && member?.status === MemberStatus.Revoked)) continue;
      if (kind === 'active-but-terminated') report(kind, `${desired.reason}, but the member is active${state.heldByGuard ? ' (held by the mass-revocation guard)' : ''}`);
      else report(kind, member ? 'should have access, but the member is revoked' : 'should have access, but has no member');
    }
    // Reminders concern people who should have access: a leaver's open invitation is the revocation's business.
    if (deps.notify && desired.access === 'member' && member?.status === MemberStatus.Invited && state.invitedAt && now.getTime() - Date.parse(state.invitedAt) > deps.notify.inviteReminderDays * DAY_MS) unaccepted.push(state.workerKey);
    if (member?.status === MemberStatus.Invited && state.invitedAt && now.getTime() - Date.parse(state.invitedAt) > deps.policy.inviteAcceptanceDays * DAY_MS) {
      report('invite-not-accepted', `invited ${state.invitedAt}, not accepted after ${deps.policy.inviteAcceptanceDays} days`);
    }
  }
  const missed: WorkerEventMessage[] = [];
  for (const roster of deps.rosters) {
    progress(`reading the ${roster.source} roster`);
    const { records } = await readWholeRoster(roster.readPage);
    const classified = await classifyRoster(roster.source, records, { snapshot, states, workers: deps.workers, rules, policy: deps.policy, now });
    for (const id of classified.explained) explained.add(id);
    const recordOf = new Map(records.map((entry) => [entry.record.externalId, entry]));
    for (const row of classified.rows) {
      if (row.kind === 'absent') drift.push({ kind: 'absent-from-hr', workerKey: row.workerKey, memberId: null, email: row.email, detail: `${roster.source}: ${row.detail}` });
      if (!hrNotApplied.has(row.kind)) continue;
      drift.push({ kind: 'hr-not-applied', workerKey: row.workerKey, memberId: null, email: row.email, detail: `${roster.source}'s roster would ${row.kind}: ${row.detail}` });
      missed.push(rosterMessage(roster.source, recordOf.get(row.workerKey!)!, { deliveryId: `reconcile:${now.toISOString()}:${row.workerKey}`, readAt: now.toISOString() }, now));
    }
  }
  for (const member of members) {
    if (explained.has(member.id) || member.status === MemberStatus.Revoked) continue;
    drift.push({ kind: 'member-without-worker', workerKey: null, memberId: member.id, email: member.email, detail: `no HR worker explains this member (externalId ${member.externalId ?? 'none'}, type ${memberTypeName(member.type)})` });
  }

  // HR's record goes through the worker for what the roster says the product missed; the rest is re-evaluated. Absence is left to the roster read, which guards it.
  const rosterFixed = new Set(missed.map((message) => message.workerKey));
  const corrected = options.apply ? [...new Set([...drifted.keys(), ...rosterFixed])] : [];
  if (corrected.length > 0) {
    progress(`sending ${corrected.length} worker(s) to be corrected`);
    await deps.publisher.publish([...missed, ...[...drifted.keys()].filter((workerKey) => !rosterFixed.has(workerKey)).map((workerKey) => reevaluation(workerKey, 'reconcile', now, drifted.get(workerKey)))]);
  }
  const counts = Object.fromEntries(driftKinds.map((kind) => [kind, drift.filter((item) => item.kind === kind).length])) as Record<DriftKind, number>;
  if (deps.notify) {
    const { notifier, inviteReminderDays } = deps.notify;
    // Invitations nobody accepted have their own reminder; the rest is drift.
    const found = driftKinds.filter((kind) => kind !== 'invite-not-accepted' && counts[kind] > 0);
    if (found.length > 0) await notifier.notify(driftFound(found.map((kind) => [kind, counts[kind]]), options.apply, now));
    if (unaccepted.length > 0) await notifier.notify(invitesNotAccepted(unaccepted, inviteReminderDays, now));
    const waiting = pendingConfirmations(members, states);
    if (waiting.length > 0) await notifier.notify(pendingConfirmation(waiting, now));
  }
  return { at: now.toISOString(), workers: states.length, members: members.length, drift, counts, corrected };
}
