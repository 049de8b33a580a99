import * as z from './zod.js';
import { WorkerRecordSchema } from './worker-record.js';

/**
 * "This worker may have changed" (docs/design.md, decision 1), as every source reports it and the
 * queue carries it. The subject is the newest record when the source sent one, `fetch` when it was
 * thin (the worker reads the record from the source's API; `mayRevoke` false when the event type
 * cannot mean a departure), `removed` when the source deleted the record, or `reevaluate` when time
 * alone changed the decision (the sweeper), a rule changed, or a held revocation was released.
 */
export const SubjectSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('record'), worker: WorkerRecordSchema }),
  z.object({ kind: z.literal('fetch'), mayRevoke: z._default(z.boolean(), true) }),
  z.object({ kind: z.literal('removed'), workEmail: z.nullable(z.string()) }),
  /** `urgent` false for work that cannot revoke (a rule change), so it does not crowd the urgent lane. */
  z.object({ kind: z.literal('reevaluate'), urgent: z._default(z.boolean(), true) }),
]);
export type Subject = z.output<typeof SubjectSchema>;

/** One worker change a source reports. */
export interface WorkerChange {
  /** The worker's id in its source: Bitwarden's `externalId` carries it, and FIFO groups on it. */
  workerKey: string;
  /** The source's delivery id; the same for every retry of one delivery. */
  deliveryId: string;
  eventType: string;
  /** When the change happened in the source; orders a worker's changes. */
  occurredAt: string;
  subject: Subject;
}
