import type { WorkerRecord } from '../vocabulary/worker-record.js';

/**
 * A source's second face: its whole population, read page by page (docs/design.md, decision 11).
 * Webhooks are lossy; a roster read on a schedule catches what they missed, and on the first day
 * it is how the product learns everybody.
 */
export interface RosterRecord {
  record: WorkerRecord;
  /** The source's own modification time of the record, where it keeps one: a pulled record never overrides a newer applied event. */
  modifiedAt: string | null;
}

export interface RosterPage {
  records: RosterRecord[];
  /** Where the next page starts; null on the last page. Opaque: only the source reads it. */
  next: string | null;
  /** Workers the source reports deleted since the read's starting point (a delta read's `@removed`): absent, under the same guard. */
  removed?: string[];
  /**
   * On the last page of a source that tracks changes (Graph's `@odata.deltaLink`): where the next
   * read starts, to be answered only what changed since this one. Opaque, like `next`.
   */
  resume?: string;
}

/** One row (or record) of a roster the source could not map; the rest of its page is still read, but such a read removes nobody. */
export interface RosterProblem {
  /** Where, in the source's own terms: `line 14` of a file, or a record id. */
  at: string;
  reason: string;
}

/** Reads one page; `cursor` null is the first page. */
export type ReadRosterPage = (cursor: string | null) => Promise<RosterPage & { problems?: RosterProblem[] }>;

/** The source no longer knows the state a delta read started from (an expired token): the next read must be a whole one. */
export class RosterResyncError extends Error {
  override readonly name = 'RosterResyncError';
}

/** The roster as a whole cannot be read (a file whose header is wrong, an export that is not CSV or JSON): nothing is changed. */
export class RosterUnreadableError extends Error {
  override readonly name: string = 'RosterUnreadableError';
}
