import type { Member } from '../bitwarden/types.js';
import type { ExecutedAction } from './execute.js';
import type { ActualState } from './plan.js';

export interface FoundMember extends ActualState {
  /** How the member was found; `email` means it is linked now, and by id from then on. */
  linkedBy: 'member-id' | 'external-id' | 'email' | null;
  /** A rehire under a new id takes over the member of this terminated worker (found by e-mail). */
  takeoverFrom?: string;
}

export interface FindOptions {
  /** Read the member's groups too (a revocation does not need them). */
  groups: boolean;
  /** Epoch ms: answer from a read of Bitwarden made after this (a re-evaluation asks for what is there now). */
  freshAfter?: number;
  /**
   * For a revocation of a linked member: what the product last wrote of it, enough to revoke it
   * without reading it first. Bitwarden's answer to the revoke corrects it ("Already revoked.", or a 404).
   */
  lastWritten?: { email: string | null; revoked: boolean };
  /**
   * Epoch ms of the product's last write to the worker's member (its state's `memberWrittenAt`). A member
   * shown by a listing older than this, and not written by this container since, is read again: the
   * other lane wrote it (a revoke the rehire must restore).
   */
  writtenAt?: number;
  /** Answer from a read made now unless `lastWritten` answers (a revocation: what an older listing shows may have changed). */
  verify?: boolean;
}

/** Finds a worker's member: from the member index for the worker (lib/sync/member-index.ts), or from one listing for a whole-organization pass. */
export interface MemberLookup {
  find(workerKey: string, linkedMemberId: string | null, email: string | null, options?: FindOptions): Promise<FoundMember>;
  /** Told of each write made (`at`: epoch ms of Bitwarden's answer), so that what it answers next includes it. */
  applied?(done: ExecutedAction, at?: number): void;
  /** Told that Bitwarden contradicted it: the next answer comes from a new read. */
  invalidate?(): void;
}

/**
 * The worker's member among `members`: by the id we linked it to; else by `externalId` = worker
 * key; else, once, by lower-cased e-mail (docs/design.md, decision 3). E-mail is never used again once linked.
 */
export function pick(members: Iterable<Member>, workerKey: string, email: string | null): Pick<FoundMember, 'member' | 'linkedBy'> {
  let byEmail: Member | undefined;
  for (const candidate of members) {
    if (candidate.externalId === workerKey) return { member: candidate, linkedBy: 'external-id' };
    if (email && !byEmail && candidate.email.toLowerCase() === email) byEmail = candidate;
  }
  return byEmail ? { member: byEmail, linkedBy: 'email' } : { member: null, linkedBy: null };
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
