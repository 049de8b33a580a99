import type { BitwardenClient } from '../bitwarden/client.js';
import type { Member } from '../bitwarden/types.js';
import type { ActualState } from './plan.js';

export interface FoundMember extends ActualState {
  /** How the member was found; `email` means it is linked now, and by id from then on. */
  linkedBy: 'member-id' | 'external-id' | 'email' | null;
  /** A rehire under a new id takes over the member of this terminated worker (found by e-mail). */
  takeoverFrom?: string;
}

/** Finds a worker's member: live from Bitwarden for the worker, or from one listing for a whole-organization pass. */
export interface MemberLookup {
  find(workerKey: string, linkedMemberId: string | null, email: string | null): Promise<FoundMember>;
}

/**
 * The worker's member among `members`: by the id we linked it to; else by `externalId` = worker
 * key; else, once, by lower-cased e-mail (docs/design.md, decision 3). E-mail is never used again once linked.
 */
function pick(members: readonly Member[], workerKey: string, email: string | null): Pick<FoundMember, 'member' | 'linkedBy'> {
  const byExternalId = members.find((candidate) => candidate.externalId === workerKey);
  if (byExternalId) return { member: byExternalId, linkedBy: 'external-id' };
  const byEmail = email ? members.find((candidate) => candidate.email.toLowerCase() === email) : undefined;
  return byEmail ? { member: byEmail, linkedBy: 'email' } : { member: null, linkedBy: null };
}

/** Reads Bitwarden for each worker: the linked member by id, else one listing. */
export function liveMemberLookup(bitwarden: Pick<BitwardenClient, 'getMember' | 'listMembers' | 'getMemberGroupIds'>): MemberLookup {
  return {
    async find(workerKey, linkedMemberId, email) {
      const linked = linkedMemberId ? await bitwarden.getMember(linkedMemberId) : null;
      const found = linked ? { member: linked, linkedBy: 'member-id' as const } : pick(await bitwarden.listMembers(), workerKey, email);
      return { ...found, groupIds: found.member ? await bitwarden.getMemberGroupIds(found.member.id) : [] };
    },
  };
}

/** Answers from one listing of the organization and its managed groups' memberships: no call per worker. */
export function snapshotMemberLookup(members: readonly Member[], groupIdsOf: (memberId: string) => string[]): MemberLookup {
  const byId = new Map(members.map((member) => [member.id, member]));
  return {
    async find(workerKey, linkedMemberId, email) {
      const linked = linkedMemberId ? byId.get(linkedMemberId) : undefined;
      const found = linked ? { member: linked, linkedBy: 'member-id' as const } : pick(members, workerKey, email);
      return { ...found, groupIds: found.member ? groupIdsOf(found.member.id) : [] };
    },
  };
}
