import type { BitwardenClient } from '../bitwarden/client.js';
import type { Policy, Rule } from '../config/schema.js';
import { reevaluation } from '../queue/message.js';
import type { EventPublisher } from '../queue/publisher.js';
import type { WorkerStateStore } from '../store/worker-state.js';
import { evaluate } from '../sync/evaluate.js';
import { readOrganization, snapshotEvaluation, statesByKey } from '../sync/snapshot.js';
import type { Action } from '../sync/plan.js';
import { MemberStatus, memberTypeName } from '../vocabulary/bitwarden.js';

export const driftKinds = ['active-but-terminated', 'missing-invite', 'extra-membership', 'missing-membership', 'member-without-worker', 'invite-not-accepted', 'identity-collision'] as const;
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
    if (member?.status === MemberStatus.Invited && state.invitedAt && now.getTime() - Date.parse(state.invitedAt) > deps.policy.inviteAcceptanceDays * DAY_MS) {
      report('invite-not-accepted', `invited ${state.invitedAt}, not accepted after ${deps.policy.inviteAcceptanceDays} days`);
    }
  }
  for (const member of members) {
    if (explained.has(member.id) || member.status === MemberStatus.Revoked) continue;
    drift.push({ kind: 'member-without-worker', workerKey: null, memberId: member.id, email: member.email, detail: `no HR worker explains this member (externalId ${member.externalId ?? 'none'}, type ${memberTypeName(member.type)})` });
  }

  const corrected = options.apply ? [...drifted.keys()] : [];
  if (corrected.length > 0) {
    progress(`sending ${corrected.length} worker(s) to be corrected`);
    await deps.publisher.publish(corrected.map((workerKey) => reevaluation(workerKey, 'reconcile', now, drifted.get(workerKey))));
  }
  const counts = Object.fromEntries(driftKinds.map((kind) => [kind, drift.filter((item) => item.kind === kind).length])) as Record<DriftKind, number>;
  return { at: now.toISOString(), workers: states.length, members: members.length, drift, counts, corrected };
}
