import { RateBudgetExhaustedError } from '../bitwarden/errors.js';
import { deadLetter } from '../notify/messages.js';
import type { Notifier } from '../notify/notifier.js';
import type { WorkerEventMessage } from '../queue/message.js';
import type { AuditEntry, AuditLog } from '../store/audit-log.js';
import { WorkerBusyError } from '../store/worker-state.js';

export interface FailureDependencies {
  audit: AuditLog;
  notifier?: Notifier;
  now(): Date;
}

/** Which receive of its message this was, and after how many the queue dead-letters it (null: unknown). */
export interface Attempt {
  receiveCount: number;
  maxReceiveCount: number | null;
}

/** Long enough for any error of ours; a body echoed by a server stops here. */
const MAX_REASON = 500;

/** Waiting is not failing: a call the rate budget defers, a worker the other lane holds. Its message comes back when it can go on. */
export const isWait = (error: unknown) => error instanceof RateBudgetExhaustedError || error instanceof WorkerBusyError;

/** The queue dead-letters the message after this receive. */
export const isLastAttempt = (attempt: Attempt) => attempt.maxReceiveCount !== null && attempt.receiveCount >= attempt.maxReceiveCount;

export const failureReason = (error: unknown) => (error instanceof Error ? `${error.name === 'Error' ? '' : `${error.name}: `}${error.message}` : String(error)).slice(0, MAX_REASON);

/**
 * A worker event that threw leaves its reason on the audit trail, with its delivery id, on every
 * attempt: `lifecycle dlq list` shows it beside each dead letter, and `lifecycle audit` in the
 * worker's history. On the last attempt before the dead-letter queue, people are told; the write
 * that failed is the last one audited `attempted` and never `applied` (lib/sync/apply-worker-event.ts
 * audits a failed write `attempted` before the error reaches here).
 */
export async function recordFailure(message: WorkerEventMessage, error: unknown, attempt: Attempt, deps: FailureDependencies): Promise<void> {
  const reason = failureReason(error);
  const last = isLastAttempt(attempt);
  // A wait is told only if it was the last try.
  if (!last && isWait(error)) return;
  const at = deps.now();
  const of = attempt.maxReceiveCount === null ? '' : ` of ${attempt.maxReceiveCount}`;
  await deps.audit.record([
    {
      workerKey: message.workerKey,
      at: at.toISOString(),
      deliveryId: message.deliveryId,
      provider: message.provider,
      eventType: message.eventType,
      outcome: 'failed',
      action: 'none',
      memberId: null,
      detail: `attempt ${attempt.receiveCount}${of} failed: ${reason}; ${last ? 'it goes to the dead-letter queue' : 'it is retried'}`,
    },
  ]);
  if (!last || !deps.notifier) return;
  const trail = (await deps.audit.forWorker(message.workerKey)).filter((entry) => entry.deliveryId === message.deliveryId);
  await deps.notifier.notify(deadLetter(message, attempt.receiveCount, reason, unfinishedWrite(trail), at));
}

/** The kind of the write this attempt began and never applied: the trail after the previous attempt's failure, before this one's. */
function unfinishedWrite(trail: readonly AuditEntry[]): string | null {
  for (let index = trail.length - 2; index >= 0; index--) {
    const entry = trail[index]!;
    if (entry.outcome === 'applied' || entry.outcome === 'failed') return null;
    if (entry.outcome === 'attempted') return entry.action;
  }
  return null;
}

/** The newest failure recorded for this delivery of this worker, from its trail: why a dead letter is there. */
export async function lastFailure(audit: Pick<AuditLog, 'forWorker'>, workerKey: string, deliveryId: string): Promise<AuditEntry | null> {
  const failures = (await audit.forWorker(workerKey)).filter((entry) => entry.deliveryId === deliveryId && entry.outcome === 'failed');
  return failures.at(-1) ?? null;
}
