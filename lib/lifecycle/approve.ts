import type { EventPublisher } from '../queue/publisher.js';
import { reevaluation } from '../queue/message.js';
import type { AuditLog } from '../store/audit-log.js';
import type { RevocationGuard } from './guard.js';

/** `lifecycle guard approve [--worker W]`: approves the held changes and sends those workers to be re-evaluated now. */
export async function approveHeldRevocations(guard: RevocationGuard, publisher: EventPublisher, by: string, now: Date, workerKey?: string): Promise<string[]> {
  const approved = await guard.approve(by, now, workerKey);
  if (approved.length > 0) await publisher.publish(approved.map((key) => reevaluation(key, 'guard-approve', now)));
  return approved;
}

/** `lifecycle guard reject [--worker W]`: the held changes are dropped, the members keep their access, and each worker's trail says who decided. */
export async function rejectHeldRevocations(guard: RevocationGuard, audit: AuditLog, by: string, now: Date, workerKey?: string): Promise<string[]> {
  const rejected = await guard.reject(workerKey);
  await audit.record(
    rejected.map((key) => ({
      workerKey: key,
      at: now.toISOString(),
      deliveryId: `guard-reject:${now.toISOString()}`,
      provider: 'lifecycle',
      eventType: 'lifecycle.guard-reject',
      outcome: 'skipped',
      action: 'none',
      memberId: null,
      detail: `the held change was rejected by ${by}: the member keeps its access until the worker's next event`,
    })),
  );
  return rejected;
}
