import type { BitwardenClient } from '../bitwarden/client.js';
import type { Member } from '../bitwarden/types.js';
import { memberTypeCode, MemberStatus, type MemberStatusCode } from '../vocabulary/bitwarden.js';
import type { ExecutedAction } from './execute.js';
import { pick, type FindOptions, type FoundMember, type MemberLookup } from './find-member.js';

export interface MemberIndexOptions {
  /** A listing older than this is read again before it answers (docs/design.md, decision 13). */
  maxAgeMs?: number;
  /** A miss on a listing older than this could be a member invited since by someone else: it is read again first. */
  trustMissForMs?: number;
}

interface Listing {
  at: number;
  byId: Map<string, Member>;
}

/**
 * The organization's members by id, `externalId` and e-mail, from one listing kept current by every
 * write this process makes, so a worker's event reads Bitwarden only when it must: a known member's
 * revoke is one call with no read first, and a hire costs at most one listing (a miss on a listing
 * younger than `trustMissForMs` is trusted). A write that finds the index wrong (an e-mail invited
 * meanwhile, a member removed by hand) makes the worker read it again and plan again
 * (lib/sync/apply-worker-event.ts). Each Lambda container keeps its own.
 */
export class MemberIndex implements MemberLookup {
  private listing: Listing | null = null;
  private reading: { at: number; listing: Promise<Listing> } | null = null;
  /** When this process last wrote each member: its entry is current from then on, whatever the listing's age. */
  private readonly writtenAt = new Map<string, number>();
  /** What a revoked member returns to on restore (Bitwarden keeps it; the listing shows only "revoked"). */
  private readonly statusBeforeRevoke = new Map<string, MemberStatusCode>();
  private readonly maxAgeMs: number;
  private readonly trustMissForMs: number;

  constructor(
    private readonly bitwarden: Pick<BitwardenClient, 'listMembers' | 'getMemberGroupIds'>,
    options: MemberIndexOptions = {},
    private readonly clock: () => number = Date.now,
  ) {
    this.maxAgeMs = options.maxAgeMs ?? 5 * 60_000;
    this.trustMissForMs = options.trustMissForMs ?? 60_000;
  }

  async find(workerKey: string, linkedMemberId: string | null, email: string | null, options: FindOptions = { groups: true }): Promise<FoundMember> {
    // Our own last write, not the listing: another container may have restored the member since this listing was read.
    if (linkedMemberId && options.lastWritten && options.freshAfter === undefined) {
      return { member: asLastWritten(linkedMemberId, workerKey, options.lastWritten), linkedBy: 'member-id', groupIds: [] };
    }
    const started = this.clock();
    // A revocation never answers from an older listing: there a member may still show as revoked after a restore, or
    // under the externalId of a worker whose rehire has taken it over since; one it does not find keeps its access.
    let listing = await this.current(options.verify ? started : options.freshAfter);
    let found = this.lookup(listing, workerKey, linkedMemberId, email);
    // A linked member missing was invited or linked since, elsewhere; any other miss may be, on an older listing.
    const linkedMissing = linkedMemberId !== null && found.linkedBy !== 'member-id';
    const missCouldBeStale = found.member === null && started - listing.at > this.trustMissForMs;
    // Written since this listing, by another container (the other lane): what the listing shows of it is out of date.
    const hitIsStale = found.member !== null && options.writtenAt !== undefined && this.knownAt(found.member.id, listing) < options.writtenAt;
    if ((linkedMissing || missCouldBeStale || hitIsStale) && listing.at < started) {
      listing = await this.current(started);
      found = this.lookup(listing, workerKey, linkedMemberId, email);
    }
    return { ...found, groupIds: found.member && options.groups ? await this.bitwarden.getMemberGroupIds(found.member.id) : [] };
  }

  /** Every member, from a listing no older than `maxAgeMs` (the guard sizes the organization from it). */
  async listMembers(): Promise<Member[]> {
    return [...(await this.current()).byId.values()];
  }

  /** Keeps the index in step with a write this process made. */
  applied(done: ExecutedAction, at = this.clock()): void {
    const byId = this.listing?.byId;
    if (!byId) return;
    this.writtenAt.set(done.memberId, at);
    const { action } = done;
    const member = byId.get(done.memberId);
    switch (action.kind) {
      case 'invite':
        if (done.member) byId.set(done.member.id, done.member);
        return;
      case 'remove':
        byId.delete(done.memberId);
        return;
    }
    if (!member) return;
    switch (action.kind) {
      case 'link':
        byId.set(member.id, { ...member, externalId: action.externalId });
        return;
      case 'set-type':
        byId.set(member.id, { ...member, type: memberTypeCode(action.type) });
        return;
      case 'revoke':
        if (member.status !== MemberStatus.Revoked) this.statusBeforeRevoke.set(member.id, member.status);
        byId.set(member.id, { ...member, status: MemberStatus.Revoked });
        return;
      case 'restore':
        byId.set(member.id, { ...member, status: this.statusBeforeRevoke.get(member.id) ?? MemberStatus.Confirmed });
        this.statusBeforeRevoke.delete(member.id);
        return;
    }
  }

  /** Bitwarden says the index is wrong about something: the next lookup reads the organization again. */
  invalidate(): void {
    if (this.listing) this.listing = { ...this.listing, at: Number.NEGATIVE_INFINITY };
  }

  private knownAt(memberId: string, listing: Listing): number {
    return Math.max(listing.at, this.writtenAt.get(memberId) ?? Number.NEGATIVE_INFINITY);
  }

  private lookup(listing: Listing, workerKey: string, linkedMemberId: string | null, email: string | null): Pick<FoundMember, 'member' | 'linkedBy'> {
    const linked = linkedMemberId ? listing.byId.get(linkedMemberId) : undefined;
    return linked ? { member: linked, linkedBy: 'member-id' } : pick(listing.byId.values(), workerKey, email);
  }

  /** The listing, read again when older than `maxAgeMs` or than `freshAfter`; concurrent readers share a request sent late enough. */
  private async current(freshAfter?: number): Promise<Listing> {
    const oldest = Math.max(this.clock() - this.maxAgeMs, freshAfter ?? Number.NEGATIVE_INFINITY);
    if (this.listing && this.listing.at >= oldest) return this.listing;
    if (this.reading && this.reading.at >= oldest) return this.reading.listing;
    const at = this.clock();
    const reading = { at, listing: this.read(at) };
    this.reading = reading;
    return reading.listing.finally(() => {
      if (this.reading === reading) this.reading = null;
    });
  }

  private async read(at: number): Promise<Listing> {
    const members = await this.bitwarden.listMembers();
    const listing = { at, byId: new Map(members.map((member) => [member.id, member])) };
    // A slower read sent earlier never replaces a newer one.
    if (!this.listing || this.listing.at <= at) {
      this.listing = listing;
      for (const [id, writtenAt] of this.writtenAt) if (writtenAt <= at) this.writtenAt.delete(id);
    }
    return listing;
  }
}

/** A linked member as the product last wrote it (lib/sync/find-member.ts `lastWritten`): only what a revocation needs is known. */
function asLastWritten(id: string, workerKey: string, lastWritten: NonNullable<FindOptions['lastWritten']>): Member {
  return {
    object: 'member', id, userId: null, name: null, email: lastWritten.email ?? '', twoFactorEnabled: false,
    status: lastWritten.revoked ? MemberStatus.Revoked : MemberStatus.Accepted,
    collections: null, resetPasswordEnrolled: false, ssoExternalId: null, type: memberTypeCode('user'), externalId: workerKey, permissions: null,
  };
}
