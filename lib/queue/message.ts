import { z } from 'zod';
import { WorkerRecordSchema } from '../hris/worker-record.js';

/**
 * What the ingest handler puts on the queue and the worker reads: "this worker may have
 * changed" (design decision 1), with the newest record the provider sent.
 */
export const WorkerEventMessageSchema = z.object({
  version: z.literal(1),
  provider: z.string().min(1),
  /** The provider's delivery id (e.g. `webhook-id`); the same for every retry of one delivery. */
  deliveryId: z.string().min(1),
  eventType: z.string().min(1),
  /** When the change happened in the HR system; orders a worker's events. */
  occurredAt: z.iso.datetime({ offset: true }),
  receivedAt: z.iso.datetime({ offset: true }),
  worker: WorkerRecordSchema,
});

export type WorkerEventMessage = z.output<typeof WorkerEventMessageSchema>;

/** A worker's key: its HR id. Bitwarden's `externalId` carries it, and FIFO groups on it. */
export const workerKeyOf = (message: Pick<WorkerEventMessage, 'worker'>) => message.worker.externalId;
