import { randomUUID } from 'node:crypto';
import { MAX_IMPORT_MEMBERS, type BitwardenClient } from '../bitwarden/client.js';
import { BitwardenError, BitwardenMessages } from '../bitwarden/errors.js';
import { reevaluation, type WorkerEventMessage } from '../queue/message.js';
import type { EventPublisher } from '../queue/publisher.js';
import type { AuditLog } from '../store/audit-log.js';
import type { PendingInvite, PendingInviteStore } from '../store/pending-invites.js';
import type { Action } from './plan.js';

export interface BulkInviteDependencies {
  pending: Pick<PendingInviteStore, 'add' | 'cancel' | 'all' | 'remove' | 'lock' | 'unlock'>;
  bitwarden: Pick<BitwardenClient, 'importMembers'>;
  publisher: EventPublisher;
  audit: Pick<AuditLog, 'record'>;
  /** Told of a round of a flush that failed (the import, the queue's reads around it, a resume out of time), and what now tries again. */
  onImportFailed(error: unknown, then: AfterFailedImport): void;
  now(): Date;
}

/** The event type of the re-evaluation that follows a bulk import: it sets the groups, or invites one by one. */
export const BULK_FOLLOW_UP = 'bulk-invited';

/** The event type of the re-evaluation sent with invitations still waiting, by an importer out of time or a flush that failed: its handler imports them. */
export const BULK_RESUME = 'bulk-resume';

/**
 * What tries again after a round that imported nothing: a round of its own for calls that joined
 * it; the resume that called it, after its backoff; a resume sent now; or, with none sent, the sweeper.
 */
export type AfterFailedImport = 'another round' | 'the resume, after its backoff' | 'a resume, sent now' | 'the sweeper, within 5 minutes';

/** What one flush did: how many it imported, and the error that stopped it, if one did. */
interface Flushed {
  imported: number;
  failed?: unknown;
}

/** How long one invocation may hold the import lock; more than an import and its follow-ups take. */
const LOCK_MS = 60_000;
/** An import starts only with this much of the invocation left, for the import and its follow-ups. */
const TIME_FOR_AN_IMPORT_MS = 10_000;

/**
 * Bulk onboarding (docs/design.md, decision 14). When Bitwarden's invite counter is spent (one
 * counter for every `POST /public/members`: 60 a minute), an invitation waits here instead, and
 * the invocation that queued it imports everything waiting in one `POST /public/organization/import`
 * of up to 2,000 members, as Directory Connector does. Each imported worker is then re-evaluated:
 * its member is found by externalId and given its groups by one `group-ids` PUT (each member its own
 * counter). A termination that arrives first withdraws the invitation; one that arrives during the
 * import makes the follow-up urgent, and it revokes at once.
 */
export class BulkInviter {
  /** The organization answered that it cannot use directory syncing: invitations go one by one. */
  private unsupported = false;
  /** This invocation's flush under way, which later calls join; how many joined it, and how many of them its last look at the queue followed. */
  private flushing: Promise<Flushed> | null = null;
  private joins = 0;
  private joinsSeen = 0;
  /** A resume (`BULK_RESUME`) called the flush under way: should it fail, that message is what tries again. */
  private resumeCalled = false;

  constructor(private readonly deps: BulkInviteDependencies) {}

  /**
   * Whether this invitation may wait for an import: Users only (import invites no other type), never
   * the follow-up of an import, and only while this invocation has the time to run the import (`timeLeft`,
   * ms): one queued without it would wait for the sweeper, minutes. Otherwise it waits for its slot.
   */
  accepts(action: Extract<Action, { kind: 'invite' }>, message: Pick<WorkerEventMessage, 'eventType'>, timeLeft: number): boolean {
    return !this.unsupported && action.type === 'user' && message.eventType !== `lifecycle.${BULK_FOLLOW_UP}` && timeLeft > TIME_FOR_AN_IMPORT_MS;
  }

  queue(workerKey: string, email: string, now: Date): Promise<void> {
    return this.deps.pending.add({ workerKey, email, queuedAt: now.toISOString() });
  }

  withdraw(workerKey: string): Promise<void> {
    return this.deps.pending.cancel(workerKey);
  }

  /**
   * Imports what waits, unless another invocation is at it; returns how many were imported. The
   * workers of one batch queue side by side: a call made while this invocation flushes joins that
   * flush, which goes round again only for a call that joined after its last look at the queue (a
   * lock attempt per round, not one per invitation), or after a round that failed.
   *
   * A failed flush leaves its invitations queued, to be tried again in seconds, not at the sweeper's
   * next look: a `resuming` caller (the handler of a `BULK_RESUME`) fails with it, and its message
   * comes back after the worker's backoff (functions/worker.ts, retryDelaySeconds) until it is
   * dead-lettered; without one among the callers, the flush sends a resume and its callers, whose
   * invitations are queued, succeed. A resume out of time with invitations waiting fails likewise.
   * A resume never sends another, so a failing import makes no chain of resumes sent one after the
   * other: it is tried again by the resumes that failed, each after its backoff.
   */
  async flush(timeLeft: () => number, resuming = false): Promise<number> {
    if (this.flushing) {
      this.joins++;
    } else {
      this.joinsSeen = this.joins;
      this.resumeCalled = false;
      this.flushing = this.rounds(timeLeft);
    }
    this.resumeCalled ||= resuming;
    const flushed = await this.flushing;
    if (flushed.failed !== undefined && resuming) throw flushed.failed;
    return flushed.imported;
  }

  private async rounds(timeLeft: () => number): Promise<Flushed> {
    let imported = 0;
    try {
      for (;;) {
        const joinsBefore = this.joins;
        try {
          imported += await this.importWaiting(timeLeft);
        } catch (error) {
          if (this.joins !== joinsBefore) {
            this.deps.onImportFailed(error, 'another round');
            continue;
          }
          if (this.resumeCalled) {
            this.deps.onImportFailed(error, 'the resume, after its backoff');
            return { imported, failed: error };
          }
          // Should the resume not go out (the queue unreachable), the sweeper is what is left: failing callers whose
          // invitations are queued would change nothing, since their events come back as duplicates.
          const sent = await this.handOn().then(
            () => true,
            (handOnError: unknown) => (this.deps.onImportFailed(handOnError, 'the sweeper, within 5 minutes'), false),
          );
          this.deps.onImportFailed(error, sent ? 'a resume, sent now' : 'the sweeper, within 5 minutes');
          return { imported, failed: error };
        }
        if (this.joins === this.joinsSeen) return { imported };
      }
    } finally {
      // In the turn that decided there is no other round: a call after it starts a flush of its own.
      this.flushing = null;
    }
  }

  /** What waits, as a look that began after a call joined sees it: that call's invitation is in it. */
  private async look(): Promise<PendingInvite[]> {
    const joins = this.joins;
    const waiting = await this.deps.pending.all();
    this.followed(joins);
    return waiting;
  }

  /** The calls joined so far are taken care of: by a look that began after them, or by the holder of the lock they found taken. */
  private followed(joins: number): void {
    this.joinsSeen = Math.max(this.joinsSeen, joins);
  }

  /**
   * One round of `flush`. An invocation that finds the lock taken leaves its invitations to the
   * holder, so a holder that runs out of time with invitations still waiting hands them on in a
   * message of their own: without it, the last of a wave could wait minutes for the sweeper.
   */
  private async importWaiting(timeLeft: () => number): Promise<number> {
    const holder = randomUUID();
    let imported = 0;
    let waiting: PendingInvite[] | undefined;
    while (timeLeft() > TIME_FOR_AN_IMPORT_MS) {
      // The holder reads what waits once its import is done, this invocation's invitations included: those
      // of the calls that joined before this attempt, as for a look.
      const joins = this.joins;
      if (!(await this.deps.pending.lock(holder, Date.now(), LOCK_MS))) {
        this.followed(joins);
        return imported;
      }
      try {
        for (waiting = await this.look(); waiting.length > 0 && timeLeft() > TIME_FOR_AN_IMPORT_MS; waiting = await this.look()) {
          imported += await this.importBatch(waiting.slice(0, MAX_IMPORT_MEMBERS));
        }
      } finally {
        await this.deps.pending.unlock(holder);
      }
      // An invitation queued while the lock was held, by an invocation that then found it taken, is waiting for this one.
      waiting = await this.look();
      if (waiting.length === 0) return imported;
    }
    // Out of time: what waits is as read after the last import, or, with none made here, read now. A resume fails, to come
    // back after its backoff with an invocation of its own, rather than send another resume at once.
    const left = waiting ?? (await this.look());
    if (left.length > 0 && this.resumeCalled) throw new Error(`${left.length} queued invitations not imported: this invocation has less than ${TIME_FOR_AN_IMPORT_MS / 1000} s left`);
    await this.handOn(left);
    return imported;
  }

  /** Sends one re-evaluation (`BULK_RESUME`) of a waiting worker, whose handler imports all that waits. */
  private async handOn(waiting?: PendingInvite[]): Promise<void> {
    const [next] = waiting ?? (await this.look());
    if (next) await this.deps.publisher.publish([reevaluation(next.workerKey, BULK_RESUME, this.deps.now(), false)]);
  }

  private async importBatch(batch: PendingInvite[]): Promise<number> {
    let now = this.deps.now();
    // Two workers with one e-mail would make the server fail the whole import (docs/reference/bitwarden-public-api.md §8):
    // the first is imported, and the follow-up of the second finds that member and decides as for any e-mail match.
    const byEmail = new Map<string, PendingInvite>();
    for (const invite of batch) if (!byEmail.has(invite.email.toLowerCase())) byEmail.set(invite.email.toLowerCase(), invite);
    const imported = [...byEmail.values()];
    try {
      await this.deps.bitwarden.importMembers(imported.map(({ email, workerKey }) => ({ email, externalId: workerKey })));
    } catch (error) {
      if (!(error instanceof BitwardenError) || !error.is(BitwardenMessages.cannotUseDirectorySync)) throw error;
      this.unsupported = true;
      await this.followUp(batch, new Set(batch.map((invite) => invite.workerKey)), now);
      return 0;
    }
    // The follow-ups read Bitwarden as it is after the import (their receipt time asks for a listing newer than it).
    now = this.deps.now();
    // Withdrawn during the import (a termination): that worker's follow-up goes urgent and revokes what was just invited.
    const stillWanted = new Set((await this.deps.pending.all()).map((invite) => invite.workerKey));
    await this.deps.audit.record(
      imported
        .filter((invite) => stillWanted.has(invite.workerKey))
        .map((invite) => ({
          workerKey: invite.workerKey,
          at: now.toISOString(),
          deliveryId: `bulk-import:${now.toISOString()}`,
          provider: 'lifecycle',
          eventType: `lifecycle.${BULK_FOLLOW_UP}`,
          outcome: 'applied' as const,
          action: 'invite',
          memberId: null,
          detail: `invited ${invite.email} as a User in a bulk import of ${imported.length} (queued ${invite.queuedAt}); its groups follow`,
        })),
    );
    await this.followUp(batch, stillWanted, now);
    return imported.length;
  }

  /** Re-evaluates each worker of the batch, and takes the batch off the queue. */
  private async followUp(batch: PendingInvite[], stillWanted: ReadonlySet<string>, now: Date): Promise<void> {
    await this.deps.publisher.publish(batch.map((invite) => reevaluation(invite.workerKey, BULK_FOLLOW_UP, now, !stillWanted.has(invite.workerKey))));
    await this.deps.pending.remove(batch.map((invite) => invite.workerKey));
  }
}
