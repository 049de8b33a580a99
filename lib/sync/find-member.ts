import type { BitwardenClient } from '../bitwarden/client.js';
import type { Member } from '../bitwarden/types.js';
import type { ActualState } from './plan.js';

export interface FoundMember extends ActualState {
  /** How the member was found; `email` means it is linked now, and by id from then on. */
  linkedBy: 'member-id' | 'external-id' | 'email' | null;
}

/**
 * The worker's member, by the id we linked it to; else by `externalId` = worker key; else, once,
 * by lower-cased e-mail (design decision 3). E-mail is never used again once linked.
 */
export async function findMember(bitwarden: BitwardenClient, workerKey: string, linkedMemberId: string | null, email: string | null): Promise<FoundMember> {
  let member: Member | null = linkedMemberId ? await bitwarden.getMember(linkedMemberId) : null;
  let linkedBy: FoundMember['linkedBy'] = member ? 'member-id' : null;
  if (!member) {
    const members = await bitwarden.listMembers();
    member = members.find((candidate) => candidate.externalId === workerKey) ?? null;
    linkedBy = member ? 'external-id' : null;
    if (!member && email) {
      member = members.find((candidate) => candidate.email.toLowerCase() === email) ?? null;
      linkedBy = member ? 'email' : null;
    }
  }
  const groupIds = member ? await bitwarden.getMemberGroupIds(member.id) : [];
  return { member, groupIds, linkedBy };
}
