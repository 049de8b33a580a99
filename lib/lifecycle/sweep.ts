import type { RevocationGuard } from './guard.js';
import type { WorkerEventMessage } from '../queue/message.js';
import type { EventPublisher } from '../queue/publisher.js';
import type { WorkerStateStore } from '../store/worker-state.js';

export interface SweepDependencies {
  workers: WorkerStateStore;
  guard: RevocationGuard;
  publisher: EventPublisher;
  now(): Date;
}

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
 * Design decision 6: time is part of the desired state. Every worker whose decision changes by
 * now (an end date passed, a termination took effect, an invitation is due) is found through the
 * sparse `due` index and re-evaluated through the same worker path as any event; so are held
 * revocations the guard now lets through (approved, or the limit raised).
 */
export async function sweep(deps: SweepDependencies): Promise<{ due: number; released: number }> {
  const now = deps.now();
  const due = await deps.workers.due(now);
  const released = await deps.guard.releasable(now);
  const messages = [
    ...due.map((worker) => reevaluation(worker.workerKey, 'sweep', new Date(worker.reevaluateAt))),
    ...released.filter((key) => !due.some((worker) => worker.workerKey === key)).map((key) => reevaluation(key, 'guard-release', now)),
  ];
  if (messages.length > 0) await deps.publisher.publish(messages);
  return { due: due.length, released: released.length };
}
