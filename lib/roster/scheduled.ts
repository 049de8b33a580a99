import type { RosterStore } from '../store/roster-store.js';
import { ReadInProgressError } from '../store/roster-store.js';
import { syncRoster, type RosterSyncDependencies, type RosterSyncResult } from './sync-roster.js';

export type ScheduledOutcome =
  | { source: string; outcome: 'not-due'; nextAt: string }
  | { source: string; outcome: 'busy' }
  | { source: string; outcome: 'failed'; error: string }
  | ({ outcome: 'read' } & RosterSyncResult);

/**
 * A read is due when one is in progress (resume it) or the last complete one is older than the
 * interval. A source read for the first time is due at once.
 */
export async function rosterDue(store: RosterStore, source: string, now: Date, intervalMinutes: number): Promise<{ due: true } | { due: false; nextAt: string }> {
  if (await store.currentRead(source)) return { due: true };
  const last = await store.lastComplete(source);
  if (!last) return { due: true };
  const nextAt = Date.parse(last.completedAt) + intervalMinutes * 60_000;
  return nextAt <= now.getTime() ? { due: true } : { due: false, nextAt: new Date(nextAt).toISOString() };
}

/**
 * The scheduled tick (every few minutes): each source whose read is due reads within the
 * invocation's time; one source failing does not stop the others, and is reported.
 */
export async function runScheduledRosterReads(
  sources: readonly string[],
  deps: { dependenciesFor(source: string, location?: string): RosterSyncDependencies; store: RosterStore; intervalMinutes: number; lockMs: number; now(): Date },
): Promise<ScheduledOutcome[]> {
  const outcomes: ScheduledOutcome[] = [];
  // A roster file is read when it arrives; a read of one that ran out of time is resumed here, where it stopped.
  const fileRead = await deps.store.currentRead('file');
  if (fileRead?.location && fileRead.lockedUntil <= deps.now().getTime()) {
    try {
      outcomes.push({ outcome: 'read', ...(await syncRoster('file', deps.dependenciesFor('file', fileRead.location), { lockMs: deps.lockMs, location: fileRead.location })) });
    } catch (error) {
      outcomes.push({ source: 'file', outcome: 'failed', error: (error as Error).message });
    }
  }
  for (const source of sources) {
    const sync = deps.dependenciesFor(source);
    try {
      const due = await rosterDue(sync.store, source, deps.now(), deps.intervalMinutes);
      if (!due.due) {
        outcomes.push({ source, outcome: 'not-due', nextAt: due.nextAt });
        continue;
      }
      outcomes.push({ outcome: 'read', ...(await syncRoster(source, sync, { lockMs: deps.lockMs })) });
    } catch (error) {
      outcomes.push(error instanceof ReadInProgressError ? { source, outcome: 'busy' } : { source, outcome: 'failed', error: (error as Error).message });
    }
  }
  return outcomes;
}
