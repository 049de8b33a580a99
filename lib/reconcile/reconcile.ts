import type { BitwardenClient } from '../bitwarden/client.js';
import { MemberStatus, type Member } from '../bitwarden/types.js';
import type { Policy, Rule } from '../config/schema.js';
import { reevaluation } from '../lifecycle/sweep.js';
import { decide } from '../policy/decide.js';
import { managedGroupNames } from '../policy/rules.js';
import type { EventPublisher } from '../queue/publisher.js';
import type { WorkerState, WorkerStateStore } from '../store/worker-state.js';

export const driftKinds = ['active-but-terminated', 'missing-invite', 'extra-membership', 'missing-membership', 'member-without-worker', 'invite-not-accepted'] as const;
export type DriftKind = (typeof driftKinds)[number];

export interface Drift {
  kind: DriftKind;
  workerKey: string | null;
  memberId: string | null;
  email: string | null;
  detail: string;
}

export interface ReconcileDependencies {
  workers: WorkerStateStore;
  rules(): Promise<Rule[]>;
  bitwarden: BitwardenClient;
  publisher: EventPublisher;
  policy: Policy;
  now(): Date;
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

/**
 * Compares what Bitwarden holds (members, and memberships of managed groups) with what every known
 * worker should have now, and reports the difference by kind. With `apply`, the drifted workers are
 * re-evaluated through the same worker path as any event, so corrections are planned, guarded and
 * audited like everything else. Members no worker explains are only reported, never touched.
 */
export async function reconcile(deps: ReconcileDependencies, options: { apply: boolean; progress?: (message: string) => void }): Promise<Reconciliation> {
  const now = deps.now();
  const progress = options.progress ?? (() => undefined);
  progress('reading workers');
  const [states, rules] = await Promise.all([deps.workers.all(), deps.rules()]);
  progress(`reading Bitwarden members and groups (${states.length} workers known)`);
  const [members, groups] = await Promise.all([deps.bitwarden.listMembers(), deps.bitwarden.listGroups()]);
  const managed = new Set(managedGroupNames(rules).map((name) => name.toLowerCase()));
  const managedGroups = groups.filter((group) => managed.has(group.name.toLowerCase()));
  const idOf = new Map(managedGroups.map((group) => [group.name.toLowerCase(), group.id]));

  const memberships = new Map<string, Set<string>>();
  for (const [index, group] of managedGroups.entries()) {
    progress(`reading memberships of managed groups (${index + 1}/${managedGroups.length})`);
    for (const memberId of await deps.bitwarden.getGroupMemberIds(group.id)) {
      if (!memberships.has(memberId)) memberships.set(memberId, new Set());
      memberships.get(memberId)!.add(group.id);
    }
  }

  const byId = new Map(members.map((member) => [member.id, member]));
  const byExternalId = new Map(members.filter((member) => member.externalId).map((member) => [member.externalId!, member]));
  const explained = new Set<string>();
  const drift: Drift[] = [];
  const drifted = new Map<string, boolean>();
  const report = (state: WorkerState, member: Member | null, kind: DriftKind, detail: string, urgent = false) => {
    drift.push({ kind, workerKey: state.workerKey, memberId: member?.id ?? null, email: member?.email ?? state.record.workEmail, detail });
    drifted.set(state.workerKey, (drifted.get(state.workerKey) ?? false) || urgent);
  };

  for (const state of states) {
    const member = (state.memberId ? byId.get(state.memberId) : undefined) ?? byExternalId.get(state.workerKey) ?? null;
    if (member) explained.add(member.id);
    const desired = decide(state.record, rules, deps.policy, now, { revokedAt: state.revokedAt });
    const active = member !== null && member.status !== MemberStatus.Revoked;
    if ((desired.access === 'revoked' || desired.access === 'removed') && active) {
      report(state, member, 'active-but-terminated', `${desired.reason}, but the member is active${state.heldByGuard ? ' (held by the mass-revocation guard)' : ''}`, true);
      continue;
    }
    if (desired.access !== 'member') continue;
    if (!member || member.status === MemberStatus.Revoked) {
      if (desired.email) report(state, member, 'missing-invite', member ? 'should have access, but the member is revoked' : 'should have access, but has no member');
      continue;
    }
    const held = memberships.get(member.id) ?? new Set<string>();
    const wanted = new Set(desired.groups.map((name) => idOf.get(name.toLowerCase())).filter((id): id is string => id !== undefined));
    const extra = [...held].filter((id) => !wanted.has(id));
    const missing = [...wanted].filter((id) => !held.has(id));
    const name = (id: string) => groups.find((group) => group.id === id)?.name ?? id;
    if (extra.length > 0) report(state, member, 'extra-membership', `in ${extra.map(name).join(', ')}, which no rule gives`);
    if (missing.length > 0) report(state, member, 'missing-membership', `not in ${missing.map(name).join(', ')}`);
    if (member.status === MemberStatus.Invited && state.invitedAt && now.getTime() - Date.parse(state.invitedAt) > deps.policy.inviteAcceptanceDays * DAY_MS) {
      drift.push({ kind: 'invite-not-accepted', workerKey: state.workerKey, memberId: member.id, email: member.email, detail: `invited ${state.invitedAt}, not accepted after ${deps.policy.inviteAcceptanceDays} days` });
    }
  }
  for (const member of members) {
    if (explained.has(member.id) || member.status === MemberStatus.Revoked) continue;
    drift.push({ kind: 'member-without-worker', workerKey: null, memberId: member.id, email: member.email, detail: `no HR worker explains this member (externalId ${member.externalId ?? 'none'}, type ${member.type})` });
  }

  const corrected = options.apply ? [...drifted.keys()] : [];
  if (corrected.length > 0) {
    progress(`sending ${corrected.length} worker(s) to be corrected`);
    await deps.publisher.publish(corrected.map((workerKey) => reevaluation(workerKey, 'reconcile', now, drifted.get(workerKey))));
  }
  const counts = Object.fromEntries(driftKinds.map((kind) => [kind, drift.filter((item) => item.kind === kind).length])) as Record<DriftKind, number>;
  return { at: now.toISOString(), workers: states.length, members: members.length, drift, counts, corrected };
}
