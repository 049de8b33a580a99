import { z } from 'zod';
import { WorkerRecordSchema } from '../hris/worker-record.js';

/**
 * What the queue carries and the worker reads: "this worker may have changed" (design
 * decision 1). The subject is the newest record when the delivery carried one, `fetch` when it
 * was thin (the worker reads the record from the provider's API; `mayRevoke` false when the event
 * type cannot mean a departure), `removed` when the HR system deleted the record, or `reevaluate`
 * when time alone changed the decision (the sweeper) or a held revocation was released.
 */
export const SubjectSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('record'), worker: WorkerRecordSchema }),
  z.object({ kind: z.literal('fetch'), mayRevoke: z.boolean().default(true) }),
  z.object({ kind: z.literal('removed'), workEmail: z.string().nullable() }),
  /** `urgent` false for work that cannot revoke (a rule change), so it does not crowd the urgent lane. */
  z.object({ kind: z.literal('reevaluate'), urgent: z.boolean().default(true) }),
]);
export type Subject = z.output<typeof SubjectSchema>;

export const WorkerEventMessageSchema = z.object({
  version: z.literal(1),
  provider: z.string().min(1),
  /** The worker's key: its id in the HR system. Bitwarden's `externalId` carries it, and FIFO groups on it. */
  workerKey: z.string().min(1).max(128),
  /** The provider's delivery id; the same for every retry of one delivery. */
  deliveryId: z.string().min(1),
  eventType: z.string().min(1),
  /** When the change happened in the HR system; orders a worker's events. */
  occurredAt: z.iso.datetime({ offset: true }),
  receivedAt: z.iso.datetime({ offset: true }),
  subject: SubjectSchema,
});

export type WorkerEventMessage = z.output<typeof WorkerEventMessageSchema>;
