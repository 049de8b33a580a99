import type { RevocationGuard } from './guard.js';
import type { EventPublisher } from '../queue/publisher.js';
import { reevaluation } from '../queue/message.js';

/** `lifecycle guard approve`: approves every held revocation and sends those workers to be re-evaluated now. */
export async function approveHeldRevocations(guard: RevocationGuard, publisher: EventPublisher, by: string, now: Date): Promise<string[]> {
  const approved = await guard.approve(by, now);
  if (approved.length > 0) await publisher.publish(approved.map((workerKey) => reevaluation(workerKey, 'guard-approve', now)));
  return approved;
}
