import type { DesiredState } from '../policy/decide.js';
import { type Member } from '../bitwarden/types.js';
import { memberTypeCode, MemberStatus, type MemberTypeName } from '../vocabulary/bitwarden.js';

/** The member's current state in Bitwarden, as read just before planning. */
export interface ActualState {
  member: Member | null;
  /** The member's group ids (all groups, managed or not); empty when there is no member. */
  groupIds: string[];
  /** A rehire under a new id takes over the member of this terminated worker. */
  takeoverFrom?: string;
}

/** Group names resolved to ids, and the ids of every group the rules manage. */
export interface GroupDirectory {
  idOf(name: string): string;
  managedIds: ReadonlySet<string>;
}

export type Action =
  | { kind: 'invite'; email: string; externalId: string; type: MemberTypeName; groupIds: string[] }
  | { kind: 'link'; memberId: string; externalId: string; takenOverFrom: string | null }
  | { kind: 'set-type'; memberId: string; type: MemberTypeName }
  | { kind: 'restore'; memberId: string }
  | { kind: 'set-groups'; memberId: string; groupIds: string[]; added: string[]; removed: string[] }
  | { kind: 'revoke'; memberId: string }
  | { kind: 'remove'; memberId: string };

export interface Plan {
  actions: Action[];
  /** Why nothing could be done where something should have been (e.g. no e-mail to invite). */
  blocked: string | null;
}

const sorted = (ids: Iterable<string>) => [...new Set(ids)].sort();

/**
 * The fewest Bitwarden calls that take `actual` to `desired` (docs/design.md, decision 9): an invite
 * carries its groups, a regroup is one group-ids PUT, a revoke is one call, and a state that
 * already holds needs none. Only managed groups change; an admin's hand-made memberships stay.
 */
export function plan(workerKey: string, desired: DesiredState, actual: ActualState, directory: GroupDirectory): Plan {
  const { member } = actual;

  // A future hire is left alone until its invitation is due.
  if (desired.access === 'not-yet') return { actions: [], blocked: null };
  if (desired.access === 'removed') return { actions: member ? [{ kind: 'remove', memberId: member.id }] : [], blocked: null };
  if (desired.access === 'revoked') {
    // Revoking keeps the memberships, so a rehire's restore is lossless.
    if (member && member.status !== MemberStatus.Revoked) return { actions: [{ kind: 'revoke', memberId: member.id }], blocked: null };
    return { actions: [], blocked: null };
  }

  const desiredIds = desired.groups.map((name) => directory.idOf(name));
  if (!member) {
    if (!desired.email) return { actions: [], blocked: 'the worker has no work e-mail to invite' };
    return { actions: [{ kind: 'invite', email: desired.email, externalId: workerKey, type: desired.memberType, groupIds: sorted(desiredIds) }], blocked: null };
  }

  const actions: Action[] = [];
  // A member found by e-mail gets the worker key as its externalId, so it is found by id from then on.
  // An externalId another tool set (Directory Connector, SCIM) is never overwritten; a terminated worker's is, by its rehire.
  if (actual.takeoverFrom) actions.push({ kind: 'link', memberId: member.id, externalId: workerKey, takenOverFrom: actual.takeoverFrom });
  else if (member.externalId === null) actions.push({ kind: 'link', memberId: member.id, externalId: workerKey, takenOverFrom: null });
  if (member.status === MemberStatus.Revoked) actions.push({ kind: 'restore', memberId: member.id });
  if (desired.enforceMemberType && member.type !== memberTypeCode(desired.memberType)) actions.push({ kind: 'set-type', memberId: member.id, type: desired.memberType });

  const current = new Set(actual.groupIds);
  const target = new Set([...actual.groupIds.filter((id) => !directory.managedIds.has(id)), ...desiredIds]);
  const added = sorted([...target].filter((id) => !current.has(id)));
  const removed = sorted([...current].filter((id) => !target.has(id)));
  if (added.length > 0 || removed.length > 0) actions.push({ kind: 'set-groups', memberId: member.id, groupIds: sorted(target), added, removed });

  return { actions, blocked: null };
}
