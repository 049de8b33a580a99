import { AsyncLocalStorage } from 'node:async_hooks';
import type { CallPriority } from './rate-budget.js';

/**
 * What the Bitwarden calls made while handling one message may spend: their priority in the rate
 * budget (revocations first), and the invocation's remaining time, which bounds every wait. Set
 * once per message with `withinCallScope`; every call below it, however deep, reads it.
 */
export interface CallScope {
  priority: CallPriority;
  /** Milliseconds this invocation has left (a Lambda's `getRemainingTimeInMillis`). */
  timeLeft(): number;
  /** The longest a call may wait for its rate-budget slot, when less than the lane allows (an invite that a bulk import can take instead). */
  slotPatienceMs?: number;
}

const scopes = new AsyncLocalStorage<CallScope>();

export function withinCallScope<T>(scope: CallScope, work: () => Promise<T>): Promise<T> {
  return scopes.run(scope, work);
}

/** The scope of the message being handled; outside one (CLI, admin work), normal priority and no deadline. */
export function currentCallScope(): CallScope | undefined {
  return scopes.getStore();
}

/** Milliseconds the invocation handling this message has left; outside a message, no deadline. */
export function timeLeftInScope(): number {
  return scopes.getStore()?.timeLeft() ?? Number.POSITIVE_INFINITY;
}
