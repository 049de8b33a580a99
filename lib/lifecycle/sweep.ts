import type { RevocationGuard } from './guard.js';
import { reevaluation } from '../queue/message.js';
import type { EventPublisher } from '../queue/publisher.js';
import type { WorkerStateStore } from '../store/worker-state.js';

export interface SweepDependencies {
  workers: WorkerStateStore;
  guard: RevocationGuard;
  publisher: EventPublisher;
  now(): Date;
}

/** The reason of a re-evaluation the sweeper sends for a hold the guard now lets through (`lifecycle.guard-release`). */
export const GUARD_RELEASE = 'guard-release';

/**
 * Time is part of the desired state (docs/design.md, decision 6). Every worker whose decision changes by
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
    ...released.filter((key) => !due.some((worker) => worker.workerKey === key)).map((key) => reevaluation(key, GUARD_RELEASE, now)),
  ];
  if (messages.length > 0) await deps.publisher.publish(messages);
  return { due: due.length, released: released.length };
}
