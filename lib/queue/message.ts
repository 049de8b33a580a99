import * as z from '../vocabulary/zod.js';
import { SubjectSchema } from '../vocabulary/worker-change.js';

/** What the queue carries and the worker reads: a source's worker change, with where and when it arrived. */
export const WorkerEventMessageSchema = z.object({
  version: z.literal(1),
  provider: z.string().check(z.minLength(1)),
  /** The worker's key: its id in the source. Bitwarden's `externalId` carries it, and FIFO groups on it. */
  workerKey: z.string().check(z.minLength(1), z.maxLength(128)),
  /** The source's delivery id; the same for every retry of one delivery. */
  deliveryId: z.string().check(z.minLength(1)),
  eventType: z.string().check(z.minLength(1)),
  /** When the change happened in the source; orders a worker's events. */
  occurredAt: z.iso.datetime({ offset: true }),
  receivedAt: z.iso.datetime({ offset: true }),
  subject: SubjectSchema,
});

export type WorkerEventMessage = z.output<typeof WorkerEventMessageSchema>;

/** A re-evaluation of `workerKey` (on the urgent lane unless `urgent` is false). Same key, same instant: SQS keeps one. */
export function reevaluation(workerKey: string, reason: string, now: Date, urgent = true): WorkerEventMessage {
  return {
    version: 1,
    provider: 'lifecycle',
    workerKey,
    deliveryId: `${reason}:${workerKey}:${now.toISOString()}`,
    eventType: `lifecycle.${reason}`,
    occurredAt: now.toISOString(),
    receivedAt: now.toISOString(),
    subject: { kind: 'reevaluate', urgent },
  };
}

/**
 * When the event happened, as far as ordering goes: the sender's time, but never later than its
 * receipt (an event cannot have happened after it arrived), so that no sender can freeze a worker
 * with a future timestamp (docs/design.md, decision 3). `clamped` says the sender's time was later.
 */
export function eventTime(message: Pick<WorkerEventMessage, 'occurredAt' | 'receivedAt'>): { at: string; clamped: boolean } {
  const clamped = Date.parse(message.occurredAt) > Date.parse(message.receivedAt);
  return { at: clamped ? message.receivedAt : message.occurredAt, clamped };
}
