import type { EventPublisher } from '../queue/publisher.js';
import type { WorkerEventMessage } from '../queue/message.js';
import { RosterResyncError, type ReadRosterPage, type RosterProblem, type RosterRecord } from '../sources/roster.js';
import type { RosterEntry, RosterRead, RosterStore } from '../store/roster-store.js';
import { checksumOf } from '../vocabulary/canonical-json.js';

export interface RosterSyncDependencies {
  store: RosterStore;
  publisher: EventPublisher;
  readPage: ReadRosterPage;
  /** A complete roster this much smaller than the last complete one removes nobody (0.1: ten per cent). */
  maxShrink: number;
  now(): Date;
  /** Milliseconds this invocation may still run; the read stops between pages with room to spare, and resumes next time. */
  timeLeft(): number;
}

export interface RosterSyncResult {
  source: string;
  readId: string;
  /** Every page was read (and absence was decided); false: the read resumes at its cursor next time. */
  complete: boolean;
  pages: number;
  records: number;
  /** Records whose hash changed (or that are new): each one message on the worker's lane. */
  changed: number;
  /** Workers the last complete roster had and this one has not. */
  absent: string[];
  /** Of those, sent to the worker as removed (policy.onWorkerRemoved decides); zero when the removal was refused. */
  removed: number;
  /** Why absence removed nobody: an incomplete or failed read, rows the source could not map, or a roster much smaller than the last. */
  removalRefused: string | null;
  problems: RosterProblem[];
}

/** Pages read and published before the invocation's time runs low: one page takes a source call and a few writes. */
const SAFETY_MARGIN_MS = 15_000;

/**
 * One step of a source's roster read (docs/design.md, decision 11): claims the read (resuming one
 * in progress; two never overlap), reads pages while time allows, and sends only what changed since
 * the last read (a hash per worker) to the same FIFO lanes as webhooks, so an unchanged worker
 * costs no message and no Bitwarden call. A pulled record is dated by the source's own
 * modification time, so it never overrides a newer applied event. After the last page, workers
 * the last complete roster had and this one lacks are absent: sent as removed, unless the roster
 * is much smaller than the last one or the source reported rows it could not map. A source that
 * tracks changes (Entra ID's delta query) is read whole once, then from where the last complete
 * read left off: only changes, and the workers it reports removed are the absent, under the same guard.
 */
export async function syncRoster(source: string, deps: RosterSyncDependencies, options: { lockMs: number; location?: string }): Promise<RosterSyncResult> {
  const startedAt = deps.now();
  const last = await deps.store.lastComplete(source);
  // A source that tracks changes starts where the last complete read left off, and answers only what changed since.
  const fresh: RosterRead = {
    readId: `${source}@${startedAt.toISOString()}`, startedAt: startedAt.toISOString(), cursor: last?.resume ?? null, pages: 0, records: 0, changed: 0, lockedUntil: 0,
    ...(options.location ? { location: options.location } : {}), ...(last?.resume ? { incremental: true } : {}),
  };
  let read = await deps.store.claimRead(source, fresh, startedAt, options.lockMs);
  const known = await deps.store.entries(source);
  // The first read of a source teaches the product everybody: those are not changes a webhook missed.
  const eventType = last ? 'roster.record' : 'roster.first-read';
  const problems: RosterProblem[] = [];
  const result = (complete: boolean, absent: string[] = [], removed = 0, removalRefused: string | null = null): RosterSyncResult => ({
    source, readId: read.readId, complete, pages: read.pages, records: read.records, changed: read.changed, absent, removed, removalRefused, problems,
  });

  for (;;) {
    let page;
    try {
      page = await deps.readPage(read.cursor);
    } catch (error) {
      if (error instanceof RosterResyncError) {
        // The source forgot where this delta read started: the next read reads the whole roster, and decides absence from it.
        await deps.store.abandonRead(source);
        await deps.store.forgetResume(source);
        throw error;
      }
      // The read stays where it was: the next invocation retries this page, and nothing read so far is sent twice.
      await deps.store.releaseRead(source, read);
      throw error;
    }
    const records = uniqueWorkers(page.records, problems);
    problems.push(...(page.problems ?? []));
    const changed = records.filter(({ record }) => known.get(record.externalId)?.recordHash !== checksumOf(record));
    await deps.publisher.publish(changed.map((entry) => rosterMessage(source, entry, { deliveryId: `roster:${read.readId}:${entry.record.externalId}`, readAt: read.startedAt, eventType }, deps.now())));
    await deps.store.putEntries(source, records.map(({ record }): RosterEntry => ({ workerKey: record.externalId, recordHash: checksumOf(record), seenBy: read.readId })));
    // Marked, not yet removed: the guard decides once the read is complete.
    const removed = (page.removed ?? []).flatMap((workerKey) => known.get(workerKey) ?? []);
    await deps.store.putEntries(source, removed.map((entry) => ({ ...entry, removedBy: read.readId })));
    read = { ...read, cursor: page.next, pages: read.pages + 1, records: read.records + page.records.length, changed: read.changed + changed.length, lockedUntil: deps.now().getTime() + options.lockMs };
    if (page.next === null) return finishRead(source, read, page.resume ?? null, problems, deps, result);
    if (deps.timeLeft() < SAFETY_MARGIN_MS) {
      await deps.store.releaseRead(source, read);
      return result(false);
    }
    await deps.store.saveRead(source, read);
  }
}

/** A worker listed twice on a page is read once (the first) and reported: which record is HR's is unclear, so the read removes nobody. */
function uniqueWorkers(records: readonly RosterRecord[], problems: RosterProblem[]): RosterRecord[] {
  const seen = new Set<string>();
  return records.filter(({ record }) => {
    if (!seen.has(record.externalId)) return seen.add(record.externalId);
    problems.push({ at: `worker ${record.externalId}`, reason: 'listed more than once in the roster; the first record was read' });
    return false;
  });
}

/** After the last page: decide absence, guarded, and remember this read as the last complete one. */
async function finishRead(
  source: string,
  read: RosterRead,
  resume: string | null,
  problems: RosterProblem[],
  deps: RosterSyncDependencies,
  result: (complete: boolean, absent?: string[], removed?: number, refused?: string | null) => RosterSyncResult,
): Promise<RosterSyncResult> {
  const now = deps.now();
  const entries = [...(await deps.store.entries(source)).values()];
  // A whole read: who it did not see is absent. A delta read sees only changes: who the source reported removed is.
  const absent = entries.filter((entry) => (read.incremental ? entry.removedBy === read.readId : entry.seenBy !== read.readId)).map((entry) => entry.workerKey);
  const records = read.incremental ? entries.length - absent.length : read.records;
  const last = await deps.store.lastComplete(source);
  const refused =
    absent.length === 0
      ? null
      : problems.length > 0
        ? `${problems.length} row(s) could not be read: a roster with problems removes nobody`
        : last && records < last.records * (1 - deps.maxShrink)
          ? `the roster has ${records} workers, more than ${Math.round(deps.maxShrink * 100)}% fewer than the ${last.records} of the last complete read: it removes nobody`
          : null;
  if (absent.length > 0 && !refused) {
    await deps.publisher.publish(absent.map((workerKey) => absenceMessage(source, read, workerKey, now)));
    await deps.store.deleteEntries(source, absent);
  }
  // A refused removal is decided again by the next read, which must then be a whole one (a delta would not report it again),
  // against the same size: a broken export stays held however often it is read, until it recovers or an admin raises
  // roster.maxShrink for the read that should remove (docs/runbook.md, "A roster read removed nobody").
  await deps.store.completeRead(source, read, now, { records: refused && last ? last.records : records, resume: refused ? null : resume });
  return result(true, absent, refused ? 0 : absent.length, refused);
}

/** `roster.first-read`: the source's first complete read (day one); `roster.record`: any later one, where a change means a webhook was missed. */
export type RosterEventType = 'roster.record' | 'roster.first-read';

/**
 * A roster record as a worker change: dated by the source's own modification time where it has
 * one, else by when the roster was read (the record is at least that fresh).
 */
export function rosterMessage(source: string, { record, modifiedAt }: RosterRecord, origin: { deliveryId: string; readAt: string; eventType?: RosterEventType }, now: Date): WorkerEventMessage {
  return {
    version: 1,
    provider: source,
    workerKey: record.externalId,
    deliveryId: origin.deliveryId,
    eventType: origin.eventType ?? 'roster.record',
    occurredAt: modifiedAt ?? origin.readAt,
    receivedAt: now.toISOString(),
    subject: { kind: 'record', worker: record },
  };
}

function absenceMessage(source: string, read: RosterRead, workerKey: string, now: Date): WorkerEventMessage {
  return {
    version: 1,
    provider: source,
    workerKey,
    deliveryId: `roster:${read.readId}:${workerKey}:absent`,
    eventType: 'roster.absent',
    occurredAt: read.startedAt,
    receivedAt: now.toISOString(),
    subject: { kind: 'removed', workEmail: null },
  };
}
