import type { Notification } from './notifier.js';

/**
 * The notifications the product sends, worded once: what happened, and what to do
 * (docs/runbook.md, "Notifications", says more for each kind).
 */

const about = (workerKey: string | null, deliveryId: string | null) => ({ workerKey, deliveryId });

/** The mass-change guard began holding revocations or group removals (told once per guard window). */
export function guardHold(workerKey: string, deliveryId: string, reason: string, at: Date): Notification {
  return {
    kind: 'guard-hold',
    at: at.toISOString(),
    subject: 'The mass-change guard is holding revocations',
    message: `Worker ${workerKey} and any that follow within the window keep their access until an admin decides: ${reason}. See what is held with \`npx lifecycle guard status\`, then \`npx lifecycle guard approve\` (or \`guard reject\`).`,
    ...about(workerKey, deliveryId),
  };
}

/** A worker event failed on its last receive and is in a dead-letter queue; an invite that failed so is told as such. */
export function deadLetter(event: { workerKey: string; deliveryId: string; eventType: string }, receives: number, reason: string, failedWrite: string | null, at: Date): Notification {
  const invite = failedWrite === 'invite';
  const times = `${receives} time${receives === 1 ? '' : 's'}`;
  return {
    kind: invite ? 'invite-failed' : 'dead-letter',
    at: at.toISOString(),
    subject: invite ? `Inviting worker ${event.workerKey} failed ${times}` : `A ${event.eventType} of worker ${event.workerKey} failed ${times} and is a dead letter`,
    message: `Last error: ${reason}. The event waits in the dead-letter queue; nothing else of this worker was changed. Fix the cause, then \`npx lifecycle dlq redrive --delivery ${event.deliveryId}\` (\`npx lifecycle dlq list\` shows why each dead letter is there).`,
    ...about(event.workerKey, event.deliveryId),
  };
}

/** The reconciliation found Bitwarden out of step with HR. */
export function driftFound(counts: Array<[string, number]>, applied: boolean, at: Date): Notification {
  const total = counts.reduce((sum, [, count]) => sum + count, 0);
  return {
    kind: 'drift',
    at: at.toISOString(),
    subject: `Reconciliation found ${total} difference(s) between HR and Bitwarden`,
    message: `${counts.map(([kind, count]) => `${kind}: ${count}`).join(', ')}. ${applied ? 'What the policy allows was sent to the worker to be corrected.' : 'See each with `npx lifecycle reconcile`; `--apply` corrects what the policy allows.'}`,
    ...about(null, null),
  };
}

/** The first 20 of a list, and how many more: a reminder stays readable in chat and e-mail. */
function listed(items: readonly string[]): string {
  const shown = items.slice(0, 20);
  return `${shown.join(', ')}${items.length > shown.length ? ` and ${items.length - shown.length} more` : ''}`;
}

/** Invitations still not accepted `days` after they were sent (a reminder, each reconciliation). */
export function invitesNotAccepted(workerKeys: readonly string[], days: number, at: Date): Notification {
  return {
    kind: 'invite-not-accepted',
    at: at.toISOString(),
    subject: `${workerKeys.length} Bitwarden invitation(s) not accepted after ${days} days`,
    message: `Workers ${listed(workerKeys)}. Ask them to accept, or resend the invitation in Bitwarden (Admin Console › Members); \`npx lifecycle status WORKER\` shows each.`,
    ...about(workerKeys.length === 1 ? workerKeys[0]! : null, null),
  };
}

/**
 * Members who accepted and wait for an admin to confirm them (a reminder, each reconciliation): the
 * Public API cannot confirm (lib/lifecycle/pending-confirmation.ts says why), so a person must.
 * Named by worker, or by member id when no worker explains the member; e-mail addresses stay out of chat.
 */
export function pendingConfirmation(pending: ReadonlyArray<{ memberId: string; workerKey: string | null }>, at: Date): Notification {
  const names = pending.map((item) => (item.workerKey ? `worker ${item.workerKey}` : `member ${item.memberId}`));
  const only = pending.length === 1 ? pending[0]!.workerKey : null;
  return {
    kind: 'pending-confirmation',
    at: at.toISOString(),
    subject: `${pending.length} Bitwarden member(s) accepted and wait for an admin to confirm them`,
    message: `${listed(names)}. Until confirmed they cannot see the organization's items. Confirm them in the Admin Console (Members › Needs confirmation) or with \`bw confirm org-member\`; \`npx lifecycle pending-confirmation\` lists each with its e-mail.`,
    ...about(only, null),
  };
}
